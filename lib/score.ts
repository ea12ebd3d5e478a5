// The main job: rollouts + a causal LM -> per-turn InfoPO information gain, IGPO belief gain
// where a ground truth is given, and the fused advantages of each group; on request (`rewards`)
// Nous belief-entropy gain, C-IP prediction-set sizes and PEAR phase-entropy rewards, all from
// one prefix tree per rollout (one pass of the model).
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
//  - Nous / C-IP: at the start of every action s, each attribute's candidates scored after the
//    question (rewards/attributes.ts); rewards/nous.ts and rewards/cip.ts turn them into rewards.
//  - PEAR: the entropy behind every action token (rewards/pear.ts).
import { beliefGainSync } from './beliefGain';
import { abortSignal, codes, describe, rangeError, throwIfAborted, typeError, typedArrayKind } from './errors';
import { igpoAdvantagesSync } from './igpo';
import { infoGainSync, scoredSpans } from './infoGain';
import { infopoAdvantagesSync } from './infopo';
import { maskFeedback } from './maskFeedback';
import type { LogprobSource, PrefixTree, TreeSpan, TreeRequest } from './model/source';
import { attributeBranches, attributesLengthProblem, attributeTexts, candidateRows, isTokenizedAttributes } from './rewards/attributes';
import {
  type CalibrationCoverage, calibratedProblem, calibrationCoverage, calibrationProblem, type CalibrationRow, calibrationRows, type CipScore, cipScore,
  type ConformalCalibration,
} from './rewards/cip';
import { nousScore, type NousScore } from './rewards/nous';
import { actionSpans, type Phases, type PearOptions, type PearScore, pearScores, splitPhases } from './rewards/pear';
import { checkRollout, type GroupId, type Rollout, tokenizeRollout, type TokenizedRollout } from './rollouts';
import { isText } from './text';
import { keysOf, options, positiveNumber } from './validate';

/** The rewards `infogain score` can compute; any set of them comes from one pass of the model. */
export const rewardNames = ['infopo', 'igpo', 'nous', 'cip', 'pear'] as const;
export type Reward = (typeof rewardNames)[number];
/** InfoPO gains and advantages, and IGPO where a rollout has a groundTruth. */
export const defaultRewards: readonly Reward[] = ['infopo', 'igpo'];

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
  /** Which rewards to compute. Default defaultRewards. 'nous' and 'cip' need every rollout's `attributes`. */
  rewards?: readonly Reward[];
  /**
   * C-IP's thresholds (rewards/cip.ts: calibrate), required with 'cip'. checkRollouts needs only
   * what the calibration rollouts cover (calibrationCoverage), known before they are scored.
   */
  conformal?: ConformalCalibration | CalibrationCoverage;
  /** PEAR's weights and delimiter, required with 'pear'. */
  pear?: PearOptions;
}

/** Frozen: one caller's change would otherwise be every later caller's default. Spread it to change a field. */
export const defaultScoreOptions: Readonly<ScoreOptions> = Object.freeze({
  mode: 'sampled',
  temperature: 1,
  beta: 0.5,
  gateTemperature: 0.5,
  gamma: 1,
  placeholder: 'No information found.',
  beliefPrefix: '\nA: ',
  beliefMode: 'prob',
});

/** A turn's rewards; each field is there when its reward is computed. */
export interface TurnScore {
  /** InfoPO IG_t, or null where the turn earns none (no observation, or the last turn). */
  infoGain?: number | null;
  /** IGPO gain of this turn's observation, or null (no ground truth, the last turn, or skipped). */
  beliefGain?: number | null;
  /** Nous: the reduction of the summed belief entropy from the start of this action to the next; null on the last turn. */
  beliefEntropyGain?: number | null;
  /** C-IP: the reduction of the mean prediction-set size from the start of this action to the next; null on the last turn. */
  setSizeGain?: number | null;
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
  /** Per token: IG_t / len(action t) on action t's tokens, null where none (InfoPO). */
  tokenRewards?: (number | null)[];
  /** Per token: InfoPO advantage on action tokens, null on the rest. */
  infopoAdvantages?: (number | null)[];
  /** Per token: IGPO advantage on action tokens, null on the rest (only when every rollout has a ground truth). */
  igpoAdvantages?: (number | null)[];
  /** Nous: per step the summed belief entropy, each attribute's, and the return (the gains are in `turns`). */
  nous?: Omit<NousScore, 'gains'>;
  /** C-IP: per step the mean set size, each attribute's set size and, with the truth, coverage (the gains are in `turns`). */
  cip?: Omit<CipScore, 'gains'>;
  /** PEAR: the phase entropies of the agent's tokens and the reward. */
  pear?: PearScore;
}

