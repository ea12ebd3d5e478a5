// klDivergence: full-vocabulary divergence between the softmax distributions of two logits
// matrices, per row (and per span of rows), from one read of each.
import { backendCode, type BackendOption } from './backend';
import { codes, rangeError } from './errors';
import { type LogitsInput, normalizeLogits } from './logits';
import { native } from './native';
import { type SpanOptions, spanOption } from './spans';
import { keysOf, oneOf, options, softmaxTemperature } from './validate';

export type Direction = 'forward' | 'reverse' | 'symmetric' | 'js';
export const directionCodes: Record<Direction, number> = { forward: 0, reverse: 1, symmetric: 2, js: 3 };
export const directions = Object.keys(directionCodes) as Direction[];

export interface KLDivergenceOptions extends SpanOptions {
  /** 'forward' KL(P||Q) (default), 'reverse' KL(Q||P), 'symmetric' (their sum), 'js' (Jensen-Shannon). */
  direction?: Direction;
  /** Both matrices' logits are divided by it. Default 1. */
  temperature?: number;
  /** 'auto' (default): CUDA when present and the inputs are large enough to pay for the copy. */
  backend?: BackendOption;
}

/** One value per row, and one per span when options.spans was given. */
export interface DivergenceResult {
  values: Float32Array;
  spanValues?: Float32Array;
}

const optionKeys = keysOf<KLDivergenceOptions>()('direction', 'temperature', 'backend', 'spans', 'reduce');

function prepare(p: unknown, q: unknown, opts: unknown) {
  const lp = normalizeLogits(p, 'p');
  const lq = normalizeLogits(q, 'q');
  if (lq.rows !== lp.rows || lq.vocab !== lp.vocab)
    throw rangeError(codes.shape, 'q', `q is [${lq.rows}, ${lq.vocab}] but p is [${lp.rows}, ${lp.vocab}]`);
  const o = options<KLDivergenceOptions>(opts, 'options', optionKeys);
  const direction = o.direction === undefined ? 'forward' : oneOf(o.direction, 'direction', directions);
  const temperature = o.temperature === undefined ? 1 : softmaxTemperature(o.temperature, 'temperature');
  const nativeOptions = {
    direction: directionCodes[direction],
    temperature,
    ...spanOption(o, lp.rows),
    backend: backendCode(o.backend),
  };
  return [lp, lq, nativeOptions] as const;
}

/**
 * Divergence between softmax(p[r] / T) and softmax(q[r] / T) for every row r, natural log,
 * float32 accumulation, off the main thread. p and q have the same shape; their dtypes may differ.
 * Entries where P is 0 (p = -Infinity) add nothing; P > 0 where Q = 0 gives +Infinity (forward).
 * Rounding below 0 is clamped to 0. A row holding NaN or +Infinity, or only -Infinity, rejects
 * with a RangeError (ERR_INFOGAIN_NONFINITE) naming p or q and the row.
 */
export async function klDivergence(p: LogitsInput, q: LogitsInput, options: KLDivergenceOptions & { spans: Int32Array }): Promise<DivergenceResult & { spanValues: Float32Array }>;
export async function klDivergence(p: LogitsInput, q: LogitsInput, options?: KLDivergenceOptions): Promise<DivergenceResult>;
export async function klDivergence(p: LogitsInput, q: LogitsInput, options?: KLDivergenceOptions): Promise<DivergenceResult> {
  return native().klDivergence(...prepare(p, q, options));
}

/** klDivergence on the calling thread. */
export function klDivergenceSync(p: LogitsInput, q: LogitsInput, options: KLDivergenceOptions & { spans: Int32Array }): DivergenceResult & { spanValues: Float32Array };
export function klDivergenceSync(p: LogitsInput, q: LogitsInput, options?: KLDivergenceOptions): DivergenceResult;
export function klDivergenceSync(p: LogitsInput, q: LogitsInput, options?: KLDivergenceOptions): DivergenceResult {
  return native().klDivergenceSync(...prepare(p, q, options));
}
