// Monte Carlo Shapley values under a budget of distinct coalition evaluations: ShapleyEstimator
// plans the coalitions (nextBatch), the caller evaluates them, observe() takes the values and
// estimate() returns phi with standard errors. shapley() drives it with an async value function.
import { codes, describe, rangeError, typeError } from './errors';
import { native } from './native';
import { boolean, finiteNumber, integer, keysOf, oneOf, options, typedArray } from './validate';

export const shapleyMethods = [
  'auto',
  'permutation',
  'antithetic',
  'orthogonal',
  'stratified',
  'kernel',
  'leverage',
  'svarm',
  'regression-adjusted',
  'promed-reference',
] as const;
export type ShapleyMethod = (typeof shapleyMethods)[number];

const sizeDistributions = ['kernel', 'uniform', 'svarm', 'mixed'] as const;
export type SizeDistribution = (typeof sizeDistributions)[number];

export interface PromedReferenceOptions {
  /** Permutations at most (the reference's max_samples). Default 50. */
  maxPermutations?: number;
  /** Permutations before the stopping rule applies (min_samples). Default 3. */
  minPermutations?: number;
  /** Stop once mean |phi_t - phi_{t-1}| < tolerance (tol). Default 0.01. */
  tolerance?: number;
  /** End a permutation once |v(prefix) - v(N)| < truncation. Default 0.01. */
  truncation?: number;
}

export interface ShapleyEstimatorOptions {
  /** Number of players n, 1..32. Coalitions are bitmasks over them (bit i = player i). */
  players: number;
  /** Distinct coalition evaluations allowed, v(empty) and v(N) included: 2..2^25. */
  budget: number;
  /** Default 'auto': exact when the budget covers all 2^n coalitions, antithetic below 4n, else regression-adjusted. */
  method?: ShapleyMethod;
  /** The plan depends only on it (and, for 'promed-reference', the values). Default 0. */
  seed?: number;
  /** > 0: converged once every standard error is at most this. Default 0 (never). */
  tolerance?: number;
  /** false: the budget counts what an uncached sampler would call, repeats included. Default true. */
  cache?: boolean;
  /** How the paired methods spread their pairs over coalition sizes (default: per method). */
  sizes?: SizeDistribution;
  /** Settings of 'promed-reference'. */
  promed?: PromedReferenceOptions;
}

export interface ShapleyEstimate {
  /** phi[i], NaN until v(empty) and v(N) are observed. */
  phi: Float64Array;
  /** Standard errors, widened for few sampling units so that phi +- 1.96 stderr is a 95% interval; Infinity when not estimable, 0 when exact. */
  stderr: Float64Array;
  /** Distinct coalitions observed. */
  evaluations: number;
  /** Evaluations an uncached sampler would have made for the same sampling units. */
  calls: number;
  /** Complete sampling units used (permutations, pairs, ...). */
  units: number;
  /** Exact, or every stderr <= tolerance. */
  converged: boolean;
  /** Every coalition observed: phi is exact. */
  exact: boolean;
  /** The method that ran ('exact' when the budget covers all 2^n coalitions). */
  method: ShapleyMethod | 'exact';
}

interface NativeEstimator {
  nextBatch(max: number): Uint32Array;
  observe(masks: Uint32Array, values: Float64Array): void;
  estimate(): ShapleyEstimate;
  pending(): number;
  done(): boolean;
  method(): string;
  dispose(): void;
}

// Node defines Symbol.dispose (from 20.4) as Symbol.for('nodejs.dispose'); on 20.3 that stands in for it.
const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? (Symbol.for('nodejs.dispose') as typeof Symbol.dispose);

function nonNegative(value: unknown, name: string): number {
  const v = finiteNumber(value, name);
  if (v < 0) throw rangeError(codes.outOfRange, name, `${name} must be >= 0, got ${v}`);
  return v;
}

const estimatorKeys = keysOf<ShapleyEstimatorOptions>()('players', 'budget', 'method', 'seed', 'tolerance', 'cache', 'sizes', 'promed');
const promedKeys = keysOf<PromedReferenceOptions>()('maxPermutations', 'minPermutations', 'tolerance', 'truncation');
const shapleyKeys = keysOf<ShapleyOptions>()('budget', 'method', 'seed', 'tolerance', 'cache', 'sizes', 'promed', 'batchSize');

function nativeOptions(opts: unknown) {
  const o = options<ShapleyEstimatorOptions>(opts, 'options', estimatorKeys);
  const players = integer(o.players, 'players', 1, 32);
  const budget = integer(o.budget, 'budget', 2, 2 ** 25);
  const method = o.method === undefined ? 'auto' : oneOf(o.method, 'method', shapleyMethods);
  const seed = o.seed === undefined ? 0 : integer(o.seed, 'seed');
  const tolerance = o.tolerance === undefined ? 0 : nonNegative(o.tolerance, 'tolerance');
  const cache = o.cache === undefined ? true : boolean(o.cache, 'cache');
  const sizes = o.sizes === undefined ? 0 : 1 + sizeDistributions.indexOf(oneOf(o.sizes, 'sizes', sizeDistributions));
  const p = options<PromedReferenceOptions>(o.promed, 'promed', promedKeys);
  const maxPermutations = p.maxPermutations === undefined ? 50 : integer(p.maxPermutations, 'promed.maxPermutations', 1, 2 ** 31 - 1);
  const minPermutations = p.minPermutations === undefined ? 3 : integer(p.minPermutations, 'promed.minPermutations', 1, 2 ** 31 - 1);
  const promedTolerance = p.tolerance === undefined ? 1e-2 : nonNegative(p.tolerance, 'promed.tolerance');
  const truncation = p.truncation === undefined ? 1e-2 : nonNegative(p.truncation, 'promed.truncation');
  return {
    players,
    method: shapleyMethods.indexOf(method),
    budget,
    seed,
    tolerance,
    cache,
    sizes,
    maxPermutations,
    minPermutations,
    promedTolerance,
    truncation,
  };
}

