// createRewardPool: the package's kernels and the user's own reward functions on a pool of
// worker threads (piscina), so that a trainer's event loop never waits on reward computation.
// The kernel methods come from the registry in kernels.ts; argument transport is transfer.ts.
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { types } from 'node:util';

import type Piscina from 'piscina';

import { codes, describe, plainError, rangeError, typeError } from '../errors';
import { poolKernels, type PoolKernelMethods, syncKernel } from './kernels';
import type { Reply, Task } from './worker';
import { fromPlainError } from './remoteError';
import { prepareArguments } from './transfer';
import { boolean, integer, keysOf, options } from '../validate';

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

/** Runs a kernel call in this thread, on the arguments as prepared for the trip (when they cannot make it). */
type Here = ((args: unknown[]) => unknown) | null;

/** One call, from submit() until it settles, exactly once. */
interface Job {
  task: Task;
  call: Call;
  transferList: ArrayBuffer[];
  here: Here;
  resolve(value: unknown): void;
  reject(error: Error): void;
  state: 'queued' | 'running' | 'settled';
  /** Removes the abort listener of a queued call. */
  unlisten?: () => void;
  /** Takes a running call back from piscina when no worker is left to run it (see rescueStranded). */
  rescue?: AbortController;
}

function abortError(reason: unknown): Error {
  const e = new Error('The operation was aborted', { cause: reason });
  Object.defineProperty(e, 'name', { value: 'AbortError', configurable: true, writable: true });
  return Object.assign(e, { code: codes.aborted });
}

function workerError(message: string, cause: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code: codes.worker });
}

/**
 * Owns the piscina pool, the queue and the counters; every method call ends in submit(). The queue
 * is this class's, not piscina's: piscina gets at most `threads` calls at a time, one per worker,
 * so a worker that is stopped (an aborted call) or dies (a heap OOM in a user module) never
 * strands calls in piscina's queue (piscina 5 starts no replacement worker then), and close()
 * drains the queue before piscina's close (which rejects calls still waiting for a worker).
 */
class Core {
  readonly piscina: Piscina<Task, Reply>;
  private readonly queue: Job[] = [];
  private head = 0;
  /** Calls in the queue (aborted ones leave it at once), calls handed to piscina. */
  queued = 0;
  running = 0;
  private readonly active = new Set<Job>();
  /** The queued calls of each signal, behind one 'abort' listener: Node warns of a leak past 10 on one signal. */
  private readonly waitingOn = new Map<AbortSignal, { jobs: Set<Job>; onAbort: () => void }>();
  closed = false;
  destroyed = false;
  private closing?: Promise<void>;
  private drained?: () => void;
  completed = 0;
  failed = 0;
  workerErrors = 0;
  private lastWorkerError: unknown;
  /** Milliseconds workers spent on calls, as they report them; and when the pool was made. */
  busyMs = 0;
  readonly createdAt = performance.now();

  constructor(
    readonly threads: number,
    readonly maxQueue: number,
    idleTimeout: number,
  ) {
    // loaded here, not when the package loads: only pool users pay for it
    const PiscinaPool = require('piscina') as typeof Piscina;
    this.piscina = new PiscinaPool<Task, Reply>({
      filename: join(__dirname, 'worker.js'),
      minThreads: 0,
      maxThreads: threads,
      idleTimeout,
    });
    // piscina emits 'error' for a worker that fails between calls or while starting; unhandled,
    // that would end the process
    this.piscina.on('error', (e: unknown) => {
      this.workerErrors++;
      this.lastWorkerError = e;
      this.rescueStranded();
    });
    this.piscina.on('workerDestroy', () => this.rescueStranded());
  }

  reject(e: unknown): Promise<never> {
    this.failed++;
    return Promise.reject(e);
  }

  /** Never throws: whatever goes wrong (a throwing getter in the arguments included) rejects. */
  submit(task: Task, call: Call, here: Here): Promise<unknown> {
    try {
      if (this.closed) throw plainError(codes.poolClosed, `the reward pool is ${this.destroyed ? 'destroyed' : 'closed'}`);
      if (call.signal?.aborted) throw abortError(call.signal.reason);
      if (this.running >= this.threads && this.queued >= this.maxQueue)
        throw plainError(codes.queueFull, `the reward pool's queue is full (maxQueue ${this.maxQueue} calls waiting)`);
      const out = prepareArguments(task.args, call.transfer);
      const args = out.value as unknown[];
      if (!out.sendable) {
        if (!here) throw unsendable();
        return this.runHere(here, args);
      }
      return new Promise((resolve, reject) => {
        const job: Job = { task: { ...task, args }, call, transferList: out.transferList, here, resolve, reject, state: 'queued' };
        if (this.running < this.threads) this.start(job);
        else this.enqueue(job);
      });
    } catch (e) {
      return this.reject(e);
    }
  }

