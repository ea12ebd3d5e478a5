// KV caches as onnxruntime returns them: per layer a key and a value array [batch, kv_heads,
// length, head_dim]. A branch reads a prefix of its trunk's cache; branches of different prefix
// lengths share one pass by left-padding their pasts (the attention mask hides the padding).

export type CacheArray = Float32Array | Uint16Array;

/**
 * One sequence's cache: row `row` of arrays[2l] (layer l's keys) and arrays[2l + 1] (its values),
 * each [batch, kvHeads, width, headDim] as a pass returned them; positions [0, length) are its own
 * (a sequence batched with longer ones has padding after them).
 */
export interface KvCache {
  arrays: CacheArray[];
  row: number;
  width: number;
  length: number;
}

/** Whether the arrays are exactly this one sequence's cache, usable as a past without a copy. */
export function wholeCache(c: KvCache, shape: CacheShape): boolean {
  return c.row === 0 && c.width === c.length && c.arrays[0]?.length === shape.kvHeads * c.length * shape.headDim;
}

export interface CacheShape {
  kvHeads: number;
  headDim: number;
  type: 'float32' | 'float16';
}

/** Bytes a cache of `tokens` tokens holds. */
export function cacheBytes(shape: CacheShape & { layers: number }, tokens: number): number {
  return 2 * shape.layers * shape.kvHeads * shape.headDim * tokens * (shape.type === 'float16' ? 2 : 4);
}

/**
 * Memory for the pasts of one pass, reused pass after pass: onnxruntime reads inputs in place, so
 * once a pass settles its pasts are free. Saves allocating (and the collector freeing) a padded
 * copy of every branch's prefix for every pass.
 */
export class Scratch {
  private buffer = new ArrayBuffer(0);
  private used = 0;

  /** Forgets what the last pass took. */
  reset(): void {
    this.used = 0;
  }

  take(type: CacheShape['type'], n: number): CacheArray {
    const bytes = n * (type === 'float16' ? 2 : 4);
    if (this.used + bytes > this.buffer.byteLength) {
      // views taken before stay on the old buffer until the pass settles
      this.buffer = new ArrayBuffer(Math.max(2 * this.buffer.byteLength, this.used + bytes));
      this.used = 0;
    }
    const out = type === 'float16' ? new Uint16Array(this.buffer, this.used, n) : new Float32Array(this.buffer, this.used, n);
    this.used += bytes;
    return out;
  }
}

/**
 * The past of a batch: row b holds the first prefixes[b].length tokens of prefixes[b].cache,
 * right-aligned in `width` positions (zeros before them). One array per layer and key/value,
 * from `scratch` when given.
 */
export function padPast(prefixes: { cache: KvCache; length: number }[], width: number, shape: CacheShape, scratch?: Scratch): CacheArray[] {
  const { kvHeads, headDim } = shape;
  // a row without a past (a branch at position 0 batched with branches that have one) holds no arrays
  const count = prefixes.find((p) => p.length > 0)?.cache.arrays.length ?? 0;
  const size = prefixes.length * kvHeads * width * headDim;
  const out: CacheArray[] = [];
  for (let a = 0; a < count; a++) {
    const dst = scratch ? scratch.take(shape.type, size) : shape.type === 'float16' ? new Uint16Array(size) : new Float32Array(size);
    prefixes.forEach(({ cache, length }, b) => {
      const src = cache.arrays[a];
      for (let h = 0; h < kvHeads; h++) {
        const row = ((b * kvHeads + h) * width) * headDim, pad = (width - length) * headDim;
        // the padding is masked out, but must be finite (0 x Infinity is NaN): zeros
        if (scratch) dst.fill(0, row, row + pad);
        if (length === 0) continue;
        const from = (cache.row * kvHeads + h) * cache.width * headDim;
        dst.set(src.subarray(from, from + length * headDim), row + pad);
      }
    });
    out.push(dst);
  }
  return out;
}
