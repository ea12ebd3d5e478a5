// ProMed's Shapley information gain (Ding et al. 2025; src/models/doctor_reward.py and
// src/mcts_sampling/mcts.py): Shapley values of the patient facts -> weights -> the gain of each
// doctor question (the weight of the facts it uncovered), or of each turn (the change of the
// weighted state of the facts acquired so far).
import { codes, rangeError } from './errors';
import { boolean, keysOf, oneOf, options, positiveNumber, typedArray } from './validate';

export interface ShapleyWeightsOptions {
  /** 'softmax' (default): softmax(phi / tau). 'z-score': softmax(|z|), z = (phi - mean) / std, tau unused (as the reference). */
  method?: 'softmax' | 'z-score';
}

function uniform(n: number): Float64Array {
  return new Float64Array(n).fill(1 / n);
}

/**
 * The reference's normalize_shapley_weights: a max-subtracted softmax of phi / tau. Uniform
 * weights for a single fact, for a spread (population std) below 1e-8, and whenever the result
 * holds NaN or an infinity (so NaN in phi gives uniform weights, as in the reference).
 */
export function shapleyWeights(phi: Float64Array, tau = 2, opts?: ShapleyWeightsOptions): Float64Array {
  typedArray<Float64Array>(phi, 'phi', Float64Array);
  const t = positiveNumber(tau, 'tau');
  const o = options<ShapleyWeightsOptions>(opts, 'options', keysOf<ShapleyWeightsOptions>()('method'));
  const method = o.method === undefined ? 'softmax' : oneOf(o.method, 'method', ['softmax', 'z-score'] as const);
  const n = phi.length;
  if (n === 0) return new Float64Array(0);
  if (n === 1) return new Float64Array([1]);
  let mean = 0;
  for (const x of phi) mean += x;
  mean /= n;
  let ss = 0;
  for (const x of phi) ss += (x - mean) * (x - mean);
  const std = Math.sqrt(ss / n);
  if (std < 1e-8) return uniform(n);  // NaN compares false here, as np.std(...) < 1e-8 does
  const scores = Float64Array.from(phi, (x) => (method === 'softmax' ? x / t : Math.abs((x - mean) / std)));
  let max = -Infinity;
  for (const x of scores) max = Math.max(max, x);
  let sum = 0;
  const w = Float64Array.from(scores, (x) => Math.exp(x - max));
  for (const x of w) sum += x;
  for (let i = 0; i < n; i++) w[i] /= sum;
  for (const x of w) if (!Number.isFinite(x)) return uniform(n);
  return w;
}

function checkWeights(weights: unknown): Float64Array {
  const w = typedArray<Float64Array>(weights, 'weights', Float64Array);
  if (w.length === 0) throw rangeError(codes.shape, 'weights', 'weights must hold at least one fact');
  for (let i = 0; i < w.length; i++)
    if (!Number.isFinite(w[i])) throw rangeError(codes.nonFinite, 'weights', `weights[${i}] is ${w[i]}`, i);
  return w;
}

/** A 0/1 matrix with `facts` columns, row-major; returns its row count. */
function checkIndicators(m: unknown, name: string, facts: number): number {
  const a = typedArray<Uint8Array>(m, name, Uint8Array);
  if (a.length % facts !== 0)
    throw rangeError(codes.shape, name, `${name} has ${a.length} elements, not a multiple of the ${facts} facts`);
  for (let k = 0; k < a.length; k++)
    if (a[k] > 1) throw rangeError(codes.outOfRange, name, `${name}[${k}] = ${a[k]}: entries must be 0 or 1`, k);
  return a.length / facts;
}

export interface QuestionGainsOptions {
  /** Credit each fact to the first question that covers it only. Default false (the reference: no de-duplication). */
  firstOnly?: boolean;
}

/**
 * SIG per question (compute_question_shapley_gains): gains[k] = sum_i weights[i] * coverage[k, i],
 * coverage a questions x facts 0/1 matrix (row-major Uint8Array, facts = weights.length).
 */
export function questionGains(weights: Float64Array, coverage: Uint8Array, opts?: QuestionGainsOptions): Float64Array {
  const w = checkWeights(weights);
  const facts = w.length;
  const questions = checkIndicators(coverage, 'coverage', facts);
  const o = options<QuestionGainsOptions>(opts, 'options', keysOf<QuestionGainsOptions>()('firstOnly'));
  const firstOnly = o.firstOnly === undefined ? false : boolean(o.firstOnly, 'firstOnly');
  const credited = new Uint8Array(facts);
  const gains = new Float64Array(questions);
  for (let k = 0; k < questions; k++) {
    let g = 0;
    for (let i = 0; i < facts; i++) {
      if (!coverage[k * facts + i] || (firstOnly && credited[i])) continue;
      g += w[i];
      credited[i] = 1;
    }
    gains[k] = g;
  }
  return gains;
}

/**
 * The "newly acquired information" form (MCTS in mcts.py): the state after turn t is
 * s_t = sum_i weights[i] * acquired[t, i] (acquired: turns x facts 0/1, what the doctor's
 * understanding holds after turn t), s_-1 = sum_i weights[i] * known[i] (the reference: the first
 * half of the facts), and turn t gains s_t - s_{t-1}. A fact the understanding drops counts against
 * its turn, as in the reference.
 */
export function newlyAcquiredGains(weights: Float64Array, acquired: Uint8Array, known?: Uint8Array): Float64Array {
  const w = checkWeights(weights);
  const facts = w.length;
  const turns = checkIndicators(acquired, 'acquired', facts);
  let prev = 0;
  if (known !== undefined) {
    typedArray<Uint8Array>(known, 'known', Uint8Array, facts);
    checkIndicators(known, 'known', facts);
    for (let i = 0; i < facts; i++) prev += known[i] ? w[i] : 0;
  }
  const gains = new Float64Array(turns);
  for (let t = 0; t < turns; t++) {
    let s = 0;
    for (let i = 0; i < facts; i++) s += acquired[t * facts + i] ? w[i] : 0;
    gains[t] = s - prev;
    prev = s;
  }
  return gains;
}
