// What this process can compute with, the CPU knobs, and the per-call `backend` option.
import { native, type BackendsInfo } from './native';
import { integer, keysOf, oneOf, options } from './validate';

export type { BackendsInfo } from './native';
export type BackendOption = 'auto' | 'cpu' | 'cuda';
const backendCodes: Record<BackendOption, number> = { auto: 0, cpu: 1, cuda: 2 };

/** Which CPU instruction set and thread count the kernels use, and the CUDA device if any. */
export function backends(): BackendsInfo {
  return native().backends();
}

export interface ConfigureOptions {
  /** Cap the CPU instruction set (process-wide); one above what the CPU has is a RangeError. */
  isa?: 'avx512' | 'avx2' | 'scalar';
  /** Threads the CPU kernels use (process-wide), 1..1024. Default: the machine's cores or $INFOGAIN_THREADS. */
  threads?: number;
}

/**
 * Sets the CPU knobs process-wide (every thread), for the calls made after it: a call already
 * made, async or running on another thread, keeps the settings it was made under.
 */
const configureKeys = keysOf<ConfigureOptions>()('isa', 'threads');

export function configure(opts: ConfigureOptions): BackendsInfo {
  const o = options<ConfigureOptions>(opts, 'options', configureKeys);
  const isa = o.isa === undefined ? undefined : oneOf(o.isa, 'isa', ['avx512', 'avx2', 'scalar'] as const);
  const threads = o.threads === undefined ? undefined : integer(o.threads, 'threads', 1, 1024);
  return native().configure(isa, threads);
}

/** The native code of a call's `backend` option (default 'auto'). */
export function backendCode(value: unknown): number {
  return backendCodes[value === undefined ? 'auto' : oneOf(value, 'backend', ['auto', 'cpu', 'cuda'] as const)];
}
