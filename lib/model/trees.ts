// Scores prefix-tree requests with a ModelRunner, in bounded memory:
//  1. requests are taken in groups ("waves") whose KV caches and kept rows fit half the budget;
//  2. with a cache, each trunk is fed once (trunks that fit one pass share it; longer ones go in
//     chunks), keeping its cache; every branch then continues from a prefix of it, branches of
//     many trees batched together (pasts left-padded to the longest, new tokens right-padded);
//     without a cache, every sequence is fed whole;
//  3. only the rows that are scored are kept: hidden rows when the head is split off, reduced in
//     head chunks at the end of the wave; without a split, logits rows needed only as log-probs are
//     reduced as the pass makes them, and only the rows a KL needs are kept (reduce.ts).
import { codes, rangeError, throwIfAborted } from '../errors';
import type { Logits } from '../logits';
import { cacheBytes, type KvCache } from './kvCache';
import { type MemoryBudget, mib } from './memory';
import { planTree, type TreePlan } from './plan';
import { chunkCapacity, type Destination, DivergenceChunks, LogprobChunks } from './reduce';
import type { ModelRunner, PassRow, RowArray } from './runner';
import type { TreeRequest, TreeResult } from './source';

export interface TreeLimits {
  maxLength: number | undefined;
}

export interface TreeScoringOptions extends TreeLimits {
  temperature: number;
  /** Most sequences in one forward pass. */
  batchSize: number;
  /** Checked before every forward pass and head chunk: aborted, the call rejects with ABORT_ERR. */
  signal?: AbortSignal;
  /** Called with every chunk of log-prob rows' logits and where each row's value goes, before it is reduced. */
  onLogits?: (logits: Logits, placed: Destination[]) => void;
}

interface Work {
  /** The request's index. */
  index: number;
  plan: TreePlan;
  /** The kept rows; slot s is row storeIndex[s] (-1: not kept). */
  store: RowArray;
  storeIndex: Int32Array;
  cache?: KvCache;
  result: TreeResult;
}

/** One sequence of a pass: its tokens, the cached prefix it follows, and which of its rows are kept. */
interface Fed extends PassRow {
  work: Work;
  /** Absolute position of ids[0]. */
  start: number;
  /** Absolute positions whose rows are kept, and the sequence they belong to (-1: trunk). */
  rows: number[];
  sequence: number;
}

interface Wave {
  runner: ModelRunner;
  signal: AbortSignal | undefined;
  /** The model's context: a batch's padded positions (longest past + longest new) stay within it. */
  maxLength: number | undefined;
  budget: MemoryBudget;
  batchSize: number;
  works: Work[];
  logprobs: LogprobChunks;
}

/** Slots whose rows are kept between passes: all (hidden rows) with a split head, else those a KL reads. */
function keptSlots(runner: ModelRunner, plan: TreePlan): number {
  return runner.splitHead ? plan.rows : plan.pairRow.reduce((n, x) => n + x, 0);
}

/** Bytes a planned request holds between passes: its trunk's KV cache and its kept rows. */
function holdOf(runner: ModelRunner, plan: TreePlan): number {
  const rowBytes = runner.rowWidth * (runner.rowType === 'float32' ? 4 : 2);
  const cache = runner.layout.kind === 'past' ? cacheBytes({ ...runner.layout, type: runner.layout.cache }, plan.trunkFeed) : 0;
  return keptSlots(runner, plan) * rowBytes + cache;
}

/** The longest sequence a planned request feeds whole (without a cache every branch is fed from its start). */
function longestWhole(plan: TreePlan): number {
  let n = plan.trunkRows.length ? plan.trunkFeed : 0;
  plan.tree.branches.forEach((b, i) => plan.branchFeed[i] && (n = Math.max(n, b.at + plan.branchFeed[i])));
  return n;
}

/** Why a planned request cannot be scored in the budget, or undefined. */
function memoryProblem(runner: ModelRunner, budget: MemoryBudget, plan: TreePlan): string | undefined {
  const hold = holdOf(runner, plan);
  if (hold > budget.bytes) return `it holds ~${mib(hold)} MiB of KV cache and kept rows, over the memory budget (${mib(budget.bytes)} MiB): raise --max-memory`;
  const longest = runner.layout.kind === 'past' ? 0 : longestWhole(plan);
  if (longest && budget.pass(1, longest, 0) > budget.passLimit)
    return `a sequence of ${longest} tokens needs ~${mib(budget.pass(1, longest, 0))} MiB for one forward pass, over a quarter of the memory budget (${mib(budget.bytes)} MiB); this model has no KV cache, so sequences cannot be chunked: raise --max-memory`;
  return undefined;
}

/** Why `request` cannot be scored in the budget (too much to hold, or a pass too large), or undefined. */
export function requestProblem(runner: ModelRunner, budget: MemoryBudget, request: TreeRequest, o: TreeLimits): string | undefined {
  return memoryProblem(runner, budget, planTree(request, 0, { vocab: runner.vocab, maxLength: o.maxLength, cached: runner.layout.kind === 'past' }));
}

