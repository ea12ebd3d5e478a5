// Small reward / advantage formulas, vectorized: EMPG, SAR, PAR, Clip / Delta and InSight.
// Where the reference is uncertain ([unverified] in the notes), the uncertain part is an option.
import { typeError } from './errors';
import { native } from './native';
import { boolean, choice, field, finiteNumber, inputObject, integer, keysOf, oneOf, optionalArray, options, typedArray } from './validate';

// ---- EMPG -----------------------------------------------------------------------------------

export interface EmpgInput {
  /** Mean token entropy of each step (assistant segment), trajectory after trajectory. */
  entropy: Float32Array;
  /** The advantage of each trajectory (e.g. from groupAdvantages). */
  advantage: Float32Array;
  /** Trajectory i's steps are entropy[stepOffsets[i] .. stepOffsets[i + 1]) (trajectories + 1 entries, from 0). */
  stepOffsets: Int32Array;
  /** Optional token count of each step: weights of the final normalization (as if done over tokens). */
  stepTokens?: Int32Array;
}

export interface EmpgOptions {
  /** g(H) = exp(-k Hn) / mean(exp(-k Hn)). Default 1. */
  k?: number;
  /** f(H) = exp(-kf Hn). Default 1. */
  kf?: number;
  /** Weight of the future-clarity bonus zeta f(H_(t+1)). Default 0.1. */
  zeta?: number;
  /** [unverified in the reference] The final batch normalization: 'center' (default), 'standardize' or 'none'. */
  finalNormalization?: 'none' | 'center' | 'standardize';
}

export interface EmpgResult {
  /** g(H_t) A_i + zeta f(H_(t+1)), then the final normalization, per step. */
  advantages: Float32Array;
  /** g(H_t) per step (batch mean 1). */
  scale: Float32Array;
  /** zeta f(H_(t+1)) per step (0 at a trajectory's last step). */
  bonus: Float32Array;
}

const finals = ['none', 'center', 'standardize'] as const;

const empgInputKeys = keysOf<EmpgInput>()('entropy', 'advantage', 'stepOffsets', 'stepTokens');
const empgKeys = keysOf<EmpgOptions>()('k', 'kf', 'zeta', 'finalNormalization');

function prepareEmpg(input: unknown, opts: unknown) {
  const i = inputObject<EmpgInput>(input, empgInputKeys);
  const entropy = typedArray<Float32Array>(i.entropy, 'entropy', Float32Array);
  const advantage = typedArray<Float32Array>(i.advantage, 'advantage', Float32Array);
  const arrays = {
    entropy,
    advantage,
    stepOffsets: typedArray<Int32Array>(i.stepOffsets, 'stepOffsets', Int32Array, advantage.length + 1),
    stepTokens: optionalArray<Int32Array>(i.stepTokens, 'stepTokens', Int32Array, entropy.length),
  };
  const o = options<EmpgOptions>(opts, 'options', empgKeys);
  const nativeOptions = {
    k: field(o, 'k', 1, finiteNumber),
    kf: field(o, 'kf', 1, finiteNumber),
    zeta: field(o, 'zeta', 0.1, finiteNumber),
    finalNormalization: choice(o, 'finalNormalization', finals, 'center'),
  };
  return [arrays, nativeOptions] as const;
}

/**
 * EMPG: step entropies min-max normalized over the batch (Hn), then per step
 * A = g(H_t) A_trajectory + zeta f(H_(t+1)), then a batch-level final normalization.
 */
export async function empgAdvantages(input: EmpgInput, options?: EmpgOptions): Promise<EmpgResult> {
  return native().empgAdvantages(...prepareEmpg(input, options)) as Promise<EmpgResult>;
}

/** empgAdvantages on the calling thread. */
export function empgAdvantagesSync(input: EmpgInput, options?: EmpgOptions): EmpgResult {
  return native().empgAdvantagesSync(...prepareEmpg(input, options)) as EmpgResult;
}

// ---- SAR ------------------------------------------------------------------------------------

/** `useComparison: false` (-QA + 5) needs `useDenominator: false`. */
export type SarOptions = SarSettings &
  (
    | {
        /** Default true. */
        useComparison?: true;
        /** (A - QA) / A, floored at -1 (default true); false: A - QA. */
        useDenominator?: boolean;
      }
    | {
        /** -QA + 5. */
        useComparison: false;
        useDenominator: false;
      }
  );

export interface SarSettings {
  /** Use log-perplexities (cross-entropies) instead of perplexities. Default false. */
  useLog?: boolean;
  /** Above 1: both terms are capped at it first. Default -1 (off). */
  clipValue?: number;
}

