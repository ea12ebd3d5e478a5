// C-IP (Conformal Information Pursuit): uncertainty as the size of split-conformal prediction sets.
// conformalScores -> conformalQuantile (calibration), then predictionSetSizes. See
// native/core/conformal.h, docs/uncertainty.md.
import { type CandidateGroups, candidateGroups, optionalOffsets } from './candidates';
import { codes, rangeError, typeError } from './errors';
import { type LogitsInput, type NativeLogits, normalizeLogits } from './logits';
import { native } from './native';
import { choice, field, inputObject, keysOf, options, positiveNumber, typedArray } from './validate';

/**
 * The candidates of each row, one of two forms: a few answers (ragged `candidateLogits` with
 * `candidates`), or the whole vocabulary (`logits`, a matrix of float32 / float16 / bfloat16 or a
 * CPU Tensor, one row each: every token is a candidate).
 */
export type CandidateRows = (CandidateGroups & { logits?: never }) | { logits: LogitsInput; candidateLogits?: never; candidates?: never };

export type ConformalScoresInput = CandidateRows & {
  /** [rows] the true answer of each row: an index into its candidates (ragged) or a token id (logits). */
  labels: Int32Array;
};

export interface TemperatureOptions {
  /** p(y | x) = softmax(logits / temperature) over the row's candidates. Default 1. */
  temperature?: number;
}

export interface ConformalQuantileOptions {
  /** [groups + 1] offsets into scores: one qhat per group (e.g. per turn index). Default: one group. */
  groups?: Int32Array;
  /**
   * 'conformal' (default): the ceil((n + 1)(1 - alpha))-th smallest score, +Infinity when that
   * exceeds n (the split-conformal guarantee); 'empirical': numpy.quantile(scores, 1 - alpha,
   * method='higher'), what the C-IP code runs.
   */
  method?: 'conformal' | 'empirical';
}

export type PredictionSetInput = CandidateRows & {
  /** [rows] the true answers, when known: gives `covered`, and the 'fano' uncertainty needs them. */
  labels?: Int32Array;
  /** [steps + 1] offsets into the rows: the rows (samples) of each step. Default: one row per step. */
  steps?: Int32Array;
  /** [rollouts + 1] offsets into the steps. Default: one rollout. */
  rollouts?: Int32Array;
};

/**
 * Per step: `uncertainty` 'size' (default), the mean set size over its rows; or 'fano', the C-IP
 * code's upper bound on H(Y | X) in bits, which needs `alpha` (and the input's labels).
 */
export type PredictionSetOptions = PredictionSetSettings &
  (
    | {
        uncertainty?: 'size';
        /** The miscoverage qhat was calibrated at, in (0, 1). */
        alpha?: number;
      }
    | {
        uncertainty: 'fano';
        /** The miscoverage qhat was calibrated at, in (0, 1): required by 'fano'. */
        alpha: number;
      }
  );

export interface PredictionSetSettings extends TemperatureOptions {
  /** The threshold from conformalQuantile: one for every row, or a Float64Array with one per row. Required. */
  qhat: number | Float64Array;
}

export interface PredictionSetResult {
  /** [rows] |C(x)| = the number of candidates y with 1 - p(y | x) <= qhat. */
  sizes: Int32Array;
  /** [rows] 1 where the label is in its row's set (only with labels). */
  covered?: Uint8Array;
  /** [steps] the step's uncertainty ('size': candidates, 'fano': bits). */
  uncertainty: Float32Array;
  /** [steps] uncertainty[s - 1] - uncertainty[s] within a rollout; 0 where hasGain is 0 (a rollout's first step). */
  gains: Float32Array;
  hasGain: Uint8Array;
}

type NativeRows = { candidateLogits: Float32Array; candidates: Int32Array } | { logits: NativeLogits };

function candidateRows(i: Partial<ConformalScoresInput>): { rows: NativeRows; count: number } {
  if (i.logits !== undefined) {
    if (i.candidateLogits !== undefined || i.candidates !== undefined)
      throw rangeError(codes.outOfRange, 'logits', 'give either logits or candidateLogits with candidates, not both');
    const logits = normalizeLogits(i.logits, 'logits');
    return { rows: { logits }, count: logits.rows };
  }
  const { candidateLogits, candidates, groups } = candidateGroups(i);
  return { rows: { candidateLogits, candidates }, count: groups };
}

const scoresKeys = keysOf<ConformalScoresInput>()('candidateLogits', 'candidates', 'logits', 'labels');
const setsKeys = keysOf<PredictionSetInput>()('candidateLogits', 'candidates', 'logits', 'labels', 'steps', 'rollouts');
const temperatureKeys = keysOf<TemperatureOptions>()('temperature');
const quantileKeys = keysOf<ConformalQuantileOptions>()('groups', 'method');
const setsOptionKeys = keysOf<PredictionSetOptions>()('temperature', 'qhat', 'uncertainty', 'alpha');