/** What scoreTokenized makes of a rollout: InfoPO's gains and token rewards (with 'infopo'), and the rest where asked. */
export interface Scored {
  t: TokenizedRollout;
  gains?: Float32Array;
  hasGain?: Uint8Array;
  rewards?: Float32Array;
  hasReward?: Uint8Array;
  beliefs?: Float32Array;
  beliefGains?: Float32Array;
  hasBeliefGain?: Uint8Array;
  nous?: NousScore;
  cip?: CipScore;
  phases?: Phases;
}

function turnsOf(t: TokenizedRollout) {
  const n = t.turnSpans.length / 4;
  const pick = (k: number) => Int32Array.from({ length: n }, (_, i) => t.turnSpans[4 * i + k]);
  return { length: t.ids.length, actionStart: pick(0), actionEnd: pick(1), obsStart: pick(2), obsEnd: pick(3) };
}

/** Where each part's values lie in a request's `logprobs` result, as [start, end). */
interface Sections {
  /** InfoPO's next-action tokens, real then masked ('sampled'; empty in 'full', whose values are the divergences). */
  real: [number, number];
  masked: [number, number];
  beliefs: [number, number];
  attributes: [number, number];
  actions: [number, number];
}

/**
 * One rollout as a prefix tree: the real sequence; with 'infopo', for every gain-earning turn t a
 * branch at the start of observation t holding the placeholder (length-matched, maskFeedback) and
 * the next action; with 'igpo' where a ground truth is given, a branch at the start of every action
 * s holding the belief prefix and the ground truth; with 'nous' or 'cip', a branch at the start of
 * every action per attribute candidate (question + candidate). What is asked of the model:
 *  - 'sampled': log-probs of the next actions, real then masked, then of the ground truths;
 *  - 'full': the KL between real and masked next-action rows, and the ground truths' log-probs;
 *  - then the candidates' log-probs, then (with 'pear') the actions' tokens with their entropies.
 */
export function rolloutTree(t: TokenizedRollout, placeholder: Int32Array, beliefPrefix: Int32Array, mode: 'sampled' | 'full', rewards: readonly Reward[] = defaultRewards): TreeRequest {
  checkTokenized(t, 'rollout');
  for (const [value, name] of [[placeholder, 'placeholder'], [beliefPrefix, 'beliefPrefix']] as const)
    if (typedArrayKind(value) !== 'Int32Array') throw typeError(name, `${name} must be an Int32Array of token ids, got ${describe(value)}`);
  if (mode !== 'sampled' && mode !== 'full') throw typeError('mode', `mode must be 'sampled' or 'full', got ${describe(mode)}`);
  return buildTree(t, placeholder, beliefPrefix, mode, rewardSet(rewards, 'rewards')).request;
}