  private runHere(here: NonNullable<Here>, args: unknown[]): Promise<unknown> {
    return new Promise((resolve) => resolve(here(args))).then(
      (v) => (this.completed++, v),
      (e) => this.reject(e),
    );
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    this.queued++;
    const signal = job.call.signal;
    if (!signal) return;
    let waiting = this.waitingOn.get(signal);
    if (!waiting) {
      const jobs = new Set<Job>();
      const onAbort = () => {
        this.waitingOn.delete(signal);
        for (const j of [...jobs])
          if (j.state === 'queued') {
            this.queued--;
            this.settle(j, abortError(signal.reason));
          }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waitingOn.set(signal, (waiting = { jobs, onAbort }));
    }
    const { jobs, onAbort } = waiting;
    jobs.add(job);
    job.unlisten = () => {
      jobs.delete(job);
      if (jobs.size || this.waitingOn.get(signal)?.jobs !== jobs) return;
      this.waitingOn.delete(signal);
      signal.removeEventListener('abort', onAbort);
    };
  }

  private start(job: Job): void {
    job.state = 'running';
    this.running++;
    this.active.add(job);
    job.rescue = new AbortController();
    const signal = job.call.signal ? AbortSignal.any([job.call.signal, job.rescue.signal]) : job.rescue.signal;
    let reply: Promise<Reply>;
    try {
      reply = this.piscina.run(job.task, { transferList: job.transferList, signal });
    } catch (e) {
      reply = Promise.reject(e);
    }
    reply.then(
      (r) => {
        this.busyMs += r.ms;
        if (r.ok) this.settle(job, undefined, r.value);
        else this.settle(job, fromPlainError(r.error));
      },
      (e: unknown) => this.settle(job, this.translate(e, job)),
    );
  }

  /** Settles a job once (an error, or its value), then hands the next queued call to a worker. */
  private settle(job: Job, error: unknown, value?: unknown): void {
    if (job.state === 'settled') return;
    if (job.state === 'running') {
      this.running--;
      this.active.delete(job);
    }
    job.state = 'settled';
    job.unlisten?.();
    if (error instanceof RunHere) {
      // a kernel call structured clone refused: the ...Sync function says why, in this thread
      this.runHere(error.here, job.task.args).then(job.resolve, job.reject);
    } else if (error === undefined) {
      this.completed++;
      job.resolve(value);
    } else {
      this.failed++;
      job.reject(error as Error);
    }
    this.pump();
  }

  private pump(): void {
    while (this.running < this.threads && this.queued > 0) {
      const job = this.queue[this.head++];
      if (job.state !== 'queued') continue;  // aborted while it waited
      this.queued--;
      job.unlisten?.();
      this.start(job);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) this.queue.splice(0, this.head), (this.head = 0);
    if (this.running === 0 && this.queued === 0) this.drained?.();
  }

  /**
   * Calls piscina holds while it has no worker at all cannot run (a worker that fails while
   * starting is not replaced): they reject with ERR_INFOGAIN_WORKER instead of waiting forever.
   * Checked after the events that settle the calls of a removed worker have run.
   */
  private rescueStranded(): void {
    setImmediate(() => {
      if (this.piscina.threads.length > 0) return;
      for (const job of this.active) job.rescue?.abort();
    });
  }

  /** piscina's own rejections as typed errors. */
  private translate(e: unknown, job: Job): unknown {
    const name = (e as Error | undefined)?.name;
    if (job.call.signal?.aborted && name === 'AbortError') return abortError(job.call.signal.reason);
    if (job.rescue?.signal.aborted)
      return workerError('no reward pool worker could start to run the call', this.lastWorkerError);
    if (this.destroyed) return plainError(codes.poolClosed, 'the reward pool was destroyed before the call finished');
    if (name === 'DataCloneError') return job.here ? new RunHere(job.here) : unsendable(String((e as Error).message));
    return workerError(`a reward pool worker stopped before the call finished: ${String((e as Error | undefined)?.message)}`, e);
  }

  /** (piscina 5.3.2's own `utilization` divides a time in ms by 1000 once too often.) */
  utilization(): number {
    const capacity = (performance.now() - this.createdAt) * this.piscina.maxThreads;
    return capacity > 0 ? Math.min(this.busyMs / capacity, 1) : 0;
  }

  /** Refuses new calls; resolves once every queued and running call has settled and the workers stopped. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= new Promise<void>((resolve) => {
      this.drained = resolve;
      this.pump();
    }).then(() => this.piscina.close());
    return this.closing;
  }

  async destroy(): Promise<void> {
    this.closed = this.destroyed = true;
    const waiting = this.queue.splice(0);
    this.head = this.queued = 0;
    for (const job of waiting) if (job.state === 'queued') this.settle(job, plainError(codes.poolClosed, 'the reward pool was destroyed before the call started'));
    await this.piscina.destroy();  // running calls reject: ERR_INFOGAIN_POOL_CLOSED (translate)
  }
}

/** A kernel call to run in this thread instead (a marker settle() acts on). */
class RunHere {
  constructor(readonly here: NonNullable<Here>) {}
}

function unsendable(detail?: string): Error {
  const why = detail ? `: ${detail}` : '';
  return typeError('args', `args holds a function, a symbol, a Proxy, a detached buffer or another value that cannot be sent to a worker${why}`);
}

/** The file: URL of a user module given as a URL, a URL string or a path (relative to the current directory). */
function moduleUrl(module: unknown): string {
  if (typeof module === 'string' && /^[a-z][a-z0-9+.-]+:/i.test(module)) {
    // a URL string (a scheme of two letters or more: C:\... is a path)
    if (!URL.canParse(module)) throw rangeError(codes.outOfRange, 'module', `module is not a valid URL: ${module}`);
    module = new URL(module);
  }
  if (module instanceof URL && !types.isProxy(module)) {
    if (module.protocol !== 'file:') throw rangeError(codes.outOfRange, 'module', `module must be a file: URL or a path, got ${module.href}`);
    return module.href;
  }
  if (typeof module !== 'string' || module === '')
    throw typeError('module', `module must be a file path or a file: URL, got ${describe(module)}`);
  return pathToFileURL(resolve(module)).href;
}

function callOptions(value: unknown): Call {
  const o = options<CallOptions>(value, 'options', keysOf<CallOptions>()('signal', 'transfer'));
  if (o.signal !== undefined && (!(o.signal instanceof AbortSignal) || types.isProxy(o.signal)))
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
  const sync = syncKernel(name);
  const method = function (this: Calls, ...args: unknown[]) {
    return this.core.submit({ kernel: name, args }, this.call, (prepared) => sync(...prepared));
  };
  Object.defineProperty(method, 'name', { value: name });
  Object.defineProperty(Calls.prototype, name, { value: method, writable: true, configurable: true });
}

class Pool extends Calls implements RewardPool {
  with(o: CallOptions): RewardCalls {
    return new Calls(this.core, callOptions(o));
  }

  stats(): PoolStats {
    const { piscina, queued, running, completed, failed, workerErrors } = this.core;
    return { threads: piscina.threads.length, queueSize: queued, running, utilization: this.core.utilization(), completed, failed, workerErrors };
  }

  close(): Promise<void> {
    return this.core.close();
  }

  destroy(): Promise<void> {
    return this.core.destroy();
  }
}

/** A pool of worker threads serving every kernel of the package and the user's reward modules. */
export function createRewardPool(opts?: RewardPoolOptions): RewardPool {
  const o = options<RewardPoolOptions>(opts, 'options', keysOf<RewardPoolOptions>()('threads', 'maxQueue', 'idleTimeout'));
  const threads = o.threads === undefined ? availableParallelism() : integer(o.threads, 'threads', 1, 1024);
  const maxQueue = o.maxQueue === undefined ? 1024 : integer(o.maxQueue, 'maxQueue');
  const idleTimeout =
    o.idleTimeout === undefined ? 30000 : o.idleTimeout === Infinity ? Infinity : integer(o.idleTimeout, 'idleTimeout');
  return new Pool(new Core(threads, maxQueue, idleTimeout), { transfer: false });
}