/**
 * A budgeted Monte Carlo Shapley estimator. Each distinct coalition is asked for once and cached;
 * the plan is deterministic for a seed, whatever the batch sizes. Its native memory (tens of bytes
 * per coalition asked for) is reported to V8, which frees it when the estimator is collected;
 * dispose() (or `using`) frees it at once. A disposed estimator throws ERR_INFOGAIN_DISPOSED.
 */
export class ShapleyEstimator {
  readonly players: number;
  readonly budget: number;
  readonly #native: NativeEstimator;

  constructor(opts: ShapleyEstimatorOptions) {
    const o = nativeOptions(opts);
    this.players = o.players;
    this.budget = o.budget;
    const Ctor = native().ShapleyEstimator as new (o: object) => NativeEstimator;
    this.#native = new Ctor(o);
  }

  /** The method that runs ('exact' when the budget covers all 2^n coalitions). */
  get method(): ShapleyMethod | 'exact' {
    return this.#native.method() as ShapleyMethod | 'exact';
  }

  /** Coalitions handed out and not observed yet. */
  get pending(): number {
    return this.#native.pending();
  }

  /** The plan is finished: nextBatch() returns nothing more. */
  get done(): boolean {
    return this.#native.done();
  }

  /**
   * Up to `max` coalition masks to evaluate next, none asked for before. Empty when the plan is
   * finished, or ('promed-reference', which reads values as it goes) until the pending ones are observed.
   */
  nextBatch(max = 2 ** 31): Uint32Array {
    return this.#native.nextBatch(integer(max, 'max', 0, Number.MAX_SAFE_INTEGER));
  }

  /** Values of coalitions handed out by nextBatch and not observed yet (all or none are taken). */
  observe(masks: Uint32Array, values: Float64Array): void {
    typedArray<Uint32Array>(masks, 'masks', Uint32Array);
    typedArray<Float64Array>(values, 'values', Float64Array, masks.length);
    this.#native.observe(masks, values);
  }

  /** phi with standard errors from the values observed so far. */
  estimate(): ShapleyEstimate {
    return this.#native.estimate();
  }

  /** Frees the native memory now; every later call but dispose() throws ERR_INFOGAIN_DISPOSED. */
  dispose(): void {
    this.#native.dispose();
  }

  /** dispose(), for `using estimator = new ShapleyEstimator(...)`. */
  [disposeSymbol](): void {
    this.dispose();
  }
}

export interface ShapleyOptions extends Omit<ShapleyEstimatorOptions, 'players'> {
  /** Coalitions per valueFn call at most. Default 256. */
  batchSize?: number;
}

/** The caller's model: v(S) for each mask, as a Float64Array or number[] of the same length. */
export type ValueFunction = (masks: Uint32Array) => Float64Array | number[] | Promise<Float64Array | number[]>;

function asValues(out: unknown, length: number): Float64Array {
  if (out instanceof Float64Array) {
    if (out.length !== length)
      throw rangeError(codes.shape, 'valueFn', `valueFn returned ${out.length} values for ${length} masks`);
    return out;
  }
  if (!Array.isArray(out)) throw typeError('valueFn', `valueFn must return a Float64Array or number[], got ${describe(out)}`);
  if (out.length !== length) throw rangeError(codes.shape, 'valueFn', `valueFn returned ${out.length} values for ${length} masks`);
  const v = new Float64Array(length);
  for (let k = 0; k < length; k++) {
    if (typeof out[k] !== 'number') throw typeError('valueFn', `valueFn returned a ${describe(out[k])} at index ${k}`);
    v[k] = out[k];
  }
  return v;
}

/**
 * Estimates the Shapley values of `players` players, calling `valueFn(masks)` in batches until
 * the budget is spent or (with `tolerance`) every standard error is at most the tolerance.
 */
export async function shapley(players: number, valueFn: ValueFunction, opts: ShapleyOptions): Promise<ShapleyEstimate> {
  if (typeof valueFn !== 'function') throw typeError('valueFn', `valueFn must be a function, got ${describe(valueFn)}`);
  const o = options<ShapleyOptions>(opts, 'options', shapleyKeys);
  const batchSize = o.batchSize === undefined ? 256 : integer(o.batchSize, 'batchSize', 1, 2 ** 31);
  const { batchSize: _batchSize, ...rest } = o;
  const estimator = new ShapleyEstimator({ ...(rest as ShapleyEstimatorOptions), players });
  try {
    const watchTolerance = (o.tolerance ?? 0) > 0;
    for (;;) {
      const masks = estimator.nextBatch(batchSize);
      if (masks.length === 0) break;
      estimator.observe(masks, asValues(await valueFn(masks), masks.length));
      if (watchTolerance && estimator.estimate().converged) break;
    }
    return estimator.estimate();
  } finally {
    estimator.dispose();
  }
}
