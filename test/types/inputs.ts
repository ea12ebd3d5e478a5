// Small valid inputs shared by mistakes.ts and correct.ts: each file spoils one part at a time.
import { toBFloat16, toFloat16 } from 'infogain';

export const f32 = (n: number, v = 0) => new Float32Array(n).fill(v);

/** 4 samples in 2 groups. */
export const scores = () => Float32Array.of(1, 2, 3, 5);
export const groups = () => Int32Array.of(0, 0, 1, 1);

/** 2 sequences of 2 tokens. */
export const offsets = () => Int32Array.of(0, 2, 4);
export const mask = () => Uint8Array.of(1, 1, 1, 0);

/** [2, 4] logits of each dtype, and targets for them. */
const values = [0, 1, 2, 3, 3, 2, 1, 0];
export const logits32 = () => ({ data: Float32Array.from(values), rows: 2, vocab: 4 });
export const logitsBF16 = () => ({ data: toBFloat16(values), rows: 2, vocab: 4, dtype: 'bfloat16' as const });
export const logitsF16 = () => ({ data: toFloat16(values), rows: 2, vocab: 4, dtype: 'float16' as const });
export const targets = () => Int32Array.of(1, 2);

/** The fused head: hidden [2, 2], weight [3, 2]. */
export const hidden = () => ({ data: Float32Array.of(1, 0, 0, 1), rows: 2, dim: 2 });
export const weight = () => ({ data: Float32Array.of(1, 2, 3, 4, 5, 6), vocab: 3, dim: 2 });

/** Two turns in 8 tokens: turn 0's feedback is scored on action 1's 2 tokens. */
export const turns = () => ({
  length: 8,
  actionStart: Int32Array.of(0, 4),
  actionEnd: Int32Array.of(2, 6),
  obsStart: Int32Array.of(2, 6),
  obsEnd: Int32Array.of(4, 8),
});

/** One C-IP row: 2 ragged candidates, label 0. */
export const ragged = () => ({ candidateLogits: Float32Array.of(0, 1), candidates: Int32Array.of(0, 2), labels: Int32Array.of(0) });

/** PEAR: one response of 2 tokens, its think delimiter between them. */
export const responses = () => ({ entropies: Float32Array.of(0.5, 0.25), offsets: Int32Array.of(0, 2), correctness: Float32Array.of(1) });