function buildTree(t: TokenizedRollout, placeholder: Int32Array, beliefPrefix: Int32Array, mode: 'sampled' | 'full', rewards: ReadonlySet<Reward>): { request: TreeRequest; sections: Sections } {
  const turns = turnsOf(t);
  const tree: PrefixTree = { ids: t.ids, branches: [] };
  const real: TreeSpan[] = [], masked: TreeSpan[] = [];
  if (rewards.has('infopo')) {
    const scored = scoredSpans(turns);
    for (let i = 0, k = 0; i + 1 < turns.actionStart.length; i++) {
      if (turns.obsEnd[i] === turns.obsStart[i]) continue;
      const start = scored[2 * k], end = scored[2 * k + 1];
      k++;
      const obs = Int32Array.of(0, turns.obsEnd[i] - turns.obsStart[i]);
      tree.branches.push({ at: turns.obsStart[i], ids: maskFeedback(t.ids.subarray(turns.obsStart[i], end), obs, placeholder) });
      real.push({ sequence: -1, start, end });
      masked.push({ sequence: tree.branches.length - 1, start, end });
    }
  }
  const beliefs: TreeSpan[] = [];
  if (rewards.has('igpo') && t.groundTruth)
    for (const at of turns.actionStart) {
      const ids = new Int32Array(beliefPrefix.length + t.groundTruth.length);
      ids.set(beliefPrefix);
      ids.set(t.groundTruth, beliefPrefix.length);
      tree.branches.push({ at, ids });
      beliefs.push({ sequence: tree.branches.length - 1, start: at + beliefPrefix.length, end: at + ids.length });
    }
  const attributes = (rewards.has('nous') || rewards.has('cip')) && t.attributes ? attributeBranches(t.attributes, turns.actionStart, tree) : [];
  const actions = rewards.has('pear') ? actionSpans(t.turnSpans) : [];
  const parts = mode === 'full' ? [[], [], beliefs, attributes, actions] : [real, masked, beliefs, attributes, actions];
  const bounds: [number, number][] = [];
  let at = 0;
  for (const part of parts) {
    const start = at;
    for (const span of part) at += span.end - span.start;
    bounds.push([start, at]);
  }
  const request: TreeRequest = { tree, logprobs: parts.flat() };
  if (mode === 'full') request.divergences = real.map((r, i) => [r, masked[i]]);
  if (actions.length) request.entropy = true;
  const [realAt, maskedAt, beliefsAt, attributesAt, actionsAt] = bounds;
  return { request, sections: { real: realAt, masked: maskedAt, beliefs: beliefsAt, attributes: attributesAt, actions: actionsAt } };
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
 * longer than the model's context, attributes missing or not calibrated for the rewards asked,
 * and what the source cannot take (`problem`: e.g. memory).
 */
export function checkRollouts(rollouts: Rollout[], tokenized: TokenizedRollout[], source: LogprobSource, o: ScoreOptions): RolloutProblem[] {
  checkRolloutList(rollouts);
  const rewards = checkOptions(o);
  checkTokenizedList(tokenized, rollouts.length);
  checkSource(source);
  const problems: RolloutProblem[] = [];
  const placeholder = source.tokenizer.encode(o.placeholder), beliefPrefix = source.tokenizer.encode(o.beliefPrefix);
  const prefix = beliefPrefix.length;
  const attributeRewards = ['nous', 'cip'].filter((n) => rewards.has(n as Reward));
  rollouts.forEach((r, index) => {
    const fail = (reason: string) => problems.push({ index, reason });
    if (!(Math.abs(r.reward) <= float32Max)) fail(`"reward" ${r.reward} overflows float32 (the kernels compute in float32)`);
    const texts: [string, Rollout['prompt'] | undefined][] = [['prompt', r.prompt], ...r.turns.flatMap((t, i): [string, Rollout['prompt'] | undefined][] => [[`turns[${i}].action`, t.action], [`turns[${i}].observation`, t.observation]]), ['groundTruth', r.groundTruth], ...attributeTexts(r)];
    for (const [name, text] of texts) {
      if (!Array.isArray(text)) continue;
      const bad = text.findIndex((id) => id >= source.vocab);
      if (bad >= 0) return fail(`"${name}"[${bad}] = ${text[bad]} is outside the model's vocabulary [0, ${source.vocab})`);
    }
    if (attributeRewards.length && r.attributes === undefined) return fail(`${attributeRewards.length > 1 ? 'the rewards nous and cip need' : `the reward ${attributeRewards[0]} needs`} "attributes" and a "question"`);
    const t = tokenized[index];
    if (!t) return;
    const steps = t.turnSpans.length / 4, lastAction = t.turnSpans[4 * (steps - 1)];
    const belief = rewards.has('igpo') && t.groundTruth ? lastAction + prefix + t.groundTruth.length : 0;
    const context = source.maxLength;
    if (context !== undefined && t.ids.length > context) return fail(`the rollout is ${t.ids.length} tokens long; the model reads at most ${context}`);
    if (context !== undefined && belief > context)
      return fail(`the IGPO belief sequence of its last step (context + belief prefix + groundTruth) is ${belief} tokens long; the model reads at most ${context}`);
    if (attributeRewards.length) {
      const problem = attributesLengthProblem(t.attributes!, lastAction, source) ?? (rewards.has('cip') ? calibratedProblem(t.attributes!, steps, o.conformal!) : undefined);
      if (problem) return fail(problem);
    }
    const problem = source.problem?.(buildTree(t, placeholder, beliefPrefix, o.mode, rewards).request);
    if (problem) fail(problem);
  });
  return problems;
}

/**
 * checkRollouts for C-IP calibration rollouts (calibrationScores): everything the attribute
 * branches need, and the truth of every attribute.
 */
export function checkCalibrationRollouts(rollouts: Rollout[], tokenized: TokenizedRollout[], source: LogprobSource, o: ScoreOptions): RolloutProblem[] {
  // the calibration rollouts need what the attribute branches need, whatever the rewards of o
  const attributeOptions: ScoreOptions = { ...o, rewards: ['nous'] };
  checkRolloutList(rollouts);
  checkOptions(attributeOptions);
  checkTokenizedList(tokenized, rollouts.length);
  const problems: RolloutProblem[] = [];
  tokenized.forEach((t, index) => {
    const problem = t ? calibrationProblem(t.attributes) : undefined;
    if (problem) problems.push({ index, reason: problem });
  });
  const failed = new Set(problems.map((p) => p.index));
  for (const p of checkRollouts(rollouts, tokenized, source, attributeOptions)) if (!failed.has(p.index)) problems.push(p), failed.add(p.index);
  for (const [index, reason] of calibrationCoverage(tokenized).problems) if (!failed.has(index)) problems.push({ index, reason });
  return problems.sort((a, b) => a.index - b.index);
}

/**
 * C-IP's calibration rows (rewards/cip.ts: calibrate) of tokenized calibration rollouts, scored
 * with the model: only the attribute branches are asked for. Every rollout needs the truth of
 * every attribute (checkCalibrationRollouts says which do not).
 */
export async function calibrationScores(tok: TokenizedRollout[], source: LogprobSource, opts?: { temperature?: number }): Promise<CalibrationRow[]> {
  checkTokenizedList(tok);
  checkSource(source);
  const o = options<{ temperature?: number }>(opts, 'options', ['temperature']);
  const temperature = o.temperature === undefined ? 1 : positiveNumber(o.temperature, 'temperature');
  const requests = tok.map((t, i): TreeRequest => {
    const problem = calibrationProblem(t.attributes);
    if (problem) throw typeError(`tokenized[${i}]`, `tokenized[${i}]: ${problem}`);
    const tree: PrefixTree = { ids: t.ids, branches: [] };
    return { tree, logprobs: attributeBranches(t.attributes!, turnsOf(t).actionStart, tree) };
  });
  const results = await source.score(requests, { temperature });
  return tok.flatMap((t, i) => calibrationRows(t.attributes!, candidateRows(t.attributes!, t.turnSpans.length / 4, results[i].logprobs)));
}

const slice = (values: Float32Array, [start, end]: [number, number]) => values.subarray(start, end);

/**
 * Scores tokenized rollouts with the model: the rewards of `o.rewards` (default InfoPO gains and,
 * where given, IGPO beliefs). `run.signal` is checked between forward passes: aborted, the call
 * rejects with ABORT_ERR and the model does no more of its work.
 */
export async function scoreTokenized(tok: TokenizedRollout[], source: LogprobSource, o: ScoreOptions, run?: { signal?: AbortSignal }): Promise<Scored[]> {
  checkTokenizedList(tok);
  checkSource(source);
  const rewards = checkOptions(o);
  const signal = abortSignal(options<{ signal?: AbortSignal }>(run, 'run', ['signal']).signal, 'run.signal');
  if (rewards.has('infopo') && o.mode === 'full' && !source.fullDistributions)
    throw rangeError(codes.outOfRange, 'mode', "mode 'full' needs whole next-token distributions, which this source does not give: use 'sampled'");
  if (rewards.has('pear') && !source.fullDistributions)
    throw rangeError(codes.outOfRange, 'rewards', "'pear' needs the entropies of whole next-token distributions, which this source does not give");
  const attributes = rewards.has('nous') || rewards.has('cip');
  const conformal = o.conformal as ConformalCalibration;
  if (rewards.has('cip') && !(typeof conformal.alpha === 'number' && [...conformal.attributes.values()].every((a) => a.qhat instanceof Float64Array)))
    throw typeError('options.conformal', 'options.conformal holds no thresholds: give what calibrate() returns');
  tok.forEach((t, i) => {
    if (!attributes) return;
    if (!t.attributes) throw typeError(`tokenized[${i}]`, `tokenized[${i}] has no attributes, which the rewards nous and cip need`);
    const problem = rewards.has('cip') ? calibratedProblem(t.attributes, t.turnSpans.length / 4, o.conformal!) : undefined;
    if (problem) throw rangeError(codes.outOfRange, `tokenized[${i}]`, `tokenized[${i}]: ${problem}`, i);
  });
  const placeholder = source.tokenizer.encode(o.placeholder);
  const prefix = source.tokenizer.encode(o.beliefPrefix);
  const built = tok.map((t) => buildTree(t, placeholder, prefix, o.mode, rewards));
  throwIfAborted(signal);
  const results = await source.score(built.map((b) => b.request), signal ? { temperature: o.temperature, signal } : { temperature: o.temperature });
  const scored = tok.map((t, i): Scored => {
    const turns = turnsOf(t);
    const { logprobs, divergences } = results[i], { sections } = built[i];
    const out: Scored = { t };
    if (rewards.has('infopo')) {
      // IG_t is the mean of d_j over action t+1's tokens: d_j = log-ratio ('sampled') or the KL the
      // source computed chunk by chunk ('full'), given to infoGain as KL_j - 0
      const gainInput =
        o.mode === 'full'
          ? { logpReal: divergences, logpMasked: new Float32Array(divergences.length) }
          : { logpReal: slice(logprobs, sections.real), logpMasked: slice(logprobs, sections.masked) };
      Object.assign(out, infoGainSync({ ...turns, mode: 'sampled', ...gainInput }));
    }
    if (rewards.has('igpo') && t.groundTruth) {
      const steps = turns.actionStart.length, n = t.groundTruth.length;
      const spans = Int32Array.from({ length: 2 * steps }, (_, k) => (k >> 1) * n + (k & 1) * n);
      const bg = beliefGainSync({ logprobs: slice(logprobs, sections.beliefs), spans, mode: o.beliefMode });
      out.beliefs = bg.beliefs;
      out.beliefGains = bg.gains;
      out.hasBeliefGain = bg.hasGain;
    }
    if (attributes) {
      const rows = candidateRows(t.attributes!, turns.actionStart.length, slice(logprobs, sections.attributes));
      if (rewards.has('nous')) out.nous = nousScore(t.attributes!, rows);
      if (rewards.has('cip')) out.cip = cipScore(t.attributes!, rows, conformal);
    }
    return out;
  });
  if (rewards.has('pear')) {
    const entropies = results.map((r, i) => {
      if (!r.entropies) throw rangeError(codes.outOfRange, 'source', `the source returned no entropies for requests[${i}], which asked for them`, i);
      return slice(r.entropies, built[i].sections.actions);
    });
    const delimiter = typeof o.pear!.delimiter === 'string' ? source.tokenizer.encode(o.pear!.delimiter) : Int32Array.from(o.pear!.delimiter);
    splitPhases(tok.map((t, i) => ({ ids: t.ids, turnSpans: t.turnSpans, entropies: entropies[i] })), delimiter).forEach((p, i) => (scored[i].phases = p));
  }
  return scored;
}

/** Scores one chunk of rollouts with the model: the rewards of `o.rewards` (default InfoPO gains and, where given, IGPO beliefs). */
export async function scoreChunk(rollouts: Rollout[], source: LogprobSource, o: ScoreOptions): Promise<Scored[]> {
  checkChunkInputs(rollouts, source, o);
  return scoreTokenized(rollouts.map((r) => tokenizeRollout(r, source.tokenizer)), source, o);
}

/**
 * A value the kernels computed in float32, as the number with the fewest significant digits that
 * rounds back to the same float32 (JSON then prints it in at most 9 digits instead of 17).
 */
export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v)) return v;
  const f = Math.fround(v);
  if (Number.isInteger(f) && Math.abs(f) <= 2 ** 24) return f;
  // binary search is exact: the nearest p + 1 digit decimal is never farther than the nearest p digit one
  let lo = 1, hi = 9;
  while (lo < hi) {
    const p = (lo + hi) >> 1;
    if (Math.fround(Number(f.toPrecision(p))) === f) hi = p;
    else lo = p + 1;
  }
  return Number(f.toPrecision(lo));
}

