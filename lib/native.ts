// Finds and loads the compiled addon: $INFOGAIN_NATIVE_PATH, then a local build (cmake-js, then
// node-gyp), then the prebuilt binary shipped in the package. When none loads, one error lists
// every attempt and how to build one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { plainError } from './errors';
import type { BeliefEntropyResult } from './beliefEntropy';
import type { PredictionSetResult } from './conformal';
import type { NativeHeadWeight, NativeHidden } from './linearHead';
import type { NativeLogits } from './logits';
import type { PhaseEntropyResult } from './phaseEntropy';

/** The binding's surface (native/node). Arguments arrive validated by lib/. */
export interface Binding {
  backends(): BackendsInfo;
  configure(isa: string | undefined, threads: number | undefined): BackendsInfo;
  /** Reads the view's bytes once on every thread with one read strategy (the bandwidth floor for benchmarks). */
  readPass(data: ArrayBufferView, strategy?: number): number;
  /** The read strategies this CPU runs (load width, split, prefetch); the floor is the fastest. */
  readStrategies(): string[];
  /** Bench hook: seconds the C++ core of groupAdvantages (grpo, ids) takes alone, writing into `out`. */
  coreGroupAdvantages(scores: Float32Array, ids: Int32Array, out: Float32Array): number;
  /** Test hook: float32 rows' block path in tokenLogprobs: 1 one sweep, 0 two, -1 this CPU's default. */
  setFloat32OneSweep(mode: -1 | 0 | 1): void;
  tokenLogprobs(logits: NativeLogits, targets: Int32Array, options: object): Promise<TokenLogprobsNative>;
  tokenLogprobsSync(logits: NativeLogits, targets: Int32Array, options: object): TokenLogprobsNative;
  // the advantages family (lib/advantages.ts, tokenAdvantages.ts, infopo.ts, igpo.ts, rewardShaping.ts): arguments
  // arrive validated; each returns (or resolves to) a plain object of typed arrays and numbers
  groupAdvantages: AdvantagesCall<[Float32Array, object, object]>;
  groupAdvantagesSync: AdvantagesSyncCall<[Float32Array, object, object]>;
  rlpAdvantages: AdvantagesCall<[Float32Array, Float32Array, object]>;
  rlpAdvantagesSync: AdvantagesSyncCall<[Float32Array, Float32Array, object]>;
  broadcastToTokens: AdvantagesCall<[Float32Array, object]>;
  broadcastToTokensSync: AdvantagesSyncCall<[Float32Array, object]>;
  reinforcePP: AdvantagesCall<[Float32Array, object, object]>;
  reinforcePPSync: AdvantagesSyncCall<[Float32Array, object, object]>;
  promedAdvantages: AdvantagesCall<[Float32Array, object, object]>;
  promedAdvantagesSync: AdvantagesSyncCall<[Float32Array, object, object]>;
  infopoAdvantages: AdvantagesCall<[object, object, object, object]>;
  infopoAdvantagesSync: AdvantagesSyncCall<[object, object, object, object]>;
  igpoAdvantages: AdvantagesCall<[object, object, object, object]>;
  igpoAdvantagesSync: AdvantagesSyncCall<[object, object, object, object]>;
  empgAdvantages: AdvantagesCall<[object, object]>;
  empgAdvantagesSync: AdvantagesSyncCall<[object, object]>;
  sarRewards: AdvantagesCall<[Float32Array, Float32Array, object]>;
  sarRewardsSync: AdvantagesSyncCall<[Float32Array, Float32Array, object]>;
  parRewards: AdvantagesCall<[object, object]>;
  parRewardsSync: AdvantagesSyncCall<[object, object]>;
  clipDeltaRewards: AdvantagesCall<[Float32Array, Int32Array, object]>;
  clipDeltaRewardsSync: AdvantagesSyncCall<[Float32Array, Int32Array, object]>;
  insightScores: AdvantagesCall<[Float32Array, Float32Array, object]>;
  insightScoresSync: AdvantagesSyncCall<[Float32Array, Float32Array, object]>;
  klDivergence(p: NativeLogits, q: NativeLogits, options: object): Promise<DivergenceNative>;
  klDivergenceSync(p: NativeLogits, q: NativeLogits, options: object): DivergenceNative;
  logRatio(logpA: Float32Array, logpB: Float32Array, options: object): Promise<DivergenceNative>;
  logRatioSync(logpA: Float32Array, logpB: Float32Array, options: object): DivergenceNative;
  topkKL(p: object, q: object, options: object): Promise<DivergenceNative>;
  topkKLSync(p: object, q: object, options: object): DivergenceNative;
  infoGain(input: object): Promise<InfoGainNative>;
  infoGainSync(input: object): InfoGainNative;
  beliefGain(input: object): Promise<BeliefGainNative>;
  beliefGainSync(input: object): BeliefGainNative;
  // Nous, C-IP, PEAR (lib/beliefEntropy.ts, conformal.ts, phaseEntropy.ts)
  beliefEntropyGain(input: object, options: object): Promise<BeliefEntropyResult>;
  beliefEntropyGainSync(input: object, options: object): BeliefEntropyResult;
  conformalScores(input: object, options: object): Promise<{ scores: Float64Array }>;
  conformalScoresSync(input: object, options: object): { scores: Float64Array };
  conformalQuantile(scores: Float64Array, options: object): Promise<{ qhat: Float64Array }>;
  conformalQuantileSync(scores: Float64Array, options: object): { qhat: Float64Array };
  predictionSetSizes(input: object, options: object): Promise<PredictionSetResult>;
  predictionSetSizesSync(input: object, options: object): PredictionSetResult;
  phaseEntropyRewards(input: object, options: object): Promise<PhaseEntropyResult>;
  phaseEntropyRewardsSync(input: object, options: object): PhaseEntropyResult;
  linearLogprobs(hidden: NativeHidden, weight: NativeHeadWeight, targets: Int32Array, options: object): Promise<TokenLogprobsNative>;
  linearLogprobsSync(hidden: NativeHidden, weight: NativeHeadWeight, targets: Int32Array, options: object): TokenLogprobsNative;
  linearKL(p: NativeHidden, q: NativeHidden, weight: NativeHeadWeight, options: object): Promise<{ values: Float32Array }>;
  linearKLSync(p: NativeHidden, q: NativeHidden, weight: NativeHeadWeight, options: object): { values: Float32Array };
  /** The fused head micro-kernel's FMA pattern on every thread for about `seconds` (the benchmarks' peak). */
  fmaPeak(seconds: number): { flops: number; wallSeconds: number; cpuSeconds: number };
  shapleyExact(values: Float64Array, options: object): Promise<{ phi: Float64Array }>;
  shapleyExactSync(values: Float64Array, options: object): { phi: Float64Array };
  /** new ShapleyEstimator(options): see lib/shapleyEstimator.ts. */
  ShapleyEstimator: unknown;
  [name: string]: unknown;
}

