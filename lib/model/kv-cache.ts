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
 * The past of a batch: row b holds the first prefixes[b].length tokens of prefixes[b].cache,
 * right-aligned in `width` positions (zeros before them). One array per layer and key/value.
 */
export function padPast(prefixes: { cache: KvCache; length: number }[], width: number, shape: CacheShape): CacheArray[] {
  const { kvHeads, headDim } = shape;
  const count = prefixes[0]?.cache.arrays.length ?? 0;
  const out: CacheArray[] = [];
  for (let a = 0; a < count; a++) {
    const dst = shape.type === 'float16' ? new Uint16Array(prefixes.length * kvHeads * width * headDim) : new Float32Array(prefixes.length * kvHeads * width * headDim);
    prefixes.forEach(({ cache, length }, b) => {
      const src = cache.arrays[a];
      for (let h = 0; h < kvHeads; h++) {
        const from = (cache.row * kvHeads + h) * cache.width * headDim;
        const to = ((b * kvHeads + h) * width + (width - length)) * headDim;
        dst.set(src.subarray(from, from + length * headDim), to);
      }
    });
    out.push(dst);
  }
  return out;
}
