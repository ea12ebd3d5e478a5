// A prefix-tree request as the token sequences a serving engine scores, and requests packed into
// batches. An engine returns the
// log-prob of each sequence's own next token, not whole distributions, so every span is read from
// its own sequence (a branch span that starts at the branch point is read from the branch, whose
// token there differs from the trunk's). Each sequence is sent from position 0 to the end of its
// last span, with the first position read; the trunk goes first and alone, long enough to hold every
// branch point, so that a prefix cache (SGLang's radix tree) has the shared prefix when the
// branches arrive.
import { codes, rangeError } from '../errors';
import { planTree } from '../model/plan';
import type { TreeRequest } from '../model/source';

export interface EngineSequence {
  /** Tokens [0, n) of the tree's sequence. */
  ids: Int32Array;
  /** First position read: log-probs come for positions [first, n). 0: none are read (the trunk, sent only to fill the cache). */
  first: number;
  /** Leading tokens shared with the trunk (a branch's point; 0 for the trunk). */
  shared: number;
}

export interface EnginePlan {
  /** Sent first and alone; undefined when no span is on the trunk and no prefix is worth caching. */
  trunk: EngineSequence | undefined;
  branches: EngineSequence[];
  /** Each log-prob span of the request in order: its sequence (-1: the trunk, else an index into `branches`) and positions. */
  spans: { sequence: number; start: number; end: number }[];
  /** Log-probs the request asks for. */
  tokens: number;
}

export interface EnginePlanLimits {
  vocab: number;
  maxLength: number | undefined;
  /** Send the trunk even without spans of its own, as far as the last branch point (for a prefix cache). */
  warmTrunk: boolean;
}

/**
 * The sequences of `request` (checked as the ONNX scorer checks it: ids in the vocabulary, spans
 * within their sequences; divergences, which need whole distributions, are refused).
 */
export function planForEngine(request: TreeRequest, index: number, limits: EnginePlanLimits): EnginePlan {
  const name = `requests[${index}]`;
  if (request?.divergences?.length)
    throw rangeError(codes.outOfRange, `${name}.divergences`,
      `${name}.divergences cannot be scored: a serving engine returns log-probs of given tokens, not whole next-token distributions (mode 'full' needs the onnx backend)`);
  planTree(request, index, { vocab: limits.vocab, maxLength: limits.maxLength, cached: true });
  const { tree } = request;
  // [first, end) of each sequence: index 0 the trunk, b + 1 branch b
  const first = new Array<number>(tree.branches.length + 1).fill(Infinity), end = new Array<number>(tree.branches.length + 1).fill(0);
  let tokens = 0;
  const spans = request.logprobs.map((s) => {
    tokens += s.end - s.start;
    if (s.end > s.start) {
      first[s.sequence + 1] = Math.min(first[s.sequence + 1], s.start);
      end[s.sequence + 1] = Math.max(end[s.sequence + 1], s.end);
    }
    return { sequence: s.sequence, start: s.start, end: s.end };
  });

  const branches: EngineSequence[] = [];
  const branchIndex = new Int32Array(tree.branches.length).fill(-1);
  let lastPoint = 0;
  tree.branches.forEach((b, i) => {
    const n = end[i + 1];
    if (n === 0) return;
    const ids = new Int32Array(n), shared = Math.min(b.at, n);
    ids.set(tree.ids.subarray(0, shared));
    ids.set(b.ids.subarray(0, n - shared), shared);
    branchIndex[i] = branches.length;
    branches.push({ ids, first: first[i + 1], shared });
    lastPoint = Math.max(lastPoint, shared);
  });
  const trunkEnd = Math.max(end[0], limits.warmTrunk && branches.length ? lastPoint : 0);
  const trunk = trunkEnd > 0 ? { ids: tree.ids.subarray(0, trunkEnd), first: end[0] > 0 ? first[0] : 0, shared: 0 } : undefined;
  for (const s of spans) if (s.sequence >= 0) s.sequence = branchIndex[s.sequence];
  return { trunk, branches, spans, tokens };
}

/**
 * The request's log-probs from the values an engine returned: `trunk` for positions
 * [plan.trunk.first, n) of the trunk, `branches[i]` likewise for branch sequence i.
 */
export function gatherLogprobs(plan: EnginePlan, trunk: Float32Array | undefined, branches: Float32Array[]): Float32Array {
  const out = new Float32Array(plan.tokens);
  let at = 0;
  for (const s of plan.spans) {
    if (s.end === s.start) continue;
    const sequence = s.sequence < 0 ? plan.trunk! : plan.branches[s.sequence];
    const values = s.sequence < 0 ? trunk! : branches[s.sequence];
    out.set(values.subarray(s.start - sequence.first, s.end - sequence.first), at);
    at += s.end - s.start;
  }
  return out;
}

/** Token ids a plan sends. */
export function planTokens(plan: EnginePlan): number {
  return (plan.trunk?.ids.length ?? 0) + plan.branches.reduce((n, b) => n + b.ids.length, 0);
}

/**
 * Consecutive plans packed into groups that send at most `maxTokens` token ids (a plan larger than
 * that alone): a group's sequences go in one batch (SGLang: its trunks, then its branches).
 */
export function packPlans(plans: EnginePlan[], maxTokens: number): EnginePlan[][] {
  const groups: EnginePlan[][] = [];
  let tokens = Infinity;
  for (const plan of plans) {
    const n = planTokens(plan);
    if (tokens + n > maxTokens) {
      groups.push([]);
      tokens = 0;
    }
    groups[groups.length - 1].push(plan);
    tokens += n;
  }
  return groups;
}
