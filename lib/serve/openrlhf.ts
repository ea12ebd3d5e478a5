// POST /get_reward: OpenRLHF's remote reward protocol (`--reward.remote_url`, formerly
// `--remote_rm_url`). Request { query: [str], prompts?: [str], labels?: [str] }; answer
// { rewards: [float], scores: [float], extra_logs: { name: [float] } }, one value per query.
//
// The scalar (--openrlhf-reward): 'infopo' (default) the sum over the rollout's turns of InfoPO's
// information gain IG_t (0 when no turn earns one: a single turn, or no observation);
// 'igpo' the sum over its turns of IGPO's belief gain (needs a label: the ground truth). Both are
// per sample, before any normalization: OpenRLHF normalizes across the group itself, so no group
// advantage is returned here. The outcome reward is not part of the protocol; rollouts are scored
// with reward 0, which the scalars do not depend on.
import type { Rollout } from '../rollouts';
import type { RolloutScore } from '../score';
import { type ChatFormat, splitChat } from './chat';
import { HttpError, serveCodes } from './errors';

export const openrlhfRewards = ['infopo', 'igpo'] as const;
export type OpenrlhfReward = (typeof openrlhfRewards)[number];

export interface GetRewardBody {
  query: string[];
  prompts?: string[];
  labels?: (string | null)[];
}

/** The request's samples as rollouts (one group: advantages are not returned); a bad sample is a 400 naming its index. */
export function rolloutsOfQueries(body: GetRewardBody, format: ChatFormat, scalar: OpenrlhfReward): Rollout[] {
  const { query, prompts, labels } = body;
  for (const [name, list] of [['prompts', prompts], ['labels', labels]] as const)
    // OpenRLHF may send empty lists for what it does not have
    if (list !== undefined && list.length !== 0 && list.length !== query.length)
      throw new HttpError(400, 'ERR_INFOGAIN_SHAPE', `${name} has ${list.length} entries for ${query.length} queries`, { index: Math.min(list.length, query.length) });
  return query.map((q, index) => {
    const split = splitChat(q, prompts?.[index], format);
    if (typeof split === 'string') throw new HttpError(400, serveCodes.rollout, `query[${index}]: ${split}`, { index });
    const label = labels?.[index];
    if (scalar === 'igpo' && !label) throw new HttpError(400, serveCodes.rollout, `query[${index}] has no label: --openrlhf-reward igpo needs the ground truth`, { index });
    return { id: `query[${index}]`, group: 0, prompt: split.prompt, turns: split.turns, reward: 0, ...(label ? { groundTruth: label } : {}) };
  });
}

const sum = (xs: (number | null | undefined)[]) => xs.reduce<number>((a, x) => a + (typeof x === 'number' ? x : 0), 0);

/** The answer: the chosen scalar per sample, and the parts of it for OpenRLHF's logs. */
export function getRewardAnswer(records: RolloutScore[], scalar: OpenrlhfReward) {
  const infoGain = records.map((r) => sum(r.turns.map((t) => t.infoGain)));
  const beliefGain = records.map((r) => sum(r.turns.map((t) => t.beliefGain)));
  const rewards = scalar === 'infopo' ? infoGain : beliefGain;
  const extra_logs: Record<string, number[]> = { infogain_turns: records.map((r) => r.turns.length), infogain_tokens: records.map((r) => r.tokens) };
  if (records.some((r) => r.turns.some((t) => t.infoGain !== undefined))) extra_logs.infogain_infopo = infoGain;
  if (records.some((r) => r.turns.some((t) => typeof t.beliefGain === 'number'))) extra_logs.infogain_igpo = beliefGain;
  return { rewards, scores: rewards, extra_logs };
}
