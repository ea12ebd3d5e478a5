// groupAdvantages: the GRPO family of group-normalized advantages on ragged groups (verl's
// semantics), and rlpAdvantages: RLP's leave-one-out advantage of a log-ratio reward.
import { type GroupStatistics, type Grouping, grouping, stdEpsilon } from './grouping';
import { native } from './native';
import { boolean, choice, field, keysOf, optionalArray, options, typedArray } from './validate';

export type AdvantageEstimator = 'grpo' | 'drgrpo' | 'rloo' | 'reinforce++-baseline' | 'passk';
const estimators: readonly AdvantageEstimator[] = ['grpo', 'drgrpo', 'rloo', 'reinforce++-baseline', 'passk'];

/** The grouping (`groups` or `groupSize`) and the estimator's settings. */
export type GroupAdvantagesOptions = Grouping & GroupAdvantagesSettings;

export interface GroupAdvantagesSettings {
  /** Default 'grpo'. */
  estimator?: AdvantageEstimator;
  /** The group standard deviation: 'unbiased' (N - 1, torch.std, default) or 'population' (N). */
  std?: 'unbiased' | 'population';
  /** Added to the group std before dividing. Default 1e-6 (verl; TRL uses 1e-4). */
  eps?: number;
  /** A group of one sample: 'verl' (mean 0, std 1, default) or 'nan' (TRL: its own mean, NaN std). */
  singleton?: 'verl' | 'nan';
  /** grpo and passk divide by (std + eps). Default true; false is verl's norm_adv_by_std_in_grpo=False. */
  normalizeByStd?: boolean;
  /** reinforce++-baseline: epsilon of the batch whitening, (x - mean) / sqrt(var + whitenEps). Default 1e-8. */
  whitenEps?: number;
  /** reinforce++-baseline: each sample's valid-token count, so the batch whitening is token-weighted as in verl. */
  tokenCounts?: Int32Array;
}

export interface GroupAdvantagesResult {
  /** One advantage per sample. */
  advantages: Float32Array;
  /** Per group: mean and std after the singleton rule, and the sample count. */
  groups: GroupStatistics;
}

const optionKeys = keysOf<GroupAdvantagesOptions>()(
  'groups', 'groupSize', 'estimator', 'std', 'eps', 'singleton', 'normalizeByStd', 'whitenEps', 'tokenCounts',
);
const groupingKeys = keysOf<Grouping>()('groups', 'groupSize');

function prepare(scores: unknown, opts: unknown) {
  const s = typedArray<Float32Array>(scores, 'scores', Float32Array);
  const o = options<GroupAdvantagesOptions>(opts, 'options', optionKeys);
  const g = grouping(o, s.length);
  const nativeOptions = {
    estimator: choice(o, 'estimator', estimators, 'grpo'),
    std: choice(o, 'std', ['unbiased', 'population'], 'unbiased'),
    singleton: choice(o, 'singleton', ['verl', 'nan'], 'verl'),
    eps: field(o, 'eps', 1e-6, stdEpsilon),
    whitenEps: field(o, 'whitenEps', 1e-8, stdEpsilon),
    normalizeByStd: field(o, 'normalizeByStd', true, boolean),
    tokenCounts: optionalArray<Int32Array>(o.tokenCounts, 'tokenCounts', Int32Array, s.length),
  };
  return [s, g, nativeOptions] as const;
}

/**
 * Advantages of one scalar score per sample, normalized within groups given by `groups` (ids, any
 * order, ragged) or `groupSize`. Scores must be finite. Runs off the main thread.
 */
export async function groupAdvantages(scores: Float32Array, options: GroupAdvantagesOptions): Promise<GroupAdvantagesResult> {
  return native().groupAdvantages(...prepare(scores, options)) as Promise<GroupAdvantagesResult>;
}

/** groupAdvantages on the calling thread. */
export function groupAdvantagesSync(scores: Float32Array, options: GroupAdvantagesOptions): GroupAdvantagesResult {
  return native().groupAdvantagesSync(...prepare(scores, options)) as GroupAdvantagesResult;
}

export interface RlpAdvantagesResult {
  /** r = withThought - baseline per sample. */
  rewards: Float32Array;
  /** G / (G - 1) * (r - group mean of r). */
  advantages: Float32Array;
  groups: GroupStatistics;
}

function prepareRlp(withThought: unknown, baseline: unknown, opts: unknown) {
  const a = typedArray<Float32Array>(withThought, 'withThought', Float32Array);
  const b = typedArray<Float32Array>(baseline, 'baseline', Float32Array, a.length);
  return [a, b, grouping(options<Grouping>(opts, 'options', groupingKeys), a.length)] as const;
}

/**
 * RLP: reward = log p(next token | context, thought) - log p_EMA(next token | context), advantage
 * = the leave-one-out G / (G - 1) (r - mean) over the G thoughts of a position (one group each;
 * every group needs at least 2).
 */
export async function rlpAdvantages(withThought: Float32Array, baseline: Float32Array, options: Grouping): Promise<RlpAdvantagesResult> {
  return native().rlpAdvantages(...prepareRlp(withThought, baseline, options)) as Promise<RlpAdvantagesResult>;
}

/** rlpAdvantages on the calling thread. */
export function rlpAdvantagesSync(withThought: Float32Array, baseline: Float32Array, options: Grouping): RlpAdvantagesResult {
  return native().rlpAdvantagesSync(...prepareRlp(withThought, baseline, options)) as RlpAdvantagesResult;
}
