// Backpressure: at most `concurrency` scoring jobs run at once and at most `maxQueue` wait; a job
// beyond that is refused at once (the route answers 503 with Retry-After) rather than piling up.
// A waiting job whose request is aborted (its client left) leaves the queue without running.
import { codes, plainError, throwIfAborted } from '../errors';

export class JobQueue {
  private running = 0;
  private readonly waiting: { start: () => void; fail: (e: unknown) => void }[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(readonly concurrency: number, readonly maxQueue: number, private readonly onChange: () => void = () => {}) {}

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting for a slot. */
  get depth(): number {
    return this.waiting.length;
  }

  /** Resolves once no job runs or waits: at once when none does. */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs `job` when a slot is free; ERR_INFOGAIN_QUEUE_FULL when the queue is full, ABORT_ERR when `signal` aborts while it waits. */
  async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    throwIfAborted(signal);
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue)
        throw plainError(codes.queueFull, `the server is busy: ${this.running} scoring jobs running and ${this.waiting.length} waiting (--concurrency ${this.concurrency}, --max-queue ${this.maxQueue}); try again later`);
      await new Promise<void>((start, fail) => {
        const entry = { start, fail };
        this.waiting.push(entry);
        this.onChange();
        signal?.addEventListener('abort', () => {
          const at = this.waiting.indexOf(entry);
          if (at < 0) return;
          this.waiting.splice(at, 1);
          this.onChange();
          try {
            throwIfAborted(signal);
          } catch (e) {
            fail(e);
          }
        }, { once: true });
      });
    } else this.running++;
    this.onChange();
    try {
      return await job();
    } finally {
      // the slot passes straight to the next waiting job (running stays the same), or is freed
      const next = this.waiting.shift();
      if (next) next.start();
      else this.running--;
      this.onChange();
      if (this.running === 0 && this.waiting.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
