// infopoAdvantages: InfoPO's fusion of a group-normalized outcome advantage with token-level
// information-gain rewards (compute_info_grpo_advantage, Equalized turn credits).
import { type Grouping, type TokenLayout, grouping, stdEpsilon, tokenLayout } from './grouping';
import { native } from './native';
import { boolean, field, finiteNumber, inputObject, keysOf, nonNegative, options, positiveNumber, typedArray } from './validate';

/** The rollouts' arrays and their grouping (`groups` or `groupSize`). */
export type InfopoInput = InfopoArrays & Grouping;

export interface InfopoArrays {
  /** Outcome score S_b of each rollout (the sum of its turn rewards). */
  scores: Float32Array;
  /** Intrinsic reward of each token of the layout (IG_t / len on the tokens of action t). */
  intrinsic: Float32Array;
  /** 1 where `intrinsic` holds a reward (an exact 0 included), 0 elsewhere: replaces the reference's != 0 test. */
  present: Uint8Array;
  /** Rows = rollouts; mask = the response (loss) mask. */
  layout: TokenLayout;
}

export interface InfopoOptions {
  /** intrinsic_weight beta. Default 0.5 (the paper's main run; the code default and tau2 use 0.1). */
  beta?: number;
  /** intrinsic_gate_temperature T of gate = sigmoid(-std_g / T). Default 0.5 (code default and tau2: 0.05). */
  temperature?: number;
  /** intrinsic_decay_rate: beta_t = beta * exp(-decay * epoch). Default 0. */
  decay?: number;
  /** Current epoch for the decay. Default 0. */
  epoch?: number;
  /** Epsilon of every std (group, intrinsic, batch). Default 1e-6. */
  eps?: number;
  /** The floor of the bounded ratio's target std (hard-coded 1.0 in the reference). Default 1. */
  baselineStd?: number;
  /** Divide outcome and intrinsic advantages by their group std (norm_adv_by_std_in_grpo). Default true. */
  normalizeByStd?: boolean;
  /** Group-normalize the intrinsic rewards (normalize_intrinsic). false: raw rewards. Default true. */
  normalizeIntrinsic?: boolean;
}

export interface InfopoResult {
  /** A[t] = outcome_b + betaT * gate_b * ratio * A_int[t] on valid tokens, 0 on masked ones. */
  advantages: Float32Array;
  /** The group-normalized outcome advantage of each rollout. */
  outcome: Float32Array;
  /** sigmoid(-std_g / T) of each rollout's outcome group. */
  gate: Float32Array;
  /** min(1, max(outcomeStd + eps, baselineStd) / (intrinsicStd + eps)). */
  ratio: number;
  /** beta * exp(-decay * epoch). */
  betaT: number;
  /** Unbiased std of the outcome advantage over every valid token of the batch (0 below 2 tokens). */
  outcomeStd: number;
  /** Unbiased std of the intrinsic advantage over every valid token of the batch (absent rewards count as 0). */
  intrinsicStd: number;
  /** Per group: outcome mean / std / rollouts (after the singleton rule), intrinsic mean / std / present tokens. */
  groups: {
    ids: Int32Array;
    outcome: { mean: Float32Array; std: Float32Array; count: Int32Array };
    intrinsic: { mean: Float32Array; std: Float32Array; count: Int32Array };
  };
}

const inputKeys = keysOf<InfopoInput>()('scores', 'intrinsic', 'present', 'layout', 'groups', 'groupSize');
const optionKeys = keysOf<InfopoOptions>()(
  'beta', 'temperature', 'decay', 'epoch', 'eps', 'baselineStd', 'normalizeByStd', 'normalizeIntrinsic',
);

function prepare(input: unknown, opts: unknown) {
  const i = inputObject<InfopoInput>(input, inputKeys);
  const scores = typedArray<Float32Array>(i.scores, 'scores', Float32Array);
  const { layout, tokens } = tokenLayout(i.layout, scores.length);
  const arrays = {
    scores,
    intrinsic: typedArray<Float32Array>(i.intrinsic, 'intrinsic', Float32Array, tokens),
    present: typedArray<Uint8Array>(i.present, 'present', Uint8Array, tokens),
  };
  const o = options<InfopoOptions>(opts, 'options', optionKeys);
  const nativeOptions = {
    beta: field(o, 'beta', 0.5, finiteNumber),
    temperature: field(o, 'temperature', 0.5, positiveNumber),
    decay: field(o, 'decay', 0, finiteNumber),
    epoch: field(o, 'epoch', 0, finiteNumber),
    eps: field(o, 'eps', 1e-6, stdEpsilon),
    baselineStd: field(o, 'baselineStd', 1, nonNegative),
    normalizeByStd: field(o, 'normalizeByStd', true, boolean),
    normalizeIntrinsic: field(o, 'normalizeIntrinsic', true, boolean),
  };
  return [arrays, layout, grouping(i, scores.length, 'input'), nativeOptions] as const;
}

/**
 * InfoPO advantages: the GRPO-normalized outcome score on every valid token, plus the intrinsic
 * (information-gain) reward normalized per group over the present rewards of its valid tokens
 * (token-weighted), scaled by a batch-level bounded ratio, a per-rollout variance gate and beta_t.
 */
export async function infopoAdvantages(input: InfopoInput, options?: InfopoOptions): Promise<InfopoResult> {
  return native().infopoAdvantages(...prepare(input, options)) as Promise<InfopoResult>;
}

/** infopoAdvantages on the calling thread. */
export function infopoAdvantagesSync(input: InfopoInput, options?: InfopoOptions): InfopoResult {
  return native().infopoAdvantagesSync(...prepare(input, options)) as InfopoResult;
}
