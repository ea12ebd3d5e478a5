// Finds and loads the compiled addon: $INFOGAIN_NATIVE_PATH, then a local build, then the
// prebuilt binary shipped in the package. When none loads, one error lists every attempt.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { plainError } from './errors';
import type { NativeLogits } from './logits';

/** The binding's surface (native/node). Arguments arrive validated by lib/. */
export interface Binding {
  backends(): BackendsInfo;
  configure(isa: string | undefined, threads: number | undefined): BackendsInfo;
  /** Reads the view's bytes once on every thread (the bandwidth floor for benchmarks). */
  readPass(data: ArrayBufferView): number;
  tokenLogprobs(logits: NativeLogits, targets: Int32Array, options: object): Promise<TokenLogprobsNative>;
  tokenLogprobsSync(logits: NativeLogits, targets: Int32Array, options: object): TokenLogprobsNative;
  shapleyExact(values: Float64Array, options: object): Promise<{ phi: Float64Array }>;
  shapleyExactSync(values: Float64Array, options: object): { phi: Float64Array };
  /** new ShapleyEstimator(options): see lib/shapley-estimator.ts. */
  ShapleyEstimator: unknown;
  [name: string]: unknown;
}

export interface TokenLogprobsNative {
  logprobs: Float32Array;
  logsumexp: Float32Array;
  entropy?: Float32Array;
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
      'To build it from source (needs a C++17 compiler and cmake; CUDA is used when nvcc is found):',
      `  cd ${packageRoot} && npm install --no-save cmake-js node-addon-api && npx cmake-js compile --out build`,
      'or, with node-gyp and no cmake (CPU only):',
      `  cd ${packageRoot} && npm install --no-save node-addon-api && npx node-gyp rebuild`,
      'Node-API 9 is required (Node >= 20.3).',
    ].join('\n'),
  );
}
