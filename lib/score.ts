// The main job: rollouts + a causal LM -> per-turn InfoPO information gain, IGPO belief gain
// where a ground truth is given, and the fused advantages of each group.
//
// Per rollout with turns t = 0..T-1 (action t, observation t):
//  - InfoPO: for each turn with a non-empty observation and a next action, score the next action's
//    tokens under the real context and under the context whose observation t is replaced by the
//    length-matched placeholder (maskFeedback); infoGain turns the two into IG_t and per-token
//    rewards IG_t / len(action t) ('sampled': log-ratios; 'full': full-vocabulary KL).
//  - IGPO: v_s = mean log-prob of the ground truth after the context before action s and the
//    belief prefix, s = 0..T-1; beliefGain gives gain_s, which belongs to turn s - 1.
//  - Advantages over the whole batch: infopoAdvantages (outcome reward + gated intrinsic reward on
//    action tokens) and, when every rollout has a ground truth, igpoAdvantages.
import { beliefGainSync } from './beliefGain';
import { codes, describe, rangeError, typeError, typedArrayKind } from './errors';
import { igpoAdvantagesSync } from './igpo';
import { infoGainSync, scoredSpans } from './infoGain';
import { infopoAdvantagesSync } from './infopo';
import { maskFeedback } from './maskFeedback';
import type { LogprobSource, PrefixTree, TreeSpan, TreeRequest } from './model/source';
import { checkRollout, type GroupId, type Rollout, tokenizeRollout, type TokenizedRollout } from './rollouts';
import { keysOf, options } from './validate';

export interface ScoreOptions {
  /** 'sampled' (InfoPO's code) or 'full' (full-vocabulary KL over the same tokens). */
  mode: 'sampled' | 'full';
  /** Logits are divided by it when scoring (InfoPO uses raw logits: 1). */
  temperature: number;
  /** InfoPO intrinsic weight. */
  beta: number;
  /** InfoPO variance-gate temperature. */
  gateTemperature: number;
  /** IGPO turn discount. */
  gamma: number;
  /** InfoPO's observation placeholder. */
  placeholder: string;
  /** IGPO: what comes between the context and the ground truth. */
  beliefPrefix: string;
  /** IGPO gain: 'prob' (exp v_s - exp v_{s-1}) or 'logprob'. */
  beliefMode: 'prob' | 'logprob';
}

export const defaultScoreOptions: ScoreOptions = {
  mode: 'sampled',
  temperature: 1,
  beta: 0.5,
  gateTemperature: 0.5,
  gamma: 1,
  placeholder: 'No information found.',
  beliefPrefix: '\nA: ',
  beliefMode: 'prob',
};

export interface TurnScore {
  /** InfoPO IG_t, or null where the turn earns none (no observation, or the last turn). */
  infoGain: number | null;
  /** IGPO gain of this turn's observation, or null (no ground truth, the last turn, or skipped). */
  beliefGain: number | null;
}

export interface RolloutScore {
  id: string;
  /** As the input gave it: a string, or an integer. */
  group: GroupId;
  reward: number;
  /** Token ids of the sequence (prompt, then action and observation of each turn). */
  tokens: number;
  turns: TurnScore[];
  /** IGPO beliefs v_s (s = 0..T-1), when a ground truth is given. */
  beliefs?: (number | null)[];
  /** Per token: IG_t / len(action t) on action t's tokens, null where none. */
  tokenRewards: (number | null)[];
  /** Per token: InfoPO advantage on action tokens, null on the rest. */
  infopoAdvantages?: (number | null)[];
  /** Per token: IGPO advantage on action tokens, null on the rest (only when every rollout has a ground truth). */
  igpoAdvantages?: (number | null)[];
}

interface Scored {
  t: TokenizedRollout;
  gains: Float32Array;
  hasGain: Uint8Array;
  rewards: Float32Array;
  hasReward: Uint8Array;
  beliefs?: Float32Array;
  beliefGains?: Float32Array;
  hasBeliefGain?: Uint8Array;
}