/** shortestFloat32 over every number of a computed field (arrays and plain objects, nulls and booleans kept). */
function compact<T>(x: T): T {
  if (typeof x === 'number') return shortestFloat32(x) as T;
  if (Array.isArray(x)) return x.map(compact) as T;
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, compact(v)])) as T;
  return x;
}

const num = (v: number, present: boolean) => (present ? shortestFloat32(v) : null);

const scoreOptionKeys = keysOf<ScoreOptions>()('mode', 'temperature', 'beta', 'gateTemperature', 'gamma', 'placeholder', 'beliefPrefix', 'beliefMode', 'rewards', 'conformal', 'pear');
const pearOptionKeys = keysOf<PearOptions>()('alpha', 'beta', 'delimiter');

/** A non-empty list of distinct reward names, as a set. */
function rewardSet(value: unknown, name: string): Set<Reward> {
  if (!Array.isArray(value) || value.length === 0) throw typeError(name, `${name} must be a non-empty array of reward names (${rewardNames.join(', ')}), got ${describe(value)}`);
  const set = new Set<Reward>();
  value.forEach((v, i) => {
    if (!rewardNames.includes(v)) throw rangeError(codes.outOfRange, name, `${name}[${i}] = ${describe(v)} is not one of ${rewardNames.join(', ')}`, i);
    if (set.has(v)) throw rangeError(codes.outOfRange, name, `${name}[${i}] repeats ${describe(v)}`, i);
    set.add(v);
  });
  return set;
}

