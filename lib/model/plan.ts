// What one tree request needs from the model: which output rows of which sequence (row r predicts
// the token at r + 1), how far each sequence must be fed, and where each scored token's row is.
// A branch row before the branch point is a trunk row (the branch shares that prefix).
import { codes, rangeError, typeError } from '../errors';
import { knownKeys, typedArray } from '../validate';
import type { PrefixTree, TreeSpan, TreeRequest } from './source';

export interface TreePlan {
  tree: PrefixTree;
  /** Trunk tokens to feed: enough for its rows and every fed branch's prefix. */
  trunkFeed: number;
  /** Sorted positions whose rows are kept, of the trunk and of each branch (branch: absolute positions >= at). */
  trunkRows: number[];
  branchRows: number[][];
  /** Branch tokens to feed (0: the branch needs no pass of its own). */
  branchFeed: number[];
  /** Row slot of every scored log-prob token and its target id. */
  logprobSlots: Int32Array;
  targets: Int32Array;
  /** Row slots of every divergence token: [a0, b0, a1, b1, ...]. */
  pairSlots: Int32Array;
  /** The log-prob tokens of slot s: slotTokens[slotTokenStart[s] .. slotTokenStart[s + 1]). */
  slotTokenStart: Int32Array;
  slotTokens: Int32Array;
  /** 1 where a divergence pair reads the slot (its row must be kept until both rows exist). */
  pairRow: Uint8Array;
  /** Slots in all: trunk rows first, then each branch's. */
  rows: number;
  slotOf(sequence: number, position: number): number;
}

export interface PlanLimits {
  vocab: number;
  maxLength?: number;
  /** Whether branches share the trunk's cache (else each is fed from its first token). */
  cached: boolean;
}

function checkIds(value: unknown, name: string, vocab: number): Int32Array {
  const ids = typedArray<Int32Array>(value, name, Int32Array);  // not a Proxy of one, nor detached
  for (let j = 0; j < ids.length; j++)
    if (!(ids[j] >= 0 && ids[j] < vocab)) throw rangeError(codes.outOfRange, name, `${name}[${j}] = ${ids[j]} is outside the model's vocabulary [0, ${vocab})`, j);
  return ids;
}