function turnsOf(t: TokenizedRollout) {
  const n = t.turnSpans.length / 4;
  const pick = (k: number) => Int32Array.from({ length: n }, (_, i) => t.turnSpans[4 * i + k]);
  return { length: t.ids.length, actionStart: pick(0), actionEnd: pick(1), obsStart: pick(2), obsEnd: pick(3) };
}

/**
 * One rollout as a prefix tree: the real sequence; for every gain-earning turn t a branch at the
 * start of observation t holding the placeholder (length-matched, maskFeedback) and the next
 * action; where a ground truth is given, a branch at the start of every action s holding the
 * belief prefix and the ground truth. What is asked of the model:
 *  - 'sampled': log-probs of the next actions, real then masked, then of the ground truths;
 *  - 'full': the KL between real and masked next-action rows, and the ground truths' log-probs.
 */
export function rolloutTree(t: TokenizedRollout, placeholder: Int32Array, beliefPrefix: Int32Array, mode: 'sampled' | 'full'): TreeRequest {
  checkTokenized(t, 'rollout');
  for (const [value, name] of [[placeholder, 'placeholder'], [beliefPrefix, 'beliefPrefix']] as const)
    if (typedArrayKind(value) !== 'Int32Array') throw typeError(name, `${name} must be an Int32Array of token ids, got ${describe(value)}`);
  if (mode !== 'sampled' && mode !== 'full') throw typeError('mode', `mode must be 'sampled' or 'full', got ${describe(mode)}`);
  const turns = turnsOf(t);
  const scored = scoredSpans(turns);
  const tree: PrefixTree = { ids: t.ids, branches: [] };
  const real: TreeSpan[] = [], masked: TreeSpan[] = [];
  for (let i = 0, k = 0; i + 1 < turns.actionStart.length; i++) {
    if (turns.obsEnd[i] === turns.obsStart[i]) continue;
    const start = scored[2 * k], end = scored[2 * k + 1];
    k++;
    const obs = Int32Array.of(0, turns.obsEnd[i] - turns.obsStart[i]);
    tree.branches.push({ at: turns.obsStart[i], ids: maskFeedback(t.ids.subarray(turns.obsStart[i], end), obs, placeholder) });
    real.push({ sequence: -1, start, end });
    masked.push({ sequence: tree.branches.length - 1, start, end });
  }
  const beliefs: TreeSpan[] = [];
  if (t.groundTruth)
    for (const at of turns.actionStart) {
      const ids = new Int32Array(beliefPrefix.length + t.groundTruth.length);
      ids.set(beliefPrefix);
      ids.set(t.groundTruth, beliefPrefix.length);
      tree.branches.push({ at, ids });
      beliefs.push({ sequence: tree.branches.length - 1, start: at + beliefPrefix.length, end: at + ids.length });
    }
  if (mode === 'full') return { tree, logprobs: beliefs, divergences: real.map((r, i) => [r, masked[i]]) };
  return { tree, logprobs: [...real, ...masked, ...beliefs] };
}

export interface RolloutProblem {
  /** Index of the rollout in the list checked. */
  index: number;
  reason: string;
}

const float32Max = 3.4028234663852886e38;

/**
 * Everything about rollouts that would fail only after scoring started, found before any forward
 * pass: a reward that is not a finite float32, token ids outside the model's vocabulary, a sequence
 * longer than the model's context, and what the source cannot take (`problem`: e.g. memory).
 */