/** An array of rollouts (typed errors). */
function checkRolloutList(rollouts: unknown): asserts rollouts is unknown[] {
  if (!Array.isArray(rollouts)) throw typeError('rollouts', `rollouts must be an array of rollouts, got ${describe(rollouts)}`);
  rollouts.forEach((r, i) => checkRollout(r, `rollouts[${i}]`));
}

/** The score options (typed errors); returns the rewards they ask for. */
function checkOptions(o: unknown): Set<Reward> {
  if (o === undefined) throw typeError('options', 'options (ScoreOptions, e.g. defaultScoreOptions) are required');
  const opts = options<ScoreOptions>(o, 'options', scoreOptionKeys);
  const rewards = rewardSet(opts.rewards ?? defaultRewards, 'options.rewards');
  if (rewards.has('cip')) {
    const c = opts.conformal as Partial<ConformalCalibration> | undefined;
    if (c === null || typeof c !== 'object' || !(c.attributes instanceof Map))
      throw typeError('options.conformal', "the reward 'cip' needs options.conformal, the thresholds from calibrate()");
  }
  if (rewards.has('pear')) {
    if (opts.pear === undefined) throw typeError('options.pear', "the reward 'pear' needs options.pear ({ alpha, beta?, delimiter })");
    const p = options<PearOptions>(opts.pear, 'options.pear', pearOptionKeys);
    if (typeof p.alpha !== 'number' || !Number.isFinite(p.alpha)) throw typeError('options.pear.alpha', 'options.pear.alpha must be a finite number');
    if (p.beta !== undefined && (typeof p.beta !== 'number' || !Number.isFinite(p.beta))) throw typeError('options.pear.beta', 'options.pear.beta must be a finite number');
    if (!isText(p.delimiter) || p.delimiter.length === 0) throw typeError('options.pear.delimiter', 'options.pear.delimiter must be a non-empty string or array of token ids');
  }
  return rewards;
}

