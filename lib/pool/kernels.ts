// The kernels the reward pool serves: each name with its async function and its synchronous
// twin, taken from the op modules. RewardPool's methods and the pool worker's dispatch are both
// built from this table (they import it, not index.ts, so lib/ has no import loop), and a new
// kernel is one more row here.
import * as advantages from '../advantages';
import * as beliefEntropy from '../beliefEntropy';
import * as beliefGain from '../beliefGain';
import * as conformal from '../conformal';
import * as igpo from '../igpo';
import * as infoGain from '../infoGain';
import * as infopo from '../infopo';
import * as klDivergence from '../klDivergence';
import * as linearHead from '../linearHead';
import * as logprobs from '../logprobs';
import * as logRatio from '../logRatio';
import * as phaseEntropy from '../phaseEntropy';
import * as rewardShaping from '../rewardShaping';
import * as shapleyExact from '../shapleyExact';
import * as tokenAdvantages from '../tokenAdvantages';
import * as topkKL from '../topkKL';

/** name: [the async function, its ...Sync twin]. */
export const kernels = {
  tokenLogprobs: [logprobs.tokenLogprobs, logprobs.tokenLogprobsSync],
  linearLogprobs: [linearHead.linearLogprobs, linearHead.linearLogprobsSync],
  linearKL: [linearHead.linearKL, linearHead.linearKLSync],
  groupAdvantages: [advantages.groupAdvantages, advantages.groupAdvantagesSync],
  rlpAdvantages: [advantages.rlpAdvantages, advantages.rlpAdvantagesSync],
  broadcastToTokens: [tokenAdvantages.broadcastToTokens, tokenAdvantages.broadcastToTokensSync],
  reinforcePP: [tokenAdvantages.reinforcePP, tokenAdvantages.reinforcePPSync],
  promedAdvantages: [tokenAdvantages.promedAdvantages, tokenAdvantages.promedAdvantagesSync],
  infopoAdvantages: [infopo.infopoAdvantages, infopo.infopoAdvantagesSync],
  igpoAdvantages: [igpo.igpoAdvantages, igpo.igpoAdvantagesSync],
  empgAdvantages: [rewardShaping.empgAdvantages, rewardShaping.empgAdvantagesSync],
  sarRewards: [rewardShaping.sarRewards, rewardShaping.sarRewardsSync],
  parRewards: [rewardShaping.parRewards, rewardShaping.parRewardsSync],
  clipDeltaRewards: [rewardShaping.clipDeltaRewards, rewardShaping.clipDeltaRewardsSync],
  insightScores: [rewardShaping.insightScores, rewardShaping.insightScoresSync],
  klDivergence: [klDivergence.klDivergence, klDivergence.klDivergenceSync],
  logRatio: [logRatio.logRatio, logRatio.logRatioSync],
  topkKL: [topkKL.topkKL, topkKL.topkKLSync],
  infoGain: [infoGain.infoGain, infoGain.infoGainSync],
  beliefGain: [beliefGain.beliefGain, beliefGain.beliefGainSync],
  beliefEntropyGain: [beliefEntropy.beliefEntropyGain, beliefEntropy.beliefEntropyGainSync],
  conformalScores: [conformal.conformalScores, conformal.conformalScoresSync],
  conformalQuantile: [conformal.conformalQuantile, conformal.conformalQuantileSync],
  predictionSetSizes: [conformal.predictionSetSizes, conformal.predictionSetSizesSync],
  phaseEntropyRewards: [phaseEntropy.phaseEntropyRewards, phaseEntropy.phaseEntropyRewardsSync],
  shapleyExact: [shapleyExact.shapleyExact, shapleyExact.shapleyExactSync],
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
