// The kernels the reward pool serves, one name per line. RewardPool's methods and the pool
// worker's dispatch are both derived from this list, so a new kernel is one more line here.
// Each name must be exported from index.ts as `name` (async) and `nameSync`; tsc checks it.
import type * as api from './index';

export const poolKernels = [
  'tokenLogprobs',
  'linearLogprobs',
  'linearKL',
  'groupAdvantages',
  'rlpAdvantages',
  'broadcastToTokens',
  'reinforcePP',
  'promedAdvantages',
  'infopoAdvantages',
  'igpoAdvantages',
  'empgAdvantages',
  'sarRewards',
  'parRewards',
  'clipDeltaRewards',
  'insightScores',
  'klDivergence',
  'logRatio',
  'topkKL',
  'infoGain',
  'beliefGain',
  'beliefEntropyGain',
  'conformalScores',
  'conformalQuantile',
  'predictionSetSizes',
  'phaseEntropyRewards',
  'shapleyExact',
] as const;

export type PoolKernel = (typeof poolKernels)[number];

/** A pool method has exactly the signature of the package's top-level async function. */
export type PoolKernelMethods = { [K in PoolKernel]: (typeof api)[K] };

/** What the worker calls: the synchronous twin (the worker thread is there to block). */
export type SyncKernels = { [K in PoolKernel as `${K}Sync`]: (typeof api)[`${K}Sync`] };
