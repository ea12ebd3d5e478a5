// igpoAdvantages: IGPO's turn-level advantage from per-turn information gains and the final F1.
import { type Grouping, type TokenLayout, grouping, tokenLayout } from './grouping';
import { native } from './native';
import { boolean, choice, field, finiteNumber, inputObject, keysOf, nonNegative, options, typedArray, unitInterval } from './validate';

/** The rollouts' arrays and their grouping (`groups` or `groupSize`). */
export type IgpoInput = IgpoArrays & Grouping;

export interface IgpoArrays {
  /** Final reward of each rollout (F1, or -2 for a broken format), earned at its last valid token. */
  outcome: Float32Array;
  /** Information gain of every non-final turn, rollout after rollout. */
  gains: Float32Array;
  /** Rollout b's gains are gains[gainOffsets[b] .. gainOffsets[b + 1]) (rows + 1 entries, from 0). */
  gainOffsets: Int32Array;
  /**
   * For each gain, the position in its sequence (0-based, relative to the row start) of the last
   * token of the turn that earned it (the end of that turn's tool output). Strictly increasing
   * within a rollout and before its last valid token.
   */
  gainEnds: Int32Array;
  /** Rows = rollouts; every row needs at least one valid token. */
  layout: TokenLayout;
}

export interface IgpoOptions {
  /** 'joint' (default: the paper and the code's default): one set of group statistics over F1 and gains; 'separate' (train.sh): one each. */
  normalization?: 'joint' | 'separate';
  /** Turn-level discount: A_k = r_k + gamma A_(k+1). Default 1. */
  gamma?: number;
  /** Added to the std before dividing. Default 1e-6. */
  eps?: number;
  /** Curriculum weights applied to the rewards before normalization. Default 1. */
  outcomeWeight?: number;
  gainWeight?: number;
  /** Divide by the group std (norm_adv_by_std_in_grpo). Default true. */
  normalizeByStd?: boolean;
}

export interface IgpoResult {
  /** Each turn's advantage on its valid tokens, 0 on masked ones. */
  advantages: Float32Array;
  /** Advantage of each rollout's final (answer) turn. */
  outcomeAdvantages: Float32Array;
  /** Advantage of each gain turn. */
  gainAdvantages: Float32Array;
  /** Per group: statistics of the outcome and of the gains (population std sqrt(var + 1e-8), 1 below two values); both the joint ones in joint mode. */
  groups: {
    ids: Int32Array;
    outcome: { mean: Float32Array; std: Float32Array; count: Int32Array };
    gain: { mean: Float32Array; std: Float32Array; count: Int32Array };
  };
}

const inputKeys = keysOf<IgpoInput>()('outcome', 'gains', 'gainOffsets', 'gainEnds', 'layout', 'groups', 'groupSize');
const optionKeys = keysOf<IgpoOptions>()('normalization', 'gamma', 'eps', 'outcomeWeight', 'gainWeight', 'normalizeByStd');

function prepare(input: unknown, opts: unknown) {
  const i = inputObject<IgpoInput>(input, inputKeys);
  const outcome = typedArray<Float32Array>(i.outcome, 'outcome', Float32Array);
  const gains = typedArray<Float32Array>(i.gains, 'gains', Float32Array);
  const arrays = {
    outcome,
    gains,
    gainOffsets: typedArray<Int32Array>(i.gainOffsets, 'gainOffsets', Int32Array, outcome.length + 1),
    gainEnds: typedArray<Int32Array>(i.gainEnds, 'gainEnds', Int32Array, gains.length),
  };
  const { layout } = tokenLayout(i.layout, outcome.length);
  const o = options<IgpoOptions>(opts, 'options', optionKeys);
  const nativeOptions = {
    normalization: choice(o, 'normalization', ['joint', 'separate'], 'joint'),
    gamma: field(o, 'gamma', 1, unitInterval),
    eps: field(o, 'eps', 1e-6, nonNegative),
    outcomeWeight: field(o, 'outcomeWeight', 1, finiteNumber),
    gainWeight: field(o, 'gainWeight', 1, finiteNumber),
    normalizeByStd: field(o, 'normalizeByStd', true, boolean),
  };
  return [arrays, layout, grouping(i, outcome.length, 'input'), nativeOptions] as const;
}

/**
 * IGPO advantages: gains and outcomes normalized per group, accumulated backwards over turns, and
 * broadcast to each turn's tokens. Turn k covers the tokens after turn k-1's end up to gainEnds[k];
 * the final turn runs to the last valid token and carries the outcome.
 */
export async function igpoAdvantages(input: IgpoInput, options?: IgpoOptions): Promise<IgpoResult> {
  return native().igpoAdvantages(...prepare(input, options)) as Promise<IgpoResult>;
}

/** igpoAdvantages on the calling thread. */
export function igpoAdvantagesSync(input: IgpoInput, options?: IgpoOptions): IgpoResult {
  return native().igpoAdvantagesSync(...prepare(input, options)) as IgpoResult;
}