/** What tokenizeRollout returns: ids, turn spans in multiples of 4, an optional ground truth. */
function checkTokenized(t: unknown, name: string): void {
  const r = t as Partial<TokenizedRollout> | null;
  const ok = r !== null && typeof r === 'object' && typedArrayKind(r.ids) === 'Int32Array' && typedArrayKind(r.turnSpans) === 'Int32Array' &&
    r.turnSpans!.length > 0 && r.turnSpans!.length % 4 === 0 && (r.groundTruth === undefined || typedArrayKind(r.groundTruth) === 'Int32Array') &&
    (r.attributes === undefined || isTokenizedAttributes(r.attributes));
  if (!ok) throw typeError(name, `${name} must be what tokenizeRollout returns ({ ids, turnSpans[, groundTruth, attributes] } as Int32Arrays), got ${describe(t)}`);
}

/** An array of what tokenizeRollout returns; `length` rollouts of which some may be missing (undefined: their tokenizing failed). */
function checkTokenizedList(list: unknown, length?: number): void {
  if (!Array.isArray(list)) throw typeError('tokenized', `tokenized must be an array of tokenized rollouts, got ${describe(list)}`);
  if (length !== undefined && list.length !== length)
    throw rangeError(codes.shape, 'tokenized', `tokenized has ${list.length} entries for ${length} rollouts`);
  list.forEach((t, i) => (length === undefined || t !== undefined) && checkTokenized(t, `tokenized[${i}]`));
}