export async function scoreTrees(runner: ModelRunner, budget: MemoryBudget, requests: TreeRequest[], o: TreeScoringOptions): Promise<TreeResult[]> {
  const cached = runner.layout.kind === 'past';
  const plans = requests.map((r, i) => planTree(r, i, { vocab: runner.vocab, maxLength: o.maxLength, cached }));
  plans.forEach((p, i) => {
    const problem = memoryProblem(runner, budget, p);
    if (problem) throw rangeError(codes.outOfMemory, `requests[${i}]`, `requests[${i}] cannot be scored: ${problem}`, i);
  });
  const holds = plans.map((p) => holdOf(runner, p));
  const results: TreeResult[] = plans.map((p, i) => {
    const result: TreeResult = { logprobs: new Float32Array(p.targets.length), divergences: new Float32Array(p.pairSlots.length / 2) };
    if (requests[i].entropy) result.entropies = new Float32Array(p.targets.length);
    return result;
  });
  // chunks no larger than what there is to reduce
  const tokens = results.reduce((n, r) => n + r.logprobs.length, 0), pairs = results.reduce((n, r) => n + r.divergences.length, 0);
  const logprobs = new LogprobChunks(runner, Math.max(1, Math.min(chunkCapacity(runner, budget, false, !!o.onLogits), tokens)), o.temperature, o.onLogits);
  const divergences = new DivergenceChunks(runner, Math.max(1, Math.min(chunkCapacity(runner, budget, true, false), pairs)), o.temperature);

  for (let first = 0; first < plans.length; ) {
    let end = first + 1, held = holds[first];
    while (end < plans.length && held + holds[end] <= budget.holdLimit) held += holds[end++];
    const works: Work[] = [];
    for (let i = first; i < end; i++) {
      const plan = plans[i];
      const storeIndex = new Int32Array(plan.rows).fill(-1);
      let kept = 0;
      for (let s = 0; s < plan.rows; s++) if (runner.splitHead || plan.pairRow[s]) storeIndex[s] = kept++;
      const size = kept * runner.rowWidth;
      works.push({ index: i, plan, store: runner.rowType === 'float32' ? new Float32Array(size) : new Uint16Array(size), storeIndex, result: results[i] });
    }
    // fused attention operators assume their own padding: one sequence a pass
    throwIfAborted(o.signal);
    const wave: Wave = { runner, signal: o.signal, maxLength: o.maxLength, budget, batchSize: runner.layout.padding ? o.batchSize : 1, works, logprobs };
    if (cached) await feedWithCache(wave);
    else await feedWhole(wave);

    const w = runner.rowWidth;
    const kept = (work: Work, slot: number) => work.store.subarray(work.storeIndex[slot] * w, (work.storeIndex[slot] + 1) * w);
    if (runner.splitHead)
      for (const work of works)
        for (let k = 0; k < work.plan.targets.length; k++)
          await logprobs.add(kept(work, work.plan.logprobSlots[k]), work.plan.targets[k], { out: work.result.logprobs, index: k, request: work.index, entropies: work.result.entropies });
    await logprobs.flush();
    throwIfAborted(o.signal);
    for (const work of works)
      for (let k = 0; k < work.result.divergences.length; k++)
        await divergences.add(kept(work, work.plan.pairSlots[2 * k]), kept(work, work.plan.pairSlots[2 * k + 1]), { out: work.result.divergences, index: k, request: work.index });
    await divergences.flush();
    first = end;
  }
  return results;
}

/** One forward pass of `batch`: kept rows into their stores; without a split head, log-prob rows reduced now. */
async function pass(wave: Wave, batch: Fed[], presents: boolean) {
  const { runner } = wave;
  throwIfAborted(wave.signal);
  const res = await runner.pass(batch, presents);
  const w = runner.rowWidth;
  for (const [b, f] of batch.entries()) {
    const { plan, store, storeIndex, result, index } = f.work;
    for (const r of f.rows) {
      const k = r - f.start;
      if (k < 0 || k >= f.ids.length) continue;
      const row = res.out.subarray((b * res.length + k) * w, (b * res.length + k + 1) * w);
      const slot = plan.slotOf(f.sequence, r);
      if (storeIndex[slot] >= 0) store.set(row, storeIndex[slot] * w);
      if (!runner.splitHead)
        for (let t = plan.slotTokenStart[slot]; t < plan.slotTokenStart[slot + 1]; t++) {
          const token = plan.slotTokens[t];
          await wave.logprobs.add(row, plan.targets[token], { out: result.logprobs, index: token, request: index, entropies: result.entropies });
        }
    }
  }
  return res;
}