export function checkRollouts(rollouts: Rollout[], tokenized: TokenizedRollout[], source: LogprobSource, o: ScoreOptions): RolloutProblem[] {
  checkRolloutsAndOptions(rollouts, o);
  checkTokenizedList(tokenized, rollouts.length);
  checkSource(source);
  const problems: RolloutProblem[] = [];
  const placeholder = source.tokenizer.encode(o.placeholder), beliefPrefix = source.tokenizer.encode(o.beliefPrefix);
  const prefix = beliefPrefix.length;
  rollouts.forEach((r, index) => {
    const fail = (reason: string) => problems.push({ index, reason });
    if (!(Math.abs(r.reward) <= float32Max)) fail(`"reward" ${r.reward} overflows float32 (the kernels compute in float32)`);
    const texts: [string, Rollout['prompt'] | undefined][] = [['prompt', r.prompt], ...r.turns.flatMap((t, i): [string, Rollout['prompt'] | undefined][] => [[`turns[${i}].action`, t.action], [`turns[${i}].observation`, t.observation]]), ['groundTruth', r.groundTruth]];
    for (const [name, text] of texts) {
      if (!Array.isArray(text)) continue;
      const bad = text.findIndex((id) => id >= source.vocab);
      if (bad >= 0) return fail(`"${name}"[${bad}] = ${text[bad]} is outside the model's vocabulary [0, ${source.vocab})`);
    }
    const t = tokenized[index];
    if (!t) return;
    const steps = t.turnSpans.length / 4;
    const belief = t.groundTruth ? t.turnSpans[4 * (steps - 1)] + prefix + t.groundTruth.length : 0;
    const context = source.maxLength;
    if (context !== undefined && t.ids.length > context) return fail(`the rollout is ${t.ids.length} tokens long; the model reads at most ${context}`);
    if (context !== undefined && belief > context)
      return fail(`the IGPO belief sequence of its last step (context + belief prefix + groundTruth) is ${belief} tokens long; the model reads at most ${context}`);
    const problem = source.problem?.(rolloutTree(t, placeholder, beliefPrefix, o.mode));
    if (problem) fail(problem);
  });
  return problems;
}

/** Scores tokenized rollouts with the model: InfoPO gains and, where given, IGPO beliefs. */
export async function scoreTokenized(tok: TokenizedRollout[], source: LogprobSource, o: ScoreOptions): Promise<Scored[]> {
  checkTokenizedList(tok);
  checkSource(source);
  checkOptions(o);
  if (o.mode === 'full' && !source.fullDistributions)
    throw rangeError(codes.outOfRange, 'mode', "mode 'full' needs whole next-token distributions, which this source does not give: use 'sampled'");
  const placeholder = source.tokenizer.encode(o.placeholder);
  const prefix = source.tokenizer.encode(o.beliefPrefix);
  const requests = tok.map((t) => rolloutTree(t, placeholder, prefix, o.mode));
  const results = await source.score(requests, { temperature: o.temperature });
  return tok.map((t, i) => {
    const turns = turnsOf(t);
    const { logprobs, divergences } = results[i];
    // IG_t is the mean of d_j over action t+1's tokens: d_j = log-ratio ('sampled') or the KL the
    // source computed chunk by chunk ('full'), given to infoGain as KL_j - 0
    const spans = scoredSpans(turns);
    let scored = 0;
    for (let k = 0; k < spans.length; k += 2) scored += spans[k + 1] - spans[k];
    const gainInput =
      o.mode === 'full'
        ? { logpReal: divergences, logpMasked: new Float32Array(scored) }
        : { logpReal: logprobs.subarray(0, scored), logpMasked: logprobs.subarray(scored, 2 * scored) };
    const g = infoGainSync({ ...turns, mode: 'sampled', ...gainInput });
    const out: Scored = { t, ...g };
    if (t.groundTruth) {
      const steps = turns.actionStart.length, n = t.groundTruth.length;
      const beliefLogprobs = o.mode === 'full' ? logprobs : logprobs.subarray(2 * scored);
      const spans = Int32Array.from({ length: 2 * steps }, (_, k) => (k >> 1) * n + (k & 1) * n);
      const bg = beliefGainSync({ logprobs: beliefLogprobs, spans, mode: o.beliefMode });
      out.beliefs = bg.beliefs;
      out.beliefGains = bg.gains;
      out.hasBeliefGain = bg.hasGain;
    }
    return out;
  });
}

