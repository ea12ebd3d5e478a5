// PEAR (Phase Entropy Aware Reward) in the scorer. The response is the agent's tokens: every
// action of a rollout, each split at its own first delimiter (e.g. `</think>`) into a thinking and
// an answer phase; the rollout's H_think and H_answer are the mean token entropies over all its
// actions' thinking and answer tokens (for one action: PEAR's single response), and its reward is
// correctness - alpha * H_think - beta * H_answer with the rollout's reward as correctness. The
// math is phaseEntropyRewards' (docs/uncertainty.md; the form is ours, as is the multi-turn split).
import { phaseEntropyRewardsSync } from '../phaseEntropy';
import type { TreeSpan } from '../model/source';
import type { Text } from '../text';

export interface PearOptions {
  /** Weight of the thinking-phase entropy penalty. Required: the paper's value could not be read here. */
  alpha: number;
  /** Weight of the answer-phase entropy penalty. Default 0. */
  beta?: number;
  /** The end of the thinking phase, e.g. '</think>' (tokenized by the scorer's tokenizer) or its ids. */
  delimiter: Text;
}

/** Each action's tokens whose entropies PEAR reads: [actionStart, actionEnd) of the trunk (position 0 has no prediction). */
export function actionSpans(turnSpans: Int32Array): TreeSpan[] {
  const spans: TreeSpan[] = [];
  for (let k = 0; k < turnSpans.length; k += 4) spans.push({ sequence: -1, start: Math.max(1, turnSpans[k]), end: Math.max(1, turnSpans[k + 1]) });
  return spans;
}

/** A rollout's token entropies split into phases: of all its actions' thinking tokens, then of all their answer tokens. */
export interface Phases {
  think: Float32Array;
  answer: Float32Array;
}

/**
 * Splits each rollout's action entropies (in actionSpans' order) at the first delimiter of each
 * action: one phaseEntropyRewards pass over all actions of the batch, which finds the delimiters.
 */
export function splitPhases(items: { ids: Int32Array; turnSpans: Int32Array; entropies: Float32Array }[], delimiter: Int32Array): Phases[] {
  const spans = items.map((it) => actionSpans(it.turnSpans));
  const actions = spans.reduce((n, s) => n + s.length, 0);
  const offsets = new Int32Array(actions + 1);
  const tokens = new Int32Array(items.reduce((n, it) => n + it.entropies.length, 0));
  const entropies = new Float32Array(tokens.length);
  let a = 0, at = 0;
  items.forEach((it, i) => {
    entropies.set(it.entropies, at);
    for (const s of spans[i]) {
      tokens.set(it.ids.subarray(s.start, s.end), at);
      at += s.end - s.start;
      offsets[++a] = at;
    }
  });
  const r = phaseEntropyRewardsSync({ entropies, offsets, tokens, delimiter, correctness: new Float32Array(actions) }, { alpha: 0 });
  a = 0;
  return spans.map((list) => {
    let nThink = 0, nAnswer = 0;
    for (let k = 0; k < list.length; k++) (nThink += r.thinkTokens[a + k]), (nAnswer += r.answerTokens[a + k]);
    const think = new Float32Array(nThink), answer = new Float32Array(nAnswer);
    nThink = nAnswer = 0;
    for (let k = 0; k < list.length; k++, a++) {
      const start = offsets[a], end = offsets[a + 1];
      think.set(entropies.subarray(start, start + r.thinkTokens[a]), nThink);
      answer.set(entropies.subarray(end - r.answerTokens[a], end), nAnswer);
      nThink += r.thinkTokens[a];
      nAnswer += r.answerTokens[a];
    }
    return { think, answer };
  });
}

export interface PearScore {
  /** correctness - alpha * thinkEntropy - beta * answerEntropy. */
  reward: number;
  /** H_think: the mean entropy (nats) of the thinking tokens of all actions (0 when there are none). */
  thinkEntropy: number;
  /** H_answer: the mean entropy of the answer tokens (after each action's delimiter; 0 when there are none). */
  answerEntropy: number;
  thinkTokens: number;
  answerTokens: number;
}

/** PEAR rewards of a batch of rollouts: their phases and outcome rewards, one phaseEntropyRewards pass. */
export function pearScores(phases: Phases[], correctness: Float32Array, o: { alpha: number; beta?: number }): PearScore[] {
  const offsets = new Int32Array(phases.length + 1), delimiters = new Int32Array(2 * phases.length);
  phases.forEach((p, i) => {
    delimiters[2 * i] = delimiters[2 * i + 1] = offsets[i] + p.think.length;  // an empty span: the boundary
    offsets[i + 1] = offsets[i] + p.think.length + p.answer.length;
  });
  const entropies = new Float32Array(offsets[phases.length]);
  phases.forEach((p, i) => {
    entropies.set(p.think, offsets[i]);
    entropies.set(p.answer, offsets[i] + p.think.length);
  });
  const r = phaseEntropyRewardsSync({ entropies, offsets, delimiters, correctness }, { alpha: o.alpha, beta: o.beta ?? 0 });
  return phases.map((_, i) => ({
    reward: r.rewards[i],
    thinkEntropy: r.thinkEntropy[i],
    answerEntropy: r.answerEntropy[i],
    thinkTokens: r.thinkTokens[i],
    answerTokens: r.answerTokens[i],
  }));
}