/** Feeds one sequence alone in chunks that fit the budget, after an optional cached prefix; returns its cache. */
async function feedChunked(wave: Wave, f: Fed, keepCache: boolean): Promise<KvCache> {
  let cache: KvCache = f.past?.cache ?? { arrays: [], row: 0, width: 0, length: 0 };
  let past = f.past?.length ?? 0;
  for (let k = 0; k < f.ids.length; ) {
    const n = Math.min(wave.budget.chunkTokens(past), f.ids.length - k);
    const chunk: Fed = { ...f, ids: f.ids.subarray(k, k + n), start: f.start + k, past: past ? { cache, length: past } : undefined };
    const res = await pass(wave, [chunk], keepCache || k + n < f.ids.length);
    if (res.presents) cache = { arrays: res.presents, row: 0, width: past + n, length: past + n };
    past += n;
    k += n;
  }
  return cache;
}

async function feedWithCache(wave: Wave): Promise<void> {
  const { budget, batchSize, works, runner } = wave;
  // trunks that fit one pass share passes; longer ones are fed alone, chunk by chunk
  const trunks = works.filter((w) => w.plan.trunkFeed > 0).sort((x, y) => x.plan.trunkFeed - y.plan.trunkFeed);
  const whole = trunks.filter((w) => w.plan.trunkFeed <= budget.chunkTokens(0));
  const trunkOf = (work: Work): Fed => ({ work, ids: work.plan.tree.ids.subarray(0, work.plan.trunkFeed), start: 0, rows: work.plan.trunkRows, sequence: -1 });
  for (const batch of batches(whole.map(trunkOf), batchSize, (b, s) => budget.pass(b, s, 0) <= budget.passLimit)) {
    const res = await pass(wave, batch, true);
    batch.forEach((f, b) => (f.work.cache = { arrays: res.presents!, row: b, width: res.length, length: f.ids.length }));
  }
  for (const work of trunks.slice(whole.length)) work.cache = await feedChunked(wave, trunkOf(work), true);

  const branches: Fed[] = [];
  for (const work of works)
    work.plan.tree.branches.forEach((b, i) => {
      const feed = work.plan.branchFeed[i];
      if (feed > 0) branches.push({ work, ids: b.ids.subarray(0, feed), start: b.at, rows: work.plan.branchRows[i], sequence: i, past: b.at ? { cache: work.cache!, length: b.at } : undefined });
    });
  // similar lengths side by side: a padded token costs a whole position, a padded past only attention
  branches.sort((x, y) => x.ids.length - y.ids.length || x.start - y.start);
  const samePast = !runner.layout.hasPositions; // positions come from the past length: no padding of pasts
  for (let i = 0; i < branches.length; ) {
    const batch = [branches[i]];
    let P = branches[i].start, S = branches[i].ids.length;
    for (let j = i + 1; j < branches.length && batch.length < batchSize; j++) {
      const b = branches[j];
      const p = Math.max(P, b.start), s = Math.max(S, b.ids.length);
      // right-padded new tokens sit at positions up to p + s: beyond the context, a position table has no row for them
      if ((samePast && b.start !== P) || (wave.maxLength !== undefined && p + s > wave.maxLength) || budget.pass(batch.length + 1, s, p) > budget.passLimit) break;
      batch.push(b);
      [P, S] = [p, s];
    }
    i += batch.length;
    if (batch.length === 1 && budget.pass(1, S, P) > budget.passLimit) await feedChunked(wave, batch[0], false);
    else await pass(wave, batch, false);
  }
  for (const work of works) work.cache = undefined;
}

async function feedWhole(wave: Wave): Promise<void> {
  const sequences: Fed[] = [];
  for (const work of wave.works) {
    const { plan } = work;
    if (plan.trunkRows.length) sequences.push({ work, ids: plan.tree.ids.subarray(0, plan.trunkFeed), start: 0, rows: plan.trunkRows, sequence: -1 });
    plan.tree.branches.forEach((b, i) => {
      if (!plan.branchFeed[i]) return;
      const ids = new Int32Array(b.at + plan.branchFeed[i]);
      ids.set(plan.tree.ids.subarray(0, b.at));
      ids.set(b.ids.subarray(0, plan.branchFeed[i]), b.at);
      sequences.push({ work, ids, start: 0, rows: plan.branchRows[i], sequence: i });
    });
  }
  sequences.sort((x, y) => x.ids.length - y.ids.length);
  const { budget } = wave;
  for (const batch of batches(sequences, wave.batchSize, (b, s) => budget.pass(b, s, 0) <= budget.passLimit)) await pass(wave, batch, false);
}

/** Consecutive runs of `items` (sorted by length) of at most `most`, each as long as `fits(count, longest)`. */
function batches(items: Fed[], most: number, fits: (count: number, longest: number) => boolean): Fed[][] {
  const out: Fed[][] = [];
  for (let i = 0; i < items.length; ) {
    let n = 1, longest = items[i].ids.length;
    while (i + n < items.length && n < most) {
      const s = Math.max(longest, items[i + n].ids.length);
      if (!fits(n + 1, s)) break;
      longest = s;
      n++;
    }
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
}
