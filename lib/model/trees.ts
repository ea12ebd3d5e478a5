// Scores prefix-tree requests with a ModelRunner, in bounded memory:
//  1. requests are taken in groups ("waves") whose KV caches and kept rows fit half the budget;
//  2. with a cache, each trunk is fed once, in chunks, keeping its cache; every branch then
//     continues from a prefix of it, branches of many trees batched together (pasts left-padded
//     to the longest, new tokens right-padded); without a cache, every sequence is fed whole;
//  3. only the rows that are scored are kept (hidden rows when the head is split off), and they
//     go through the head in chunks of rows, each chunk reduced by the kernels at once
//     (tokenLogprobs, klDivergence): never more logits than one chunk.
import { performance } from 'node:perf_hooks';

import { klDivergenceSync } from '../divergence';
import { codes, rangeError } from '../errors';
import type { Logits } from '../logits';
import { tokenLogprobsSync } from '../logprobs';
import { cacheBytes, type KvCache } from './kv-cache';
import { type MemoryBudget, mib } from './memory';
import { planTree, type TreePlan } from './plan';
import type { ModelRunner, PassRow, RowArray } from './runner';
import type { TreeRequest, TreeResult } from './source';

export interface TreeScoringOptions extends TreeLimits {
  temperature: number;
  /** Most sequences in one forward pass. */
  batchSize: number;
  /** Called with every chunk of log-prob rows' logits, in token order, before it is reduced. */
  onLogits?: (logits: Logits) => void;
}

interface Work {
  /** The request's index. */
  index: number;
  plan: TreePlan;
  /** plan.rows x rowWidth: the kept output rows. */
  store: RowArray;
  cache?: KvCache;
  result: TreeResult;
}

/** One sequence of a pass: its tokens, the cached prefix it follows, and where its kept rows go. */
interface Fed extends PassRow {
  work: Work;
  /** Absolute position of ids[0]. */
  start: number;
  /** Absolute positions whose rows are kept, and the sequence they belong to (-1: trunk). */
  rows: number[];
  sequence: number;
}