const sarKeys = keysOf<SarOptions>()('useLog', 'useDenominator', 'useComparison', 'clipValue');

function prepareSar(conditioned: unknown, unconditioned: unknown, opts: unknown) {
  const c = typedArray<Float32Array>(conditioned, 'conditioned', Float32Array);
  const u = typedArray<Float32Array>(unconditioned, 'unconditioned', Float32Array, c.length);
  const o = options<SarOptions>(opts, 'options', sarKeys);
  const nativeOptions = {
    useLog: field(o, 'useLog', false, boolean),
    useDenominator: field(o, 'useDenominator', true, boolean),
    useComparison: field(o, 'useComparison', true, boolean),
    clipValue: field(o, 'clipValue', -1, finiteNumber),
  };
  return [c, u, nativeOptions] as const;
}

/**
 * SAR's self-aligned reward from two mean token log-probs per answer: `conditioned` under the
 * question, `unconditioned` under an empty prompt. With QA = exp(-conditioned) and A =
 * exp(-unconditioned) (the perplexities): max((A - QA) / (A + 1e-9), -1).
 */
export async function sarRewards(conditioned: Float32Array, unconditioned: Float32Array, options?: SarOptions): Promise<Float32Array> {
  return ((await native().sarRewards(...prepareSar(conditioned, unconditioned, options))) as { rewards: Float32Array }).rewards;
}

/** sarRewards on the calling thread. */
export function sarRewardsSync(conditioned: Float32Array, unconditioned: Float32Array, options?: SarOptions): Float32Array {
  return (native().sarRewardsSync(...prepareSar(conditioned, unconditioned, options)) as { rewards: Float32Array }).rewards;
}

// ---- PAR ------------------------------------------------------------------------------------

export interface ParInput {
  /** Reward-model score of each response. */
  rewards: Float32Array;
  /** Reward-model scores of the reference (SFT-policy) responses of each prompt. */
  references: Float32Array;
  /** Sample i's references are references[referenceOffsets[i] .. referenceOffsets[i + 1]); without it, equal slices. */
  referenceOffsets?: Int32Array;
  /** Response lengths in tokens, for the length penalty; without them, no penalty. */
  lengths?: Int32Array;
}

export interface ParOptions {
  /** sigmoid_k. Default 1. */
  k?: number;
  /** Use at most the first maxReferences references (reward_maxref). Default 10. */
  maxReferences?: number;
  /** Responses longer than this lose lengthPenalty per extra token. Defaults 300 and 0.01. */
  lengthThreshold?: number;
  lengthPenalty?: number;
}

const parInputKeys = keysOf<ParInput>()('rewards', 'references', 'referenceOffsets', 'lengths');
const parKeys = keysOf<ParOptions>()('k', 'maxReferences', 'lengthThreshold', 'lengthPenalty');

function preparePar(input: unknown, opts: unknown) {
  const i = inputObject<ParInput>(input, parInputKeys);
  const rewards = typedArray<Float32Array>(i.rewards, 'rewards', Float32Array);
  const arrays = {
    rewards,
    references: typedArray<Float32Array>(i.references, 'references', Float32Array),
    referenceOffsets: optionalArray<Int32Array>(i.referenceOffsets, 'referenceOffsets', Int32Array, rewards.length + 1),
    lengths: optionalArray<Int32Array>(i.lengths, 'lengths', Int32Array, rewards.length),
  };
  const o = options<ParOptions>(opts, 'options', parKeys);
  const nativeOptions = {
    k: field(o, 'k', 1, finiteNumber),
    maxReferences: field(o, 'maxReferences', 10, (v, name) => integer(v, name, 1)),
    lengthThreshold: field(o, 'lengthThreshold', 300, finiteNumber),
    lengthPenalty: field(o, 'lengthPenalty', 0.01, finiteNumber),
  };
  return [arrays, nativeOptions] as const;
}

/** PAR: r' = mean over the first M references of sigmoid(k (r - ref)), after the length penalty. */
export async function parRewards(input: ParInput, options?: ParOptions): Promise<Float32Array> {
  return ((await native().parRewards(...preparePar(input, options))) as { rewards: Float32Array }).rewards;
}

/** parRewards on the calling thread. */
export function parRewardsSync(input: ParInput, options?: ParOptions): Float32Array {
  return (native().parRewardsSync(...preparePar(input, options)) as { rewards: Float32Array }).rewards;
}

// ---- Clip / Delta ---------------------------------------------------------------------------

/**
 * `mode` 'clip': min(r - eta, 0); 'delta': r_k - r_(k+1); 'clip-delta' (the default): delta of the
 * clipped rewards. The clip modes need `eta`, the clip threshold.
 */
