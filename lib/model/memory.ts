// The scorer's memory budget: how many tokens one forward pass may take, how many logits rows one
// head pass may make, and how much a group of rollouts may hold between passes (KV caches and
// hidden rows). Sizes beyond what pays for speed are capped, so a large budget does not mean a
// large footprint; a small one shrinks passes down to one token / one row.
import { freemem } from 'node:os';

import { cacheBytes } from './kvCache';
import type { ModelRunner } from './runner';


/** Per-token and per-row costs of one model, in bytes. */
export interface ModelCosts {
  /** KV cache held per token (0 without a cache). */
  kvPerToken: number;
  /** What a forward pass returns per position: a hidden row, or a logits row when the head is not split. */
  outPerToken: number;
  /** onnxruntime's activations per position (an estimate: a few tensors of the hidden width). */
  activationPerToken: number;
  /** Attention heads, for the [heads, new, total] score matrices of a pass (an estimate when unknown). */
  heads: number;
  /** Bytes of one attention score (float32 or float16). */
  scoreBytes: number;
  /** One logits row (vocab x element size). */
  logitsRow: number;
}

/** A loaded model's costs. Estimates where the graph does not say (the hidden width, the head count). */
export function modelCosts(runner: ModelRunner): ModelCosts {
  const { layout } = runner;
  // without a split head the width is unknown: assume the cache's (kvHeads x headDim x 4) or 1024;
  // without a cache the head size is unknown: assume 16 (real models have 64-128: heads
  // overestimated, smaller passes, which measured no slower on the CPU)
  const width = runner.splitHead ? runner.rowWidth : layout.kind === 'past' ? 4 * layout.kvHeads * layout.headDim : 1024;
  return {
    kvPerToken: layout.kind === 'past' ? cacheBytes({ ...layout, type: layout.cache }, 1) : 0,
    outPerToken: runner.rowWidth * (runner.rowType === 'float32' ? 4 : 2),
    activationPerToken: 16 * width * 4,
    heads: Math.max(1, Math.round(width / (layout.headDim || 16))),
    scoreBytes: layout.cache === 'float16' || layout.logits === 'float16' ? 2 : 4,
    logitsRow: runner.vocab * (layout.logits === 'float32' ? 4 : 2),
  };
}

/**
 * The largest passes worth having: beyond them passes get no faster (bench/RESULTS.md). A head
 * pass makes at most headBytes of logits (32 rows of Qwen's 151936 float32 logits: the fastest
 * size measured; a bigger chunk falls out of the caches). A fused head call takes at most
 * fusedRows hidden rows (its cost per row flattens from ~1000 rows: the weight is packed once per
 * call and row group).
 */
export const speedCaps = { passTokens: 512, headBytes: 20 * 2 ** 20, headRows: 4096, fusedRows: 4096 } as const;

/** Half the free memory, at most 8 GiB: the default of --max-memory. */
export function defaultMaxMemory(): number {
  return Math.max(256 * 2 ** 20, Math.min(8 * 2 ** 30, Math.floor(freemem() / 2)));
}

/** '2g', '512m', '1.5GiB', '300000000' -> bytes. */
export function parseMemory(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m|g|t)?(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const scale = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 1;
  const bytes = Math.floor(Number(m[1]) * scale);
  return bytes > 0 ? bytes : undefined;
}

export class MemoryBudget {
  constructor(
    readonly bytes: number,
    readonly costs: ModelCosts,
  ) {}

  /**
   * Bytes one forward pass needs: batch rows of `length` new tokens after `past` cached ones. The
   * attention holds about three [batch, heads, length, total] tensors at once (scores, masked
   * scores, probabilities): measured on the test decoders, +555 MiB for 8 x 1200 tokens.
   */
  pass(batch: number, length: number, past: number): number {
    const c = this.costs;
    const tokens = batch * length, total = past + length;
    return tokens * (c.outPerToken + c.activationPerToken) + 2 * batch * total * c.kvPerToken + 3 * batch * c.heads * length * total * c.scoreBytes;
  }

  /** A quarter of the budget for one forward pass. */
  get passLimit(): number {
    return this.bytes / 4;
  }

  /** Half of the budget for what a group of rollouts holds between passes. */
  get holdLimit(): number {
    return this.bytes / 2;
  }

  /** The longest chunk of one sequence a single pass can take after `past` tokens (at least 1). */
  chunkTokens(past: number): number {
    let n = speedCaps.passTokens;
    while (n > 1 && this.pass(1, n, past) > this.passLimit) n >>= 1;
    return n;
  }

  /** Rows per head pass: a quarter of the budget for the logits (`pairs`: two rows per item). */
  headRows(pairs: boolean): number {
    const per = this.costs.logitsRow * (pairs ? 2 : 1);
    return Math.max(1, Math.min(speedCaps.headRows, Math.floor(Math.min(this.bytes / 4, speedCaps.headBytes) / per)));
  }

  /** Rows per fused head call: a quarter of the budget for the gathered hidden rows (no logits exist). */
  fusedRows(pairs: boolean): number {
    const per = this.costs.outPerToken * (pairs ? 2 : 1);
    return Math.max(1, Math.min(speedCaps.fusedRows, Math.floor(this.bytes / 4 / per)));
  }
}

export const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