function checkSource(source: unknown): void {
  const s = source as Partial<LogprobSource> | null;
  if (s === null || typeof s !== 'object' || typeof s.score !== 'function' || typeof s.tokenizer?.encode !== 'function')
    throw typeError('source', `source must be a LogprobSource (e.g. an OnnxScorer), got ${describe(source)}`);
}

/** scoreChunk's arguments. */
function checkChunkInputs(rollouts: unknown, source: unknown, o: unknown): void {
  checkRolloutList(rollouts);
  checkOptions(o);
  checkSource(source);
}

/** finishScores' arguments: rollouts, what scoreChunk made of each (with the rewards of `o`), and the options. */
function checkFinishInputs(rollouts: unknown, scored: unknown, o: ScoreOptions): Set<Reward> {
  checkRolloutList(rollouts);
  const rewards = checkOptions(o);
  if (!Array.isArray(scored)) throw typeError('scored', `scored must be the array scoreChunk returned, got ${describe(scored)}`);
  if (scored.length !== rollouts.length)
    throw rangeError(codes.shape, 'scored', `scored has ${scored.length} entries for ${rollouts.length} rollouts`);
  scored.forEach((s: Partial<Scored> | null, i) => {
    const ok = s !== null && typeof s === 'object' && s.t !== null && typeof s.t === 'object' &&
      typedArrayKind(s.t.ids) === 'Int32Array' && typedArrayKind(s.t.turnSpans) === 'Int32Array' &&
      (!rewards.has('infopo') || (typedArrayKind(s.gains) === 'Float32Array' && typedArrayKind(s.hasGain) === 'Uint8Array' &&
        typedArrayKind(s.rewards) === 'Float32Array' && typedArrayKind(s.hasReward) === 'Uint8Array')) &&
      (!rewards.has('nous') || (s.nous !== null && typeof s.nous === 'object')) &&
      (!rewards.has('cip') || (s.cip !== null && typeof s.cip === 'object')) &&
      (!rewards.has('pear') || (typedArrayKind(s.phases?.think) === 'Float32Array' && typedArrayKind(s.phases?.answer) === 'Float32Array'));
    if (!ok) throw typeError(`scored[${i}]`, `scored[${i}] is not what scoreChunk returns for a rollout with the rewards ${[...rewards].join(', ')}`);
  });
  return rewards;
}

