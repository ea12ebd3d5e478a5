// Rows to numbers, one chunk at a time: gathered output rows go through the head (when it is split
// off; else they are logits already) and the kernels reduce the chunk before the next is made.
// A chunk is the only place logits exist. With a fused head there are none: the fused kernels
// take the chunk's hidden rows and the head's weight.
import { performance } from 'node:perf_hooks';

import { klDivergenceSync } from '../klDivergence';
import { linearKL, linearLogprobs, type Hidden, type LinearHeadOptions } from '../linearHead';
import type { Logits } from '../logits';
import { tokenLogprobsSync, type TokenLogprobsResult } from '../logprobs';
import type { FusedHead } from './fusedHead';
import type { MemoryBudget } from './memory';
import type { ModelRunner, RowArray } from './runner';

/**
 * Where a reduced value goes: out[index], the value of token `index` of request `request`;
 * log-probs may also ask for the entropy of the row's distribution, into entropies[index].
 */
export interface Destination {
  out: Float32Array;
  index: number;
  request: number;
  entropies?: Float32Array;
}

/** Items per chunk: rows of hidden states with a fused head (unless logits are wanted), else rows of logits. */
export function chunkCapacity(runner: ModelRunner, budget: MemoryBudget, pairs: boolean, logitsWanted: boolean): number {
  return runner.fused && !logitsWanted ? budget.fusedRows(pairs) : budget.headRows(pairs);
}

/** The fused kernels' options for a head and a temperature: the head's scale goes into the temperature. */
function fusedOptions(f: FusedHead, temperature: number): LinearHeadOptions {
  return { temperature: temperature / f.scale, softcap: f.softcap, ...(f.bias ? { bias: f.bias } : {}) };
}

abstract class Chunked {
  private buffer?: RowArray;
  protected count = 0;
  protected destinations: Destination[] = [];

  constructor(
    protected readonly runner: ModelRunner,
    /** Items per chunk (one row each for log-probs, two for divergences). */
    protected readonly capacity: number,
    private readonly rowsPerItem: number,
    protected readonly temperature: number,
  ) {}

  /** The chunk's rows, allocated when the first item comes. */
  protected get rows(): RowArray {
    if (!this.buffer) {
      const size = this.capacity * this.rowsPerItem * this.runner.rowWidth;
      this.buffer = this.runner.rowType === 'float32' ? new Float32Array(size) : new Uint16Array(size);
    }
    return this.buffer;
  }

  /** Rows [first, first + n) of the chunk as hidden states for the fused kernels. */
  protected hidden(first: number, n: number): Hidden {
    const w = this.runner.rowWidth;
    return { data: this.rows.subarray(first * w, (first + n) * w), rows: n, dim: w, dtype: this.runner.rowType } as Hidden;
  }

  protected async timed<T>(f: () => T | Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await f();
    } finally {
      this.runner.stats.kernelMs += performance.now() - start;
    }
  }

  protected abstract reduce(): Promise<void>;

  async flush(): Promise<void> {
    if (!this.count) return;
    await this.reduce();
    this.count = 0;
    this.destinations = [];
  }
}

/** Teacher-forced log-probs (and entropies where asked) of (row, target) items. */
export class LogprobChunks extends Chunked {
  private readonly targets: Int32Array;
  /** The fused head, unless logits are wanted (onLogits). */
  private readonly fused?: FusedHead;

  constructor(runner: ModelRunner, capacity: number, temperature: number, private readonly onLogits?: (logits: Logits, placed: Destination[]) => void) {
    super(runner, capacity, 1, temperature);
    this.targets = new Int32Array(capacity);
    this.fused = onLogits ? undefined : runner.fused;
  }

  async add(row: RowArray, target: number, to: Destination): Promise<void> {
    this.rows.set(row, this.count * this.runner.rowWidth);
    this.targets[this.count] = target;
    this.destinations.push(to);
    if (++this.count === this.capacity) await this.flush();
  }

  protected async reduce(): Promise<void> {
    const n = this.count, f = this.fused;
    const targets = this.targets.subarray(0, n), entropy = this.destinations.some((d) => d.entropies);
    let r: TokenLogprobsResult;
    if (f) {
      // off the main thread: a call of thousands of rows at a real model's width takes seconds
      r = await this.timed(() => linearLogprobs(this.hidden(0, n), f.weight, targets, { ...fusedOptions(f, this.temperature), entropy }));
      this.runner.stats.headPasses++;
    } else {
      const logits = await this.runner.head(this.rows, n);
      this.onLogits?.(logits, this.destinations);
      r = await this.timed(() => tokenLogprobsSync(logits, targets, { temperature: this.temperature, entropy }));
    }
    this.destinations.forEach((d, i) => {
      d.out[d.index] = r.logprobs[i];
      if (d.entropies) d.entropies[d.index] = r.entropy![i];
    });
    this.runner.stats.rowsScored += n;
  }
}

/** KL(P_a || P_b) of (row a, row b) items: both rows of a chunk in one head pass, a rows first. */
export class DivergenceChunks extends Chunked {
  constructor(runner: ModelRunner, capacity: number, temperature: number) {
    super(runner, capacity, 2, temperature);
  }

  async add(a: RowArray, b: RowArray, to: Destination): Promise<void> {
    const w = this.runner.rowWidth;
    this.rows.set(a, this.count * w);
    this.rows.set(b, (this.capacity + this.count) * w);
    this.destinations.push(to);
    if (++this.count === this.capacity) await this.flush();
  }

  protected async reduce(): Promise<void> {
    const n = this.count, w = this.runner.rowWidth, V = this.runner.vocab, f = this.runner.fused;
    let values: Float32Array;
    if (f) {
      values = (await this.timed(() => linearKL(this.hidden(0, n), this.hidden(this.capacity, n), f.weight, fusedOptions(f, this.temperature)))).values;
      this.runner.stats.headPasses++;
    } else {
      // the b rows sit after `capacity` a rows: move them up behind the n a rows of a short chunk
      if (n < this.capacity) this.rows.copyWithin(n * w, this.capacity * w, (this.capacity + n) * w);
      const logits = await this.runner.head(this.rows, 2 * n);
      const half = (h: number) => ({ ...logits, data: logits.data.subarray(h * n * V, (h + 1) * n * V), rows: n }) as Logits;
      values = (await this.timed(() => klDivergenceSync(half(0), half(1), { temperature: this.temperature }))).values;
    }
    this.destinations.forEach((d, i) => (d.out[d.index] = values[i]));
    this.runner.stats.rowsScored += 2 * n;
  }
}