/** Scores one chunk of rollouts with the model: InfoPO gains and, where given, IGPO beliefs. */
export async function scoreChunk(rollouts: Rollout[], source: LogprobSource, o: ScoreOptions): Promise<Scored[]> {
  checkChunkInputs(rollouts, source, o);
  return scoreTokenized(rollouts.map((r) => tokenizeRollout(r, source.tokenizer)), source, o);
}

const num = (v: number, present: boolean) => (present ? v : null);

const scoreOptionKeys = keysOf<ScoreOptions>()('mode', 'temperature', 'beta', 'gateTemperature', 'gamma', 'placeholder', 'beliefPrefix', 'beliefMode');

/** An array of rollouts and the score options (typed errors). */
function checkRolloutsAndOptions(rollouts: unknown, o: unknown): asserts rollouts is unknown[] {
  if (!Array.isArray(rollouts)) throw typeError('rollouts', `rollouts must be an array of rollouts, got ${describe(rollouts)}`);
  rollouts.forEach((r, i) => checkRollout(r, `rollouts[${i}]`));
  checkOptions(o);
}

function checkOptions(o: unknown): void {
  if (o === undefined) throw typeError('options', 'options (ScoreOptions, e.g. defaultScoreOptions) are required');
  options<ScoreOptions>(o, 'options', scoreOptionKeys);
}

/** What tokenizeRollout returns: ids, turn spans in multiples of 4, an optional ground truth. */
function checkTokenized(t: unknown, name: string): void {
  const r = t as Partial<TokenizedRollout> | null;
  const ok = r !== null && typeof r === 'object' && typedArrayKind(r.ids) === 'Int32Array' && typedArrayKind(r.turnSpans) === 'Int32Array' &&
    r.turnSpans!.length > 0 && r.turnSpans!.length % 4 === 0 && (r.groundTruth === undefined || typedArrayKind(r.groundTruth) === 'Int32Array');
  if (!ok) throw typeError(name, `${name} must be what tokenizeRollout returns ({ ids, turnSpans[, groundTruth] } as Int32Arrays), got ${describe(t)}`);
}

function checkTokenizedList(list: unknown, length?: number): void {
  if (!Array.isArray(list)) throw typeError('tokenized', `tokenized must be an array of tokenized rollouts, got ${describe(list)}`);
  if (length !== undefined && list.length !== length)
    throw rangeError(codes.shape, 'tokenized', `tokenized has ${list.length} entries for ${length} rollouts`);
  list.forEach((t, i) => checkTokenized(t, `tokenized[${i}]`));
}

function checkSource(source: unknown): void {
  const s = source as Partial<LogprobSource> | null;
  if (s === null || typeof s !== 'object' || typeof s.score !== 'function' || typeof s.tokenizer?.encode !== 'function')
    throw typeError('source', `source must be a LogprobSource (e.g. an OnnxScorer), got ${describe(source)}`);
}

/** scoreChunk's arguments. */
function checkChunkInputs(rollouts: unknown, source: unknown, o: unknown): void {
  checkRolloutsAndOptions(rollouts, o);
  checkSource(source);
}

/** finishScores' arguments: rollouts, what scoreChunk made of each, and the options. */
function checkFinishInputs(rollouts: unknown, scored: unknown, o: unknown): void {
  checkRolloutsAndOptions(rollouts, o);
  if (!Array.isArray(scored)) throw typeError('scored', `scored must be the array scoreChunk returned, got ${describe(scored)}`);
  if (scored.length !== rollouts.length)
    throw rangeError(codes.shape, 'scored', `scored has ${scored.length} entries for ${rollouts.length} rollouts`);
  scored.forEach((s: Partial<Scored> | null, i) => {
    const ok = s !== null && typeof s === 'object' && s.t !== null && typeof s.t === 'object' &&
      typedArrayKind(s.t.ids) === 'Int32Array' && typedArrayKind(s.t.turnSpans) === 'Int32Array' &&
      typedArrayKind(s.gains) === 'Float32Array' && typedArrayKind(s.hasGain) === 'Uint8Array' &&
      typedArrayKind(s.rewards) === 'Float32Array' && typedArrayKind(s.hasReward) === 'Uint8Array';
    if (!ok) throw typeError(`scored[${i}]`, `scored[${i}] is not what scoreChunk returns for a rollout`);
  });
}