export type AdvantagesCall<A extends unknown[]> = (...args: A) => Promise<object>;
export type AdvantagesSyncCall<A extends unknown[]> = (...args: A) => object;

export interface TokenLogprobsNative {
  logprobs: Float32Array;
  logsumexp: Float32Array;
  entropy?: Float32Array;
}

export interface DivergenceNative {
  values: Float32Array;
  spanValues?: Float32Array;
}

export interface InfoGainNative {
  gains: Float32Array;
  hasGain: Uint8Array;
  rewards: Float32Array;
  hasReward: Uint8Array;
}

export interface BeliefGainNative {
  beliefs: Float32Array;
  gains: Float32Array;
  hasGain: Uint8Array;
  skipped: Uint8Array;
}

export interface BackendsInfo {
  cpu: { isa: 'avx512' | 'avx2' | 'scalar'; detectedIsa: 'avx512' | 'avx2' | 'scalar'; threads: number };
  cuda: null | { device: number; name: string; memoryBytes: number; multiprocessors: number; computeCapability: number };
  /** Whether this binary was built with CUDA (a CUDA build still runs, on the CPU, without a GPU). */
  cudaCompiled: boolean;
}

const packageRoot = join(__dirname, '..');

export function candidatePaths(): { what: string; path: string }[] {
  const list: { what: string; path: string }[] = [];
  if (process.env.INFOGAIN_NATIVE_PATH) list.push({ what: '$INFOGAIN_NATIVE_PATH', path: process.env.INFOGAIN_NATIVE_PATH });
  list.push({ what: 'local build', path: join(packageRoot, 'build', 'Release', 'infogain.node') });
  list.push({ what: 'local node-gyp build', path: join(packageRoot, 'native', 'build', 'Release', 'infogain.node') });
  list.push({
    what: 'prebuilt binary',
    path: join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'infogain.node'),
  });
  return list;
}

let cached: Binding | undefined;

export function native(): Binding {
  if (cached) return cached;
  const tried: string[] = [];
  for (const { what, path } of candidatePaths()) {
    if (!existsSync(path)) {
      tried.push(`  ${what}: ${path} (not found)`);
      continue;
    }
    try {
      cached = require(path) as Binding;
      return cached;
    } catch (e) {
      tried.push(`  ${what}: ${path} (${(e as Error).message.split('\n')[0]})`);
    }
  }
  throw plainError(
    'ERR_INFOGAIN_LOAD',
    [
      `infogain: could not load its native addon for ${process.platform}-${process.arch}, Node ${process.version}.`,
      'Tried:',
      ...tried,
      `The prebuilt binary is for linux-x64 with glibc >= 2.31. To build one from source (needs a C++17`,
      'compiler and cmake; CUDA is used when nvcc is found, add --CDINFOGAIN_CUDA=OFF to skip it):',
      `  cd ${packageRoot} && npm install --no-save cmake-js node-addon-api && npx cmake-js compile --out build`,
      'or, with node-gyp and no cmake (CPU only):',
      `  cd ${packageRoot} && npm install --no-save node-addon-api && npx node-gyp rebuild --directory=native`,
      'Node-API 9 is required (Node >= 20.3).',
    ].join('\n'),
  );
}
