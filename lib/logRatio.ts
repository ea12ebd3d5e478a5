// logRatio: per-token estimators of KL(A||B) from sampled-token log-probs (verl's kl_penalty).
import type { DivergenceResult } from './klDivergence';
import { native } from './native';
import { type SpanOptions, spanOption } from './spans';
import { boolean, keysOf, oneOf, options, typedArray } from './validate';

export type KLEstimator = 'k1' | 'k2' | 'k3' | 'abs';
const estimatorCodes: Record<KLEstimator, number> = { k1: 0, k2: 1, k3: 2, abs: 3 };

export interface LogRatioOptions extends SpanOptions {
  /** With d = logpA - logpB: 'k1' d (default), 'abs' |d|, 'k2' d^2/2, 'k3' exp(-d) + d - 1. */
  estimator?: KLEstimator;
  /** verl's low_var_kl clamps for 'k3': the log-ratio to [-20, 20], the estimate to [-10, 10]. Default false. */
  clamp?: boolean;
}

const optionKeys = keysOf<LogRatioOptions>()('estimator', 'clamp', 'spans', 'reduce');

function prepare(logpA: unknown, logpB: unknown, opts: unknown) {
  const a = typedArray<Float32Array>(logpA, 'logpA', Float32Array);
  const b = typedArray<Float32Array>(logpB, 'logpB', Float32Array, a.length);
  const o = options<LogRatioOptions>(opts, 'options', optionKeys);
  const estimator = o.estimator === undefined ? 'k1' : oneOf(o.estimator, 'estimator', ['k1', 'k2', 'k3', 'abs'] as const);
  const clamp = o.clamp === undefined ? false : boolean(o.clamp, 'clamp');
  return [a, b, { estimator: estimatorCodes[estimator], clamp, ...spanOption(o, a.length) }] as const;
}

/**
 * Per-token estimator values for the sampled tokens' log-probs under A and B (float64 math,
 * float32 out), and per span with options.spans. -Infinity log-probs are allowed (the estimate is
 * then infinite); NaN, +Infinity, or -Infinity on both sides at one token are a RangeError.
 */
export async function logRatio(logpA: Float32Array, logpB: Float32Array, options?: LogRatioOptions): Promise<DivergenceResult> {
  return native().logRatio(...prepare(logpA, logpB, options));
}

/** logRatio on the calling thread. */
export function logRatioSync(logpA: Float32Array, logpB: Float32Array, options?: LogRatioOptions): DivergenceResult {
  return native().logRatioSync(...prepare(logpA, logpB, options));
}
