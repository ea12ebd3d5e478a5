// topkKL: divergences between sparse top-k distributions (OpenAI-compatible top_logprobs), with
// the mass outside each side's top k kept in one tail bucket. See native/core/topk_kl.h.
import { type Direction, directionCodes, directions, type DivergenceResult } from './klDivergence';
import { codes, describe, rangeError, typeError } from './errors';
import { native } from './native';
import { type SpanOptions, spanOption } from './spans';
import { integer, keysOf, knownKeys, oneOf, options, typedArray } from './validate';

export interface TopkSide {
  /** [rows * k] token ids, distinct within a row. */
  ids: Int32Array;
  /** [rows * k] their log-probs (not logits): -Infinity is probability 0. */
  logprobs: Float32Array;
  /** Ids (and log-probs) per row. Both sides must use the same k. */
  k: number;
  /** [rows] log-prob of the sampled token (options.sampled) on this side, which may lie outside the top k. */
  sampledLogprobs?: Float32Array;
}

export interface TopkKLOptions extends SpanOptions {
  /** Default 'forward' KL(P||Q). */
  direction?: Direction;
  /** [rows] the sampled token ids; required when a side has sampledLogprobs. */
  sampled?: Int32Array;
}

const sideKeys = keysOf<TopkSide>()('ids', 'logprobs', 'k', 'sampledLogprobs');
const optionKeys = keysOf<TopkKLOptions>()('direction', 'sampled', 'spans', 'reduce');

function side(value: unknown, name: string, rows?: number, k?: number) {
  if (value === null || typeof value !== 'object')
    throw typeError(name, `${name} must be an object { ids, logprobs, k }, got ${describe(value)}`);
  knownKeys(value, name, sideKeys);
  const s = value as Partial<TopkSide>;
  const sideK = integer(s.k, `${name}.k`, 1, 2 ** 31 - 1);
  if (k !== undefined && sideK !== k) throw rangeError(codes.shape, `${name}.k`, `${name}.k = ${sideK} differs from p.k = ${k}`);
  const ids = typedArray<Int32Array>(s.ids, `${name}.ids`, Int32Array, rows === undefined ? undefined : rows * sideK);
  if (ids.length % sideK) throw rangeError(codes.shape, `${name}.ids`, `${name}.ids has ${ids.length} ids, not a multiple of k = ${sideK}`);
  const logprobs = typedArray<Float32Array>(s.logprobs, `${name}.logprobs`, Float32Array, ids.length);
  const n = ids.length / sideK;
  const sampledLogprobs =
    s.sampledLogprobs === undefined ? undefined : typedArray<Float32Array>(s.sampledLogprobs, `${name}.sampledLogprobs`, Float32Array, n);
  return { ids, logprobs, k: sideK, sampledLogprobs };
}

function prepare(p: unknown, q: unknown, opts: unknown) {
  const ps = side(p, 'p');
  const rows = ps.ids.length / ps.k;
  const qs = side(q, 'q', rows, ps.k);
  const o = options<TopkKLOptions>(opts, 'options', optionKeys);
  const direction = o.direction === undefined ? 'forward' : oneOf(o.direction, 'direction', directions);
  const sampled = o.sampled === undefined ? undefined : typedArray<Int32Array>(o.sampled, 'sampled', Int32Array, rows);
  if ((ps.sampledLogprobs || qs.sampledLogprobs) && !sampled)
    throw typeError('sampled', 'options.sampled (the sampled token ids) is required with sampledLogprobs');
  return [ps, qs, { direction: directionCodes[direction], sampled, ...spanOption(o, rows) }] as const;
}

/**
 * Per-row divergence between two top-k distributions (float64 math): known entries are each
 * side's top k plus the sampled token; an id one side did not report gets that side's tail share;
 * the rest of each tail is one bucket. Negative or repeated ids, NaN / +Infinity log-probs and rows
 * whose probabilities sum above 1.001 are RangeErrors.
 */
export async function topkKL(p: TopkSide, q: TopkSide, options?: TopkKLOptions): Promise<DivergenceResult> {
  return native().topkKL(...prepare(p, q, options));
}

/** topkKL on the calling thread. */
export function topkKLSync(p: TopkSide, q: TopkSide, options?: TopkKLOptions): DivergenceResult {
  return native().topkKLSync(...prepare(p, q, options));
}
