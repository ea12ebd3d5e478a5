// Token-level advantages on a TokenLayout: broadcastToTokens (a per-sample value over each
// sequence's valid tokens), reinforcePP (REINFORCE++'s discounted return, batch-whitened) and
// promedAdvantages (ProMed's token reward minus its group's mean over all valid tokens).
import { type GroupStatistics, type Grouping, type TokenLayout, grouping, stdEpsilon, tokenLayout } from './grouping';
import { native } from './native';
import { choice, field, inputObject, keysOf, options, typedArray, unitInterval } from './validate';

function prepareBroadcast(perSample: unknown, layout: unknown) {
  const v = typedArray<Float32Array>(perSample, 'perSample', Float32Array);
  return [v, tokenLayout(layout, v.length).layout] as const;
}

/**
 * out[t] = perSample[sequence of t] on valid tokens, 0 on masked ones: one value per token of the
 * layout (rows = perSample.length). Values are copied as they are (NaN included).
 */
export async function broadcastToTokens(perSample: Float32Array, layout: TokenLayout): Promise<Float32Array> {
  return ((await native().broadcastToTokens(...prepareBroadcast(perSample, layout))) as { values: Float32Array }).values;
}

/** broadcastToTokens on the calling thread. */
export function broadcastToTokensSync(perSample: Float32Array, layout: TokenLayout): Float32Array {
  return (native().broadcastToTokensSync(...prepareBroadcast(perSample, layout)) as { values: Float32Array }).values;
}

export interface ReinforcePPOptions {
  /** Discount per valid token. Default 1. */
  gamma?: number;
  /**
   * A masked token inside a sequence (an observation): 'bridge' (default) lets the return flow
   * across it; 'reset' restarts the return there, as verl's reference loop does.
   */
  maskGaps?: 'bridge' | 'reset';
  /** (G - mean) / sqrt(var + whitenEps) over the batch's valid tokens. Default 1e-8. */
  whitenEps?: number;
}

export interface ReinforcePPResult {
  /** The whitened returns; 0 on masked tokens. */
  advantages: Float32Array;
  /** The discounted returns before whitening; 0 on masked tokens. */
  returns: Float32Array;
}

function prepareReinforce(tokenRewards: unknown, layout: unknown, opts: unknown) {
  const r = typedArray<Float32Array>(tokenRewards, 'tokenRewards', Float32Array);
  const l = tokenLayout(layout, undefined, r.length).layout;
  const o = options<ReinforcePPOptions>(opts, 'options', keysOf<ReinforcePPOptions>()('gamma', 'maskGaps', 'whitenEps'));
  const nativeOptions = {
    gamma: field(o, 'gamma', 1, unitInterval),
    maskGaps: choice(o, 'maskGaps', ['bridge', 'reset'], 'bridge'),
    whitenEps: field(o, 'whitenEps', 1e-8, stdEpsilon),
  };
  return [r, l, nativeOptions] as const;
}

/**
 * REINFORCE++: G_t = r_t + gamma G_(next valid token), restarting at each sequence's end, then
 * whitened over every valid token of the batch (unbiased variance). Needs >= 2 valid tokens.
 */
export async function reinforcePP(tokenRewards: Float32Array, layout: TokenLayout, options?: ReinforcePPOptions): Promise<ReinforcePPResult> {
  return native().reinforcePP(...prepareReinforce(tokenRewards, layout, options)) as Promise<ReinforcePPResult>;
}

/** reinforcePP on the calling thread. */
export function reinforcePPSync(tokenRewards: Float32Array, layout: TokenLayout, options?: ReinforcePPOptions): ReinforcePPResult {
  return native().reinforcePPSync(...prepareReinforce(tokenRewards, layout, options)) as ReinforcePPResult;
}

/** The token rewards, their layout and the rollouts' grouping (`groups` or `groupSize`). */
export type PromedInput = PromedArrays & Grouping;

export interface PromedArrays {
  /** Token-level rewards (alpha SIG_k + beta SIG_k [correct] on question tokens, gamma [correct] on answer tokens, ...). */
  rewards: Float32Array;
  layout: TokenLayout;
}

export interface PromedResult {
  advantages: Float32Array;
  /** Per group: the token mean subtracted and the number of valid tokens (no std: ProMed does not divide). */
  groups: Omit<GroupStatistics, 'std'>;
}

function preparePromed(input: unknown) {
  const i = inputObject<PromedInput>(input, keysOf<PromedInput>()('rewards', 'layout', 'groups', 'groupSize'));
  const r = typedArray<Float32Array>(i.rewards, 'rewards', Float32Array);
  const { layout, rows } = tokenLayout(i.layout, undefined, r.length);
  return [r, layout, grouping(i, rows, 'input')] as const;
}

/**
 * ProMed: A[t] = r[t] - (mean of r over every valid token of every rollout in the group), 0 on
 * masked tokens; no std division. Rows of the layout are the rollouts, grouped by groups / groupSize.
 */
export async function promedAdvantages(input: PromedInput): Promise<PromedResult> {
  return native().promedAdvantages(...preparePromed(input)) as Promise<PromedResult>;
}

/** promedAdvantages on the calling thread. */
export function promedAdvantagesSync(input: PromedInput): PromedResult {
  return native().promedAdvantagesSync(...preparePromed(input)) as PromedResult;
}
