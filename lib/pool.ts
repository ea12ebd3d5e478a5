// createRewardPool: the package's kernels and the user's own reward functions on a pool of
// worker threads (piscina), so that a trainer's event loop never waits on reward computation.
// The kernel methods come from the registry in kernels.ts; argument transport is transfer.ts.
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import type Piscina from 'piscina';

import { codes, describe, plainError, rangeError, typeError } from './errors';
import * as api from './index';
import { poolKernels, type PoolKernelMethods, type SyncKernels } from './kernels';
import type { Reply, Task } from './pool-worker';
import { fromPlainError } from './remote-error';
import { prepareArguments } from './transfer';
import { boolean, integer, options } from './validate';

export interface RewardPoolOptions {
  /** Worker threads, 1..1024. Default: the cores available to the process. */
  threads?: number;
  /** Calls that may wait for a free worker; one more rejects with ERR_INFOGAIN_QUEUE_FULL. Default 1024. */
  maxQueue?: number;
  /** Milliseconds an idle worker lives before it exits (Infinity: it never does). Default 30000. */
  idleTimeout?: number;
}

export interface CallOptions {
  /** Aborting it rejects the call with an AbortError: a queued call never runs, a running one is stopped. */
  signal?: AbortSignal;
  /** Move (detach) the caller's ArrayBuffers into the call instead of copying them. Default false. */
  transfer?: boolean;
}

export interface PoolStats {
  /** Worker threads alive now (they start on demand and exit after idleTimeout). */
  threads: number;
  /** Calls waiting for a free worker. */
  queueSize: number;
  /** Calls on a worker now. */
  running: number;
  /** Share of the pool's thread time (threads option x time since creation) spent running calls, 0..1. */
  utilization: number;
  /** Calls fulfilled. */
  completed: number;
  /** Calls rejected: bad input, a throwing user function, abort, a full queue, a closed pool, a lost worker. */
  failed: number;
  /** Errors a worker raised between calls (e.g. a user module's stray timer throwing); the worker is replaced. */
  workerErrors: number;
}

export interface RewardCalls extends PoolKernelMethods {
  /** The awaited result of `fn(...args)`, an export of the user's module, loaded once per worker. */
  run<T = unknown>(module: string | URL, fn: string, args?: readonly unknown[]): Promise<T>;
}

export interface RewardPool extends RewardCalls {
  /** The same methods, each call made with these options (an AbortSignal, transfer). */
  with(options: CallOptions): RewardCalls;
  stats(): PoolStats;
  /** Refuses new calls, lets queued and running ones finish, then stops the workers. */
  close(): Promise<void>;
  /** Stops at once: queued and running calls reject with ERR_INFOGAIN_POOL_CLOSED. */
  destroy(): Promise<void>;
}

type Call = { signal?: AbortSignal; transfer: boolean };

function abortError(reason: unknown): Error {
  const e = new Error('The operation was aborted', { cause: reason });
  Object.defineProperty(e, 'name', { value: 'AbortError', configurable: true, writable: true });
  return Object.assign(e, { code: codes.aborted });
}

/** Owns the piscina pool, the queue bound and the counters; every method call ends in submit(). */
class Core {
  readonly piscina: Piscina<Task, Reply>;
  readonly maxQueue: number;
  closed = false;
  destroyed = false;
  pending = 0;
  completed = 0;
  failed = 0;
  workerErrors = 0;
  /** Milliseconds workers spent on calls, as they report them; and when the pool was made. */
  busyMs = 0;
  readonly createdAt = performance.now();

  constructor(threads: number, maxQueue: number, idleTimeout: number) {
    this.maxQueue = maxQueue;
    // loaded here, not when the package loads: only pool users pay for it
    const PiscinaPool = require('piscina') as typeof Piscina;
    this.piscina = new PiscinaPool<Task, Reply>({
      filename: join(__dirname, 'pool-worker.js'),
      minThreads: 0,
      maxThreads: threads,
      idleTimeout,
      closeTimeout: 2 ** 31 - 1,  // close() drains, however long that takes
    });
    // piscina emits 'error' for a worker that fails between calls; unhandled, that would end the process
    this.piscina.on('error', () => this.workerErrors++);
  }

  reject(e: Error): Promise<never> {
    this.failed++;
    return Promise.reject(e);
  }

  /** Would this call wait in the queue, and is the queue full? */
  private queueFull(): boolean {
    const p = this.piscina;
    return p.queueSize >= this.maxQueue && p.idleThreads === 0 && p.threads.length >= p.maxThreads;
  }

  /** `here` runs the call in this thread when its arguments cannot reach a worker (then it throws the Sync error). */
  submit(task: Task, call: Call, here: (() => unknown) | null): Promise<unknown> {
    if (this.closed) return this.reject(plainError(codes.poolClosed, `the reward pool is ${this.destroyed ? 'destroyed' : 'closed'}`));
    if (call.signal?.aborted) return this.reject(abortError(call.signal.reason));
    if (this.queueFull())
      return this.reject(plainError(codes.queueFull, `the reward pool's queue is full (maxQueue ${this.maxQueue} calls waiting)`));
    const out = prepareArguments(task.args, call.transfer);
    if (!out.sendable) {
      if (here) return new Promise((resolveHere) => resolveHere(here())).then((v) => (this.completed++, v), (e) => this.reject(e));
      return this.reject(typeError('args', 'args holds a function, a symbol or a detached buffer, which cannot be sent to a worker'));
    }
    this.pending++;
    return this.piscina.run({ ...task, args: out.value as unknown[] }, { transferList: out.transferList, signal: call.signal }).then(
      (reply) => {
        this.pending--;
        this.busyMs += reply.ms;
        if (reply.ok) {
          this.completed++;
          return reply.value;
        }
        this.failed++;
        throw fromPlainError(reply.error);
      },
      (e: Error) => {
        this.pending--;
        this.failed++;
        throw this.translate(e, call.signal);
      },
    );
  }