export function planTree(request: TreeRequest, index: number, limits: PlanLimits): TreePlan {
  const at = `requests[${index}]`;
  if (!request || typeof request !== 'object') throw typeError(at, `${at} must be an object { tree, logprobs, divergences?, entropy? }`);
  // a misspelt key (entropyy) would be a silent default
  knownKeys(request, at, ['tree', 'logprobs', 'divergences', 'entropy']);
  const tree = request.tree;
  if (!tree || typeof tree !== 'object') throw typeError(`${at}.tree`, `${at}.tree must be an object`);
  knownKeys(tree, `${at}.tree`, ['ids', 'branches']);
  const trunk = checkIds(tree.ids, `${at}.tree.ids`, limits.vocab);
  if (!Array.isArray(tree.branches)) throw typeError(`${at}.tree.branches`, `${at}.tree.branches must be an array`);
  const lengthOf = (sequence: number) => (sequence < 0 ? trunk.length : tree.branches[sequence].at + tree.branches[sequence].ids.length);
  const tooLong = (name: string, n: number) => {
    if (limits.maxLength !== undefined && n > limits.maxLength)
      throw rangeError(codes.outOfRange, name, `${name} is ${n} tokens long; the model reads at most ${limits.maxLength}`);
  };
  tooLong(`${at}.tree.ids`, trunk.length);
  tree.branches.forEach((b, i) => {
    const name = `${at}.tree.branches[${i}]`;
    if (!b || typeof b !== 'object') throw typeError(name, `${name} must be an object { at, ids }`);
    knownKeys(b, name, ['at', 'ids']);
    checkIds(b.ids, `${name}.ids`, limits.vocab);
    if (!(Number.isInteger(b.at) && b.at >= 0 && b.at <= trunk.length)) throw rangeError(codes.outOfRange, `${name}.at`, `${name}.at = ${b.at} is not in [0, ${trunk.length}]`);
    tooLong(name, b.at + b.ids.length);
  });
  const tokenAt = (sequence: number, j: number) => {
    if (sequence < 0) return trunk[j];
    const b = tree.branches[sequence];
    return j < b.at ? trunk[j] : b.ids[j - b.at];
  };

  // slot of each row of the trunk (by position) and of each branch (by position - at): -1 if not wanted
  const slots = [new Int32Array(trunk.length), ...tree.branches.map((b) => new Int32Array(b.ids.length))];
  /** The sequence whose pass makes row r of `sequence` (a branch's rows before its point are the trunk's). */
  const owner = (sequence: number, r: number) => (sequence >= 0 && r < tree.branches[sequence].at ? -1 : sequence);
  const offset = (sequence: number) => (sequence < 0 ? 0 : tree.branches[sequence].at);
  const checkSpan = (s: TreeSpan, name: string) => {
    if (s && typeof s === 'object') knownKeys(s, name, ['sequence', 'start', 'end']);
    if (!s || !Number.isInteger(s.sequence) || s.sequence < -1 || s.sequence >= tree.branches.length)
      throw rangeError(codes.outOfRange, name, `${name}.sequence must be -1 (the trunk) or a branch index below ${tree.branches.length}`);
    const n = lengthOf(s.sequence);
    if (!(Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 1 && s.start <= s.end && s.end <= n))
      throw rangeError(codes.outOfRange, name, `${name} = [${s.start}, ${s.end}) is not within [1, ${n}] (position 0 has no prediction)`);
    for (let j = s.start; j < s.end; j++) {
      const o = owner(s.sequence, j - 1);
      slots[o + 1][j - 1 - offset(o)] = 1;
    }
  };
  if (!Array.isArray(request.logprobs)) throw typeError(`${at}.logprobs`, `${at}.logprobs must be an array of spans`);
  if (request.entropy !== undefined && typeof request.entropy !== 'boolean') throw typeError(`${at}.entropy`, `${at}.entropy must be a boolean`);
  request.logprobs.forEach((s, k) => checkSpan(s, `${at}.logprobs[${k}]`));
  const pairs = request.divergences ?? [];
  if (!Array.isArray(pairs)) throw typeError(`${at}.divergences`, `${at}.divergences must be an array of span pairs`);
  pairs.forEach((p, k) => {
    const name = `${at}.divergences[${k}]`;
    if (!Array.isArray(p) || p.length !== 2) throw typeError(name, `${name} must be a pair of spans`);
    checkSpan(p[0], `${name}[0]`);
    checkSpan(p[1], `${name}[1]`);
    if (p[0].end - p[0].start !== p[1].end - p[1].start) throw rangeError(codes.shape, name, `${name} pairs spans of different lengths`);
  });

  // wanted rows in position order, numbered: the trunk's first, then each branch's
  const sorted: number[][] = [];
  let rows = 0;
  slots.forEach((marks, i) => {
    const list: number[] = [], base = offset(i - 1);
    for (let r = 0; r < marks.length; r++) marks[r] = marks[r] ? (list.push(base + r), rows++) : -1;
    sorted.push(list);
  });
  const slotOf = (sequence: number, position: number) => {
    const o = owner(sequence, position);
    return slots[o + 1][position - offset(o)];
  };

  let logprobTokens = 0;
  for (const s of request.logprobs) logprobTokens += s.end - s.start;
  const logprobSlots = new Int32Array(logprobTokens), targets = new Int32Array(logprobTokens);
  let k = 0;
  for (const s of request.logprobs)
    for (let j = s.start; j < s.end; j++, k++) {
      logprobSlots[k] = slotOf(s.sequence, j - 1);
      targets[k] = tokenAt(s.sequence, j);
    }
  const pairTokens = pairs.reduce((n, p) => n + p[0].end - p[0].start, 0);
  const pairSlots = new Int32Array(2 * pairTokens);
  k = 0;
  for (const [a, b] of pairs)
    for (let d = 0; d < a.end - a.start; d++) {
      pairSlots[k++] = slotOf(a.sequence, a.start + d - 1);
      pairSlots[k++] = slotOf(b.sequence, b.start + d - 1);
    }

  const slotTokenStart = new Int32Array(rows + 1);
  for (const slot of logprobSlots) slotTokenStart[slot + 1]++;
  for (let i = 0; i < rows; i++) slotTokenStart[i + 1] += slotTokenStart[i];
  const slotTokens = new Int32Array(logprobSlots.length), filled = slotTokenStart.slice(0, rows);
  logprobSlots.forEach((slot, token) => (slotTokens[filled[slot]++] = token));
  const pairRow = new Uint8Array(rows);
  for (const slot of pairSlots) pairRow[slot] = 1;

  const branchRows = sorted.slice(1);
  const branchFeed = branchRows.map((list, i) => (list.length ? list[list.length - 1] + 1 - tree.branches[i].at : 0));
  let trunkFeed = sorted[0].length ? sorted[0][sorted[0].length - 1] + 1 : 0;
  if (limits.cached) branchFeed.forEach((n, i) => n > 0 && (trunkFeed = Math.max(trunkFeed, tree.branches[i].at)));
  return { tree, trunkFeed, trunkRows: sorted[0], branchRows, branchFeed, logprobSlots, targets, pairSlots, slotTokenStart, slotTokens, pairRow, rows, slotOf };
}