function temperature(opts: unknown) {
  return { temperature: field(options<TemperatureOptions>(opts, 'options', temperatureKeys), 'temperature', 1, positiveNumber) };
}

function prepareScores(value: unknown, opts: unknown) {
  const i = inputObject<ConformalScoresInput>(value, scoresKeys);
  const { rows, count } = candidateRows(i);
  return [{ ...rows, labels: typedArray<Int32Array>(i.labels, 'labels', Int32Array, count) }, temperature(opts)] as const;
}

function prepareQuantile(scores: unknown, alpha: unknown, opts: unknown) {
  const s = typedArray<Float64Array>(scores, 'scores', Float64Array);
  if (typeof alpha !== 'number') throw typeError('alpha', `alpha (the miscoverage, in (0, 1)) is required, got ${typeof alpha}`);
  if (!(alpha > 0 && alpha < 1)) throw rangeError(codes.outOfRange, 'alpha', `alpha must be in (0, 1), got ${alpha}`);
  const o = options<ConformalQuantileOptions>(opts, 'options', quantileKeys);
  return [s, { alpha, groups: optionalOffsets(o.groups, 'groups'), method: choice(o, 'method', ['conformal', 'empirical'], 'conformal') }] as const;
}

function prepareSets(value: unknown, opts: unknown) {
  const i = inputObject<PredictionSetInput>(value, setsKeys);
  const { rows, count } = candidateRows(i);
  const labels = i.labels === undefined ? undefined : typedArray<Int32Array>(i.labels, 'labels', Int32Array, count);
  const input = { ...rows, labels, steps: optionalOffsets(i.steps, 'steps'), rollouts: optionalOffsets(i.rollouts, 'rollouts') };
  if (opts === undefined) throw typeError('options', 'options with qhat are required');
  const o = options<PredictionSetOptions>(opts, 'options', setsOptionKeys);
  let qhat: number | Float64Array;
  if (typeof o.qhat === 'number') {
    if (Number.isNaN(o.qhat)) throw rangeError(codes.nonFinite, 'qhat', 'qhat is NaN');
    qhat = o.qhat;
  } else if (o.qhat instanceof Float64Array) {
    qhat = typedArray<Float64Array>(o.qhat, 'qhat', Float64Array, count);
  } else {
    throw typeError('qhat', 'qhat (a number, or a Float64Array with one value per row) is required');
  }
  const uncertainty = choice(o, 'uncertainty', ['size', 'fano'], 'size');
  let alpha: number | undefined;
  if (o.alpha !== undefined || uncertainty === 1) {
    if (typeof o.alpha !== 'number') throw typeError('alpha', "uncertainty 'fano' needs alpha, the miscoverage qhat was calibrated at");
    if (!(o.alpha > 0 && o.alpha < 1)) throw rangeError(codes.outOfRange, 'alpha', `alpha must be in (0, 1), got ${o.alpha}`);
    alpha = o.alpha;
  }
  if (uncertainty === 1 && labels === undefined) throw typeError('labels', "uncertainty 'fano' needs labels");
  return [input, { temperature: field(o, 'temperature', 1, positiveNumber), qhat, uncertainty, alpha }] as const;
}

/** Nonconformity scores s(x, y) = 1 - p(y | x) of each row's label: the calibration data of conformalQuantile. */
export async function conformalScores(input: ConformalScoresInput, options?: TemperatureOptions): Promise<Float64Array> {
  return (await native().conformalScores(...prepareScores(input, options))).scores;
}

/** conformalScores on the calling thread. */
export function conformalScoresSync(input: ConformalScoresInput, options?: TemperatureOptions): Float64Array {
  return native().conformalScoresSync(...prepareScores(input, options)).scores;
}

/**
 * The split-conformal threshold qhat of each group of calibration scores at miscoverage alpha:
 * the prediction sets {y : s(x, y) <= qhat} then hold the true answer with probability >= 1 - alpha.
 */
export async function conformalQuantile(scores: Float64Array, alpha: number, options?: ConformalQuantileOptions): Promise<Float64Array> {
  return (await native().conformalQuantile(...prepareQuantile(scores, alpha, options))).qhat;
}

/** conformalQuantile on the calling thread. */
export function conformalQuantileSync(scores: Float64Array, alpha: number, options?: ConformalQuantileOptions): Float64Array {
  return native().conformalQuantileSync(...prepareQuantile(scores, alpha, options)).qhat;
}

/**
 * C-IP's uncertainty: each row's prediction-set size |{y : 1 - p(y | x) <= qhat}|, per step the
 * mean size (or the Fano bound), and its reduction from the step before within each rollout.
 */
export async function predictionSetSizes(input: PredictionSetInput, options: PredictionSetOptions): Promise<PredictionSetResult> {
  return native().predictionSetSizes(...prepareSets(input, options));
}

/** predictionSetSizes on the calling thread. */
export function predictionSetSizesSync(input: PredictionSetInput, options: PredictionSetOptions): PredictionSetResult {
  return native().predictionSetSizesSync(...prepareSets(input, options));
}