  /** (piscina 5.3.2's own `utilization` divides a time in ms by 1000 once too often.) */
  utilization(): number {
    const capacity = (performance.now() - this.createdAt) * this.piscina.maxThreads;
    return capacity > 0 ? Math.min(this.busyMs / capacity, 1) : 0;
  }

  /** piscina's own rejections as typed errors. */
  private translate(e: Error, signal: AbortSignal | undefined): Error {
    if (e?.name === 'AbortError') return abortError(signal?.reason);
    if (this.destroyed) return plainError(codes.poolClosed, 'the reward pool was destroyed before the call finished');
    return Object.assign(new Error(`a reward pool worker stopped before the call finished: ${e?.message}`, { cause: e }), { code: codes.worker });
  }
}

/** The file: URL of a user module given as a URL, a URL string or a path (relative to the current directory). */
function moduleUrl(module: unknown): string {
  if (typeof module === 'string' && /^[a-z][a-z0-9+.-]+:/i.test(module)) {
    // a URL string (a scheme of two letters or more: C:\... is a path)
    if (!URL.canParse(module)) throw rangeError(codes.outOfRange, 'module', `module is not a valid URL: ${module}`);
    module = new URL(module);
  }
  if (module instanceof URL) {
    if (module.protocol !== 'file:') throw rangeError(codes.outOfRange, 'module', `module must be a file: URL or a path, got ${module.href}`);
    return module.href;
  }
  if (typeof module !== 'string' || module === '')
    throw typeError('module', `module must be a file path or a file: URL, got ${describe(module)}`);
  return pathToFileURL(resolve(module)).href;
}

function callOptions(value: unknown): Call {
  const o = options<CallOptions>(value);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw typeError('signal', `signal must be an AbortSignal, got ${describe(o.signal)}`);
  return { signal: o.signal, transfer: o.transfer === undefined ? false : boolean(o.transfer, 'transfer') };
}

// The kernel methods are added to this class's prototype from the registry, below.
interface Calls extends PoolKernelMethods {}
class Calls {
  constructor(
    protected readonly core: Core,
    protected readonly call: Call,
  ) {}

  run<T = unknown>(module: string | URL, fn: string, args: readonly unknown[] = []): Promise<T> {
    try {
      if (typeof fn !== 'string' || fn === '') throw typeError('fn', `fn must be the name of an exported function, got ${describe(fn)}`);
      if (!Array.isArray(args)) throw typeError('args', `args must be an array of arguments, got ${describe(args)}`);
      return this.core.submit({ module: moduleUrl(module), fn, args: args as unknown[] }, this.call, null) as Promise<T>;
    } catch (e) {
      return this.core.reject(e as Error);
    }
  }
}

for (const name of poolKernels) {
  // looked up at call time: index.ts imports this file
  const sync = (...args: unknown[]) => ((api as unknown as SyncKernels)[`${name}Sync`] as (...a: unknown[]) => unknown)(...args);
  const method = function (this: Calls, ...args: unknown[]) {
    return this.core.submit({ kernel: name, args }, this.call, () => sync(...args));
  };
  Object.defineProperty(method, 'name', { value: name });
  Object.defineProperty(Calls.prototype, name, { value: method, writable: true, configurable: true });
}

class Pool extends Calls implements RewardPool {
  with(o: CallOptions): RewardCalls {
    return new Calls(this.core, callOptions(o));
  }

  stats(): PoolStats {
    const { piscina, pending, completed, failed, workerErrors } = this.core;
    const queueSize = piscina.queueSize;
    return {
      threads: piscina.threads.length,
      queueSize,
      running: Math.max(pending - queueSize, 0),
      utilization: this.core.utilization(),
      completed,
      failed,
      workerErrors,
    };
  }

  async close(): Promise<void> {
    this.core.closed = true;
    await this.core.piscina.close();
  }

  async destroy(): Promise<void> {
    this.core.closed = this.core.destroyed = true;
    await this.core.piscina.destroy();
  }
}

/** A pool of worker threads serving every kernel of the package and the user's reward modules. */
export function createRewardPool(opts?: RewardPoolOptions): RewardPool {
  const o = options<RewardPoolOptions>(opts);
  const threads = o.threads === undefined ? availableParallelism() : integer(o.threads, 'threads', 1, 1024);
  const maxQueue = o.maxQueue === undefined ? 1024 : integer(o.maxQueue, 'maxQueue');
  const idleTimeout =
    o.idleTimeout === undefined ? 30000 : o.idleTimeout === Infinity ? Infinity : integer(o.idleTimeout, 'idleTimeout');
  return new Pool(new Core(threads, maxQueue, idleTimeout), { transfer: false });
}

