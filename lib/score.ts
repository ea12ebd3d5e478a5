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
import { igpoAdvantagesSync } from './igpo';
import { infoGainSync, scoredSpans } from './infoGain';
import { infopoAdvantagesSync } from './infopo';
import type { Logits } from './logits';
import { maskFeedback } from './maskFeedback';
import { codes, describe, rangeError, typeError, typedArrayKind } from './errors';
import { checkRollout, type GroupId, type Rollout, tokenizeRollout, type TokenizedRollout } from './rollouts';
import type { OnnxScorer } from './scorer';
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

/** Scores one chunk of rollouts with the model: InfoPO gains and, where given, IGPO beliefs. */
export async function scoreChunk(rollouts: Rollout[], scorer: OnnxScorer, o: ScoreOptions): Promise<Scored[]> {
  checkChunkInputs(rollouts, scorer, o);
  const placeholder = scorer.encode(o.placeholder);
  const prefix = scorer.encode(o.beliefPrefix);
  const tok = rollouts.map((r) => tokenizeRollout(r, scorer.tokenizer));

  // InfoPO: the real sequence once, and one masked sequence per gain-earning turn
  const realSeqs: Int32Array[] = [], realSpans: Int32Array[] = [];
  const maskedSeqs: Int32Array[] = [], maskedSpans: Int32Array[] = [];
  const plan = tok.map((t) => {
    const turns = turnsOf(t);
    const scored = scoredSpans(turns);
    realSeqs.push(t.ids);
    realSpans.push(scored);
    const first = maskedSeqs.length;
    for (let i = 0; i + 1 < turns.actionStart.length; i++) {
      if (turns.obsEnd[i] === turns.obsStart[i]) continue;
      const end = turns.actionEnd[i + 1];
      const masked = maskFeedback(t.ids.subarray(0, end), Int32Array.of(turns.obsStart[i], turns.obsEnd[i]), placeholder);
      maskedSeqs.push(masked);
      maskedSpans.push(Int32Array.of(turns.actionStart[i + 1], end));
    }
    return { turns, first, count: maskedSeqs.length - first };
  });

  let perRollout: { logpReal?: Float32Array; logpMasked?: Float32Array; real?: Logits; masked?: Logits }[];
  if (o.mode === 'sampled') {
    const real = await scorer.spanLogprobs(realSeqs, realSpans, { temperature: o.temperature });
    const masked = await scorer.spanLogprobs(maskedSeqs, maskedSpans, { temperature: o.temperature });
    perRollout = plan.map((p, i) => ({ logpReal: real[i], logpMasked: concat(masked.slice(p.first, p.first + p.count)) }));
  } else {
    perRollout = [];
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i];
      const real = await scorer.positionLogits([realSeqs[i]], [realSpans[i]]);
      const masked = await scorer.positionLogits(maskedSeqs.slice(p.first, p.first + p.count), maskedSpans.slice(p.first, p.first + p.count));
      perRollout.push({ real, masked });
    }
  }

  // IGPO: one pseudo-sequence per step of each rollout with a ground truth
  const beliefSeqs: Int32Array[] = [], beliefSpans: Int32Array[] = [];
  tok.forEach((t, i) => {
    if (!t.groundTruth) return;
    for (const start of plan[i].turns.actionStart) {
      const seq = new Int32Array(start + prefix.length + t.groundTruth.length);
      seq.set(t.ids.subarray(0, start));
      seq.set(prefix, start);
      seq.set(t.groundTruth, start + prefix.length);
      beliefSeqs.push(seq);
      beliefSpans.push(Int32Array.of(start + prefix.length, seq.length));
    }
  });
  const beliefLogprobs = beliefSeqs.length ? await scorer.spanLogprobs(beliefSeqs, beliefSpans, { temperature: o.temperature }) : [];

  let b = 0;
  return tok.map((t, i) => {
    const g = infoGainSync({ ...plan[i].turns, mode: o.mode, temperature: o.temperature, backend: 'cpu', ...perRollout[i] });
    const out: Scored = { t, ...g };
    if (t.groundTruth) {
      const steps = plan[i].turns.actionStart.length;
      const lps = beliefLogprobs.slice(b, b + steps);
      b += steps;
      const spans = new Int32Array(2 * steps);
      let at = 0;
      lps.forEach((lp, s) => spans.set([at, (at += lp.length)], 2 * s));
      const bg = beliefGainSync({ logprobs: concat(lps), spans, mode: o.beliefMode });
      out.beliefs = bg.beliefs;
      out.beliefGains = bg.gains;
      out.hasBeliefGain = bg.hasGain;
    }
    return out;
  });
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const num = (v: number, present: boolean) => (present ? v : null);

const scoreOptionKeys = keysOf<ScoreOptions>()('mode', 'temperature', 'beta', 'gateTemperature', 'gamma', 'placeholder', 'beliefPrefix', 'beliefMode');

/** An array of rollouts and the score options (typed errors). */
function checkRolloutsAndOptions(rollouts: unknown, o: unknown): asserts rollouts is unknown[] {
  if (!Array.isArray(rollouts)) throw typeError('rollouts', `rollouts must be an array of rollouts, got ${describe(rollouts)}`);
  rollouts.forEach((r, i) => checkRollout(r, `rollouts[${i}]`));
  if (o === undefined) throw typeError('options', 'options (ScoreOptions, e.g. defaultScoreOptions) are required');
  options<ScoreOptions>(o, 'options', scoreOptionKeys);
}

/** scoreChunk's arguments. */
function checkChunkInputs(rollouts: unknown, scorer: unknown, o: unknown): void {
  checkRolloutsAndOptions(rollouts, o);
  const s = scorer as Partial<OnnxScorer> | null;
  if (s === null || typeof s !== 'object' || typeof s.encode !== 'function' || typeof s.spanLogprobs !== 'function' || typeof s.positionLogits !== 'function')
    throw typeError('scorer', `scorer must be an OnnxScorer, got ${describe(scorer)}`);
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