/** Bytes a planned request holds between passes: its trunk's KV cache and its kept rows. */
function holdOf(runner: ModelRunner, plan: TreePlan): number {
  const rowBytes = runner.rowWidth * (runner.rowType === 'float32' ? 4 : 2);
  const cache = runner.layout.kind === 'past' ? cacheBytes({ ...runner.layout, type: runner.layout.cache }, plan.trunkFeed) : 0;
  return plan.rows * rowBytes + cache;
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

export interface TreeLimits {
  maxLength: number | undefined;
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
  const results: TreeResult[] = plans.map((p) => ({ logprobs: new Float32Array(p.targets.length), divergences: new Float32Array(p.pairSlots.length / 2) }));

  for (let first = 0; first < plans.length; ) {
    let end = first + 1, held = holds[first];
    while (end < plans.length && held + holds[end] <= budget.holdLimit) held += holds[end++];
    const wave: Work[] = [];
    for (let i = first; i < end; i++) {
      const size = plans[i].rows * runner.rowWidth;
      wave.push({ index: i, plan: plans[i], store: runner.rowType === 'float32' ? new Float32Array(size) : new Uint16Array(size), result: results[i] });
    }
    if (cached) await feedWithCache(runner, budget, wave, o.batchSize);
    else await feedWhole(runner, budget, wave, o.batchSize);
    await reduce(runner, budget, wave, o);
    first = end;
  }
  return results;
}

function keepRows(runner: ModelRunner, out: RowArray, batchIndex: number, length: number, f: Fed): void {
  const w = runner.rowWidth;
  for (const r of f.rows) {
    const k = r - f.start;
    if (k < 0 || k >= f.ids.length) continue;
    const from = (batchIndex * length + k) * w;
    f.work.store.set(out.subarray(from, from + w), f.work.plan.slotOf(f.sequence, r) * w);
  }
}

/** Feeds one sequence alone in chunks that fit the budget, after an optional cached prefix; returns its cache. */
async function feedChunked(runner: ModelRunner, budget: MemoryBudget, f: Fed, keepCache: boolean): Promise<KvCache> {
  let cache: KvCache = f.past?.cache ?? { arrays: [], row: 0, width: 0, length: 0 };
  let past = f.past?.length ?? 0;
  for (let k = 0; k < f.ids.length; ) {
    const n = Math.min(budget.chunkTokens(past), f.ids.length - k);
    const chunk: Fed = { ...f, ids: f.ids.subarray(k, k + n), start: f.start + k, past: past ? { cache, length: past } : undefined };
    const last = k + n === f.ids.length;
    const res = await runner.pass([chunk], keepCache || !last);
    keepRows(runner, res.out, 0, res.length, chunk);
    if (res.presents) cache = { arrays: res.presents, row: 0, width: past + n, length: past + n };
    past += n;
    k += n;
  }
  return cache;
}

async function feedWithCache(runner: ModelRunner, budget: MemoryBudget, wave: Work[], batchSize: number): Promise<void> {
  // trunks that fit one pass share passes; longer ones are fed alone, chunk by chunk
  const trunks = wave.filter((w) => w.plan.trunkFeed > 0).sort((x, y) => x.plan.trunkFeed - y.plan.trunkFeed);
  const whole = trunks.filter((w) => w.plan.trunkFeed <= budget.chunkTokens(0));
  const trunkOf = (work: Work): Fed => ({ work, ids: work.plan.tree.ids.subarray(0, work.plan.trunkFeed), start: 0, rows: work.plan.trunkRows, sequence: -1 });
  for (const batch of batches(whole.map(trunkOf), batchSize, (b, s) => budget.pass(b, s, 0) <= budget.passLimit)) {
    const res = await runner.pass(batch, true);
    batch.forEach((f, b) => {
      keepRows(runner, res.out, b, res.length, f);
      f.work.cache = { arrays: res.presents!, row: b, width: res.length, length: f.ids.length };
    });
  }
  for (const work of trunks.slice(whole.length)) work.cache = await feedChunked(runner, budget, trunkOf(work), true);

  const branches: Fed[] = [];
  for (const work of wave)
    work.plan.tree.branches.forEach((b, i) => {
      const feed = work.plan.branchFeed[i];
      if (feed > 0) branches.push({ work, ids: b.ids.subarray(0, feed), start: b.at, rows: work.plan.branchRows[i], sequence: i, past: b.at ? { cache: work.cache!, length: b.at } : undefined });
    });
  // similar prefix lengths side by side: less padding
  branches.sort((x, y) => x.start - y.start || x.ids.length - y.ids.length);
  const samePast = !runner.layout.hasPositions; // positions come from the past length: no padding of pasts
  for (let i = 0; i < branches.length; ) {
    const batch = [branches[i]];
    let P = branches[i].start, S = branches[i].ids.length;
    for (let j = i + 1; j < branches.length && batch.length < batchSize; j++) {
      const b = branches[j];
      const p = Math.max(P, b.start), s = Math.max(S, b.ids.length);
      if ((samePast && b.start !== P) || budget.pass(batch.length + 1, s, p) > budget.passLimit) break;
      batch.push(b);
      [P, S] = [p, s];
    }
    i += batch.length;
    if (batch.length === 1 && budget.pass(1, S, P) > budget.passLimit) {
      await feedChunked(runner, budget, batch[0], false);
      continue;
    }
    const res = await runner.pass(batch, false);
    batch.forEach((f, b) => keepRows(runner, res.out, b, res.length, f));
  }
  for (const work of wave) work.cache = undefined;
}

async function feedWhole(runner: ModelRunner, budget: MemoryBudget, wave: Work[], batchSize: number): Promise<void> {
  const sequences: Fed[] = [];
  for (const work of wave) {
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
  for (const batch of batches(sequences, batchSize, (b, s) => budget.pass(b, s, 0) <= budget.passLimit)) {
    const res = await runner.pass(batch, false);
    batch.forEach((f, b) => keepRows(runner, res.out, b, res.length, f));
  }
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

/** The kept rows through the head in chunks, each reduced by the kernels before the next exists. */
async function reduce(runner: ModelRunner, budget: MemoryBudget, wave: Work[], o: TreeScoringOptions): Promise<void> {
  const { temperature } = o;
  const w = runner.rowWidth, V = runner.vocab;
  const gatherRows = (n: number) => (runner.rowType === 'float32' ? new Float32Array(n * w) : new Uint16Array(n * w));
  const timed = <T>(f: () => T): T => {
    const start = performance.now();
    try {
      return f();
    } finally {
      runner.stats.kernelMs += performance.now() - start;
    }
  };

  // log-probs: (work, token) in order, chunk by chunk
  const perChunk = budget.headRows(false);
  const pending: { work: Work; k: number }[] = [];
  const flushLogprobs = async () => {
    if (!pending.length) return;
    const rows = gatherRows(pending.length), targets = new Int32Array(pending.length);
    pending.forEach(({ work, k }, i) => {
      const slot = work.plan.logprobSlots[k];
      rows.set(work.store.subarray(slot * w, (slot + 1) * w), i * w);
      targets[i] = work.plan.targets[k];
    });
    const logits = await runner.head(rows, pending.length);
    o.onLogits?.(logits);
    const { logprobs } = timed(() => tokenLogprobsSync(logits, targets, { temperature }));
    pending.forEach(({ work, k }, i) => (work.result.logprobs[k] = logprobs[i]));
    runner.stats.rowsScored += pending.length;
    pending.length = 0;
  };
  for (const work of wave)
    for (let k = 0; k < work.plan.targets.length; k++) {
      pending.push({ work, k });
      if (pending.length === perChunk) await flushLogprobs();
    }
  await flushLogprobs();

  // divergences: both rows of each pair in one head pass, A rows first
  const pairChunk = budget.headRows(true);
  const flushPairs = async () => {
    if (!pending.length) return;
    const n = pending.length, rows = gatherRows(2 * n);
    pending.forEach(({ work, k }, i) => {
      const a = work.plan.pairSlots[2 * k], b = work.plan.pairSlots[2 * k + 1];
      rows.set(work.store.subarray(a * w, (a + 1) * w), i * w);
      rows.set(work.store.subarray(b * w, (b + 1) * w), (n + i) * w);
    });
    const logits = await runner.head(rows, 2 * n);
    const half = (h: number) => ({ ...logits, data: logits.data.subarray(h * n * V, (h + 1) * n * V), rows: n });
    const { values } = timed(() => klDivergenceSync(half(0), half(1), { temperature }));
    pending.forEach(({ work, k }, i) => (work.result.divergences[k] = values[i]));
    runner.stats.rowsScored += 2 * n;
    pending.length = 0;
  };
  for (const work of wave)
    for (let k = 0; k < work.plan.pairSlots.length / 2; k++) {
      pending.push({ work, k });
      if (pending.length === pairChunk) await flushPairs();
    }
  await flushPairs();
}