export type ClipDeltaOptions = ClipDeltaSettings & ({ mode?: 'clip' | 'clip-delta'; eta: number } | { mode: 'delta'; eta?: number });

export interface ClipDeltaSettings {
  /** [unverified in the reference] Delta's last step: 'zero' (default, the paper's figure) or 'keep' (its own value). */
  lastStep?: 'zero' | 'keep';
}

const modes = ['clip', 'delta', 'clip-delta'] as const;

const clipDeltaKeys = keysOf<ClipDeltaOptions>()('mode', 'eta', 'lastStep');

function prepareClipDelta(rewards: unknown, stepOffsets: unknown, opts: unknown) {
  const r = typedArray<Float32Array>(rewards, 'rewards', Float32Array);
  const s = typedArray<Int32Array>(stepOffsets, 'stepOffsets', Int32Array);
  const o = options<ClipDeltaOptions>(opts, 'options', clipDeltaKeys);
  const mode = field(o, 'mode', 'clip-delta', (v, name) => oneOf(v, name, modes));
  if (mode !== 'delta' && o.eta === undefined) throw typeError('eta', `eta (the clip threshold) is required for mode '${mode}'`);
  const nativeOptions = {
    mode: modes.indexOf(mode),
    eta: field(o, 'eta', 0, finiteNumber),
    lastStep: choice(o, 'lastStep', ['zero', 'keep'], 'zero'),
  };
  return [r, s, nativeOptions] as const;
}

/**
 * Clip / Delta refinement of process-reward-model step scores (Gao et al.), per trajectory:
 * steps of trajectory i are rewards[stepOffsets[i] .. stepOffsets[i + 1]).
 */
export async function clipDeltaRewards(rewards: Float32Array, stepOffsets: Int32Array, options: ClipDeltaOptions): Promise<Float32Array> {
  return ((await native().clipDeltaRewards(...prepareClipDelta(rewards, stepOffsets, options))) as { rewards: Float32Array }).rewards;
}

/** clipDeltaRewards on the calling thread. */
export function clipDeltaRewardsSync(rewards: Float32Array, stepOffsets: Int32Array, options: ClipDeltaOptions): Float32Array {
  return (native().clipDeltaRewardsSync(...prepareClipDelta(rewards, stepOffsets, options)) as { rewards: Float32Array }).rewards;
}

// ---- InSight --------------------------------------------------------------------------------

export interface InsightOptions {
  /** k, the rollouts whose outcomes the mutual information is about (Beta-Binomial). Default 1. */
  rollouts?: number;
  /** [unverified in the reference] The difficulty weight w(mean) of each prompt; scores = w * MI. Default 1. */
  weights?: Float32Array;
}

export interface InsightResult {
  /** weights * mutualInformation. */
  scores: Float32Array;
  /** I(p; k outcomes) in nats for p ~ Beta(alpha, beta). */
  mutualInformation: Float32Array;
  /** The mean belief alpha / (alpha + beta), where the difficulty weight is evaluated. */
  mean: Float32Array;
}

const insightKeys = keysOf<InsightOptions>()('rollouts', 'weights');

function prepareInsight(alpha: unknown, beta: unknown, opts: unknown) {
  const a = typedArray<Float32Array>(alpha, 'alpha', Float32Array);
  const b = typedArray<Float32Array>(beta, 'beta', Float32Array, a.length);
  const o = options<InsightOptions>(opts, 'options', insightKeys);
  const nativeOptions = {
    rollouts: field(o, 'rollouts', 1, (v, name) => integer(v, name, 1, 65536)),
    weights: optionalArray<Float32Array>(o.weights, 'weights', Float32Array, a.length),
  };
  return [a, b, nativeOptions] as const;
}

/**
 * InSight: per prompt, the mutual information between its Beta(alpha, beta) success rate and the
 * outcomes of k rollouts, H(outcomes) - k E[H_b(p)] (for k = 1: H_b(mu) - [psi(a+b+1) - mu psi(a+1)
 * - (1-mu) psi(b+1)]), times an optional difficulty weight.
 */
export async function insightScores(alpha: Float32Array, beta: Float32Array, options?: InsightOptions): Promise<InsightResult> {
  return native().insightScores(...prepareInsight(alpha, beta, options)) as Promise<InsightResult>;
}

/** insightScores on the calling thread. */
export function insightScoresSync(alpha: Float32Array, beta: Float32Array, options?: InsightOptions): InsightResult {
  return native().insightScoresSync(...prepareInsight(alpha, beta, options)) as InsightResult;
}