/** Advantages over the whole batch, and the per-rollout records. */
export function finishScores(rollouts: Rollout[], scored: Scored[], o: ScoreOptions): RolloutScore[] {
  checkFinishInputs(rollouts, scored, o);
  // groups are equal when their JSON values are: a Map compares 1 and 1.0 as one key, "1" as another
  const groupIds = new Map<GroupId, number>();
  const groups = Int32Array.from(rollouts, (r) => {
    if (!groupIds.has(r.group)) groupIds.set(r.group, groupIds.size);
    return groupIds.get(r.group)!;
  });
  const offsets = new Int32Array(rollouts.length + 1);
  scored.forEach((s, i) => (offsets[i + 1] = offsets[i] + s.t.ids.length));
  const total = offsets[rollouts.length];
  // the loss mask: action tokens (prompt and observations are not the agent's)
  const mask = new Uint8Array(total), intrinsic = new Float32Array(total), present = new Uint8Array(total);
  scored.forEach((s, i) => {
    const sp = s.t.turnSpans;
    for (let k = 0; k < sp.length; k += 4) mask.fill(1, offsets[i] + sp[k], offsets[i] + sp[k + 1]);
    intrinsic.set(s.rewards, offsets[i]);
    present.set(s.hasReward, offsets[i]);
  });
  const scores = Float32Array.from(rollouts, (r) => r.reward);
  const layout = { offsets, mask };
  const infopo = total ? infopoAdvantagesSync({ scores, intrinsic, present, layout, groups }, { beta: o.beta, temperature: o.gateTemperature }) : undefined;

  let igpo: Float32Array | undefined;
  if (scored.every((s) => s.beliefGains)) {
    const gains: number[] = [], ends: number[] = [];
    const gainOffsets = new Int32Array(rollouts.length + 1);
    scored.forEach((s, i) => {
      // gain of step s belongs to turn s - 1: placed on the last token of its observation
      for (let st = 1; st < s.beliefGains!.length; st++) {
        if (!s.hasBeliefGain![st]) continue;
        gains.push(s.beliefGains![st]);
        ends.push(s.t.turnSpans[4 * (st - 1) + 3] - 1);
      }
      gainOffsets[i + 1] = gains.length;
    });
    igpo = igpoAdvantagesSync(
      { outcome: scores, gains: Float32Array.from(gains), gainOffsets, gainEnds: Int32Array.from(ends), layout, groups },
      { gamma: o.gamma },
    ).advantages;
  }

  return rollouts.map((r, i) => {
    const s = scored[i];
    const n = s.t.ids.length, at = offsets[i];
    const tokenValues = (values: Float32Array) => Array.from({ length: n }, (_, j) => num(values[at + j], mask[at + j] === 1));
    const turns = Array.from({ length: s.gains.length }, (_, t) => ({
      infoGain: num(s.gains[t], s.hasGain[t] === 1),
      beliefGain: s.beliefGains && t + 1 < s.beliefGains.length ? num(s.beliefGains[t + 1], s.hasBeliefGain![t + 1] === 1) : null,
    }));
    const record: RolloutScore = {
      id: r.id,
      group: r.group,
      reward: r.reward,
      tokens: n,
      turns,
      tokenRewards: Array.from(s.rewards, (v, j) => num(v, s.hasReward[j] === 1)),
    };
    if (s.beliefs) record.beliefs = Array.from(s.beliefs, (v) => (Number.isFinite(v) ? v : null));
    if (infopo) record.infopoAdvantages = tokenValues(infopo.advantages);
    if (igpo) record.igpoAdvantages = tokenValues(igpo);
    return record;
  });
}
