// The kernels the reward pool serves: each name with its async function and its synchronous
// twin, taken from the op modules. RewardPool's methods and the pool worker's dispatch are both
// built from this table (they import it, not index.ts, so lib/ has no import loop), and a new
// kernel is one more row here.
import { groupAdvantages, groupAdvantagesSync, rlpAdvantages, rlpAdvantagesSync } from '../advantages';
import { beliefEntropyGain, beliefEntropyGainSync } from '../beliefEntropy';
import { beliefGain, beliefGainSync } from '../beliefGain';
import {
  conformalQuantile,
  conformalQuantileSync,
  conformalScores,
  conformalScoresSync,
  predictionSetSizes,
  predictionSetSizesSync,
} from '../conformal';
import { klDivergence, klDivergenceSync } from '../klDivergence';
import { igpoAdvantages, igpoAdvantagesSync } from '../igpo';
import { infoGain, infoGainSync } from '../infoGain';
import { infopoAdvantages, infopoAdvantagesSync } from '../infopo';
import { linearKL, linearKLSync, linearLogprobs, linearLogprobsSync } from '../linearHead';
import { logRatio, logRatioSync } from '../logRatio';
import { tokenLogprobs, tokenLogprobsSync } from '../logprobs';
import { phaseEntropyRewards, phaseEntropyRewardsSync } from '../phaseEntropy';
import { shapleyExact, shapleyExactSync } from '../shapleyExact';
import {
  clipDeltaRewards,
  clipDeltaRewardsSync,
  empgAdvantages,
  empgAdvantagesSync,
  insightScores,
  insightScoresSync,
  parRewards,
  parRewardsSync,
  sarRewards,
  sarRewardsSync,
} from '../rewardShaping';
import { topkKL, topkKLSync } from '../topkKL';
import {
  broadcastToTokens,
  broadcastToTokensSync,
  promedAdvantages,
  promedAdvantagesSync,
  reinforcePP,
  reinforcePPSync,
} from '../tokenAdvantages';

/** name: [the async function, its ...Sync twin]. */
export const kernels = {
  tokenLogprobs: [tokenLogprobs, tokenLogprobsSync],
  linearLogprobs: [linearLogprobs, linearLogprobsSync],
  linearKL: [linearKL, linearKLSync],
  groupAdvantages: [groupAdvantages, groupAdvantagesSync],
  rlpAdvantages: [rlpAdvantages, rlpAdvantagesSync],
  broadcastToTokens: [broadcastToTokens, broadcastToTokensSync],
  reinforcePP: [reinforcePP, reinforcePPSync],
  promedAdvantages: [promedAdvantages, promedAdvantagesSync],
  infopoAdvantages: [infopoAdvantages, infopoAdvantagesSync],
  igpoAdvantages: [igpoAdvantages, igpoAdvantagesSync],
  empgAdvantages: [empgAdvantages, empgAdvantagesSync],
  sarRewards: [sarRewards, sarRewardsSync],
  parRewards: [parRewards, parRewardsSync],
  clipDeltaRewards: [clipDeltaRewards, clipDeltaRewardsSync],
  insightScores: [insightScores, insightScoresSync],
  klDivergence: [klDivergence, klDivergenceSync],
  logRatio: [logRatio, logRatioSync],
  topkKL: [topkKL, topkKLSync],
  infoGain: [infoGain, infoGainSync],
  beliefGain: [beliefGain, beliefGainSync],
  beliefEntropyGain: [beliefEntropyGain, beliefEntropyGainSync],
  conformalScores: [conformalScores, conformalScoresSync],
  conformalQuantile: [conformalQuantile, conformalQuantileSync],
  predictionSetSizes: [predictionSetSizes, predictionSetSizesSync],
  phaseEntropyRewards: [phaseEntropyRewards, phaseEntropyRewardsSync],
  shapleyExact: [shapleyExact, shapleyExactSync],
} as const;

export type PoolKernel = keyof typeof kernels;

/** The names of the kernels the pool serves, in the table's order. */
export const poolKernels = Object.freeze(Object.keys(kernels)) as readonly PoolKernel[];

/** A pool method has exactly the signature of the package's top-level async function. */
export type PoolKernelMethods = { [K in PoolKernel]: (typeof kernels)[K][0] };

/** The synchronous twin of a kernel (what the worker calls: the worker thread is there to block). */
export function syncKernel(name: PoolKernel): (...args: unknown[]) => unknown {
  return kernels[name][1] as (...args: unknown[]) => unknown;
}