/** Advantages over the whole batch, PEAR's rewards, and the per-rollout records. */
export function finishScores(rollouts: Rollout[], scored: Scored[], o: ScoreOptions): RolloutScore[] {
  const rewards = checkFinishInputs(rollouts, scored, o);
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
  const mask = new Uint8Array(total);
  scored.forEach((s, i) => {
    const sp = s.t.turnSpans;
    for (let k = 0; k < sp.length; k += 4) mask.fill(1, offsets[i] + sp[k], offsets[i] + sp[k + 1]);
  });
  const scores = Float32Array.from(rollouts, (r) => r.reward);
  const layout = { offsets, mask };

  let infopo: Float32Array | undefined;
  if (rewards.has('infopo') && total) {
    const intrinsic = new Float32Array(total), present = new Uint8Array(total);
    scored.forEach((s, i) => {
      intrinsic.set(s.rewards!, offsets[i]);
      present.set(s.hasReward!, offsets[i]);
    });
    infopo = infopoAdvantagesSync({ scores, intrinsic, present, layout, groups }, { beta: o.beta, temperature: o.gateTemperature }).advantages;
  }

  let igpo: Float32Array | undefined;
  if (rewards.has('igpo') && scored.every((s) => s.beliefGains)) {
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
  const pear = rewards.has('pear') ? pearScores(scored.map((s) => s.phases!), scores, o.pear!) : undefined;

  return rollouts.map((r, i) => {
    const s = scored[i];
    const n = s.t.ids.length, at = offsets[i];
    const tokenValues = (values: Float32Array) => Array.from({ length: n }, (_, j) => num(values[at + j], mask[at + j] === 1));
    // a step's gain (s >= 1) belongs to turn s - 1: the last turn earns none
    const stepGain = (gains: (number | null)[], t: number) => (t + 1 < gains.length ? gains[t + 1] : null);
    const turns = Array.from({ length: s.t.turnSpans.length / 4 }, (_, t) => {
      const turn: TurnScore = {};
      if (rewards.has('infopo')) turn.infoGain = num(s.gains![t], s.hasGain![t] === 1);
      if (rewards.has('igpo')) turn.beliefGain = s.beliefGains && t + 1 < s.beliefGains.length ? num(s.beliefGains[t + 1], s.hasBeliefGain![t + 1] === 1) : null;
      if (s.nous) turn.beliefEntropyGain = compact(stepGain(s.nous.gains, t));
      if (s.cip) turn.setSizeGain = compact(stepGain(s.cip.gains, t));
      return turn;
    });
    const record: RolloutScore = { id: r.id, group: r.group, reward: r.reward, tokens: n, turns };
    if (s.rewards) record.tokenRewards = Array.from(s.rewards, (v, j) => num(v, s.hasReward![j] === 1));
    if (s.beliefs) record.beliefs = Array.from(s.beliefs, (v) => (Number.isFinite(v) ? shortestFloat32(v) : null));
    if (infopo) record.infopoAdvantages = tokenValues(infopo);
    if (igpo) record.igpoAdvantages = tokenValues(igpo);
    if (s.nous) record.nous = compact({ entropies: s.nous.entropies, attributeEntropies: s.nous.attributeEntropies, return: s.nous.return });
    if (s.cip) record.cip = compact({ uncertainty: s.cip.uncertainty, setSizes: s.cip.setSizes, ...(s.cip.covered ? { covered: s.cip.covered } : {}) });
    if (pear) record.pear = compact(pear[i]);
    return record;
  });
}
