// What the scoring loop asks of a model, whatever runs it (onnxruntime with its own head or the
// fused head kernels; a serving engine): teacher-forced log-probs, entropies and next-token
// divergences at positions of token sequences that share prefixes.
//
// A PrefixTree is one real sequence (the trunk) and branches that continue a prefix of it with
// other tokens: branch b is trunk[0, at) followed by branch.ids. A source may compute the shared
// prefix once (a KV cache) or recompute it; the answers are the same.
import type { TextTokenizer } from '../tokenizer';

export interface Branch {
  /** The branch continues trunk[0, at). */
  at: number;
  ids: Int32Array;
}

export interface PrefixTree {
  ids: Int32Array;
  branches: Branch[];
}

/**
 * Tokens [start, end) of one sequence of a tree: `sequence` -1 is the trunk, b >= 0 branch b, whose
 * positions count from the start of the trunk (a branch token k is at position at + k). Each token
 * is scored as predicted from the tokens before it, so start >= 1.
 */
export interface TreeSpan {
  sequence: number;
  start: number;
  end: number;
}

export interface TreeRequest {
  tree: PrefixTree;
  /** log p(token | tokens before it) for every token of these spans, in order. */
  logprobs: TreeSpan[];
  /** KL(P_a || P_b) between the next-token distributions that predict a.start + k and b.start + k, per pair and k. */
  divergences?: [TreeSpan, TreeSpan][];
  /**
   * Also the entropy of the next-token distribution behind every `logprobs` token (PEAR's token
   * entropies). Only for a source with `fullDistributions`. Default false.
   */
  entropy?: boolean;
}

export interface TreeResult {
  logprobs: Float32Array;
  divergences: Float32Array;
  /** With `entropy`: H(P) in nats of the distribution that predicts each `logprobs` token, in the same order. */
  entropies?: Float32Array;
}

/** What running the model cost, accumulated over a source's life. */
export interface SourceStats {
  /** Tokens given to the model (padding excluded). */
  tokensFed: number;
  /** Padding positions added to batch sequences of different lengths. */
  paddingFed: number;
  /** Forward passes of the model (without the vocabulary projection when it is split off). */
  forwardPasses: number;
  /** Rows that went through the vocabulary projection / were reduced by the kernels. */
  rowsScored: number;
  /** Runs of the split-off vocabulary projection. */
  headPasses: number;
  /** The most logits rows that existed at once (one head pass, or one pass's rows without a split head). */
  largestLogitsChunk: number;
  /** Milliseconds in the model's forward passes (head included). */
  modelMs: number;
  /** Of modelMs, the split-off vocabulary projection's. */
  headMs: number;
  /** Milliseconds in infogain's kernels reducing logits rows. */
  kernelMs: number;
}

export function emptyStats(): SourceStats {
  return { tokensFed: 0, paddingFed: 0, forwardPasses: 0, rowsScored: 0, headPasses: 0, largestLogitsChunk: 0, modelMs: 0, headMs: 0, kernelMs: 0 };
}

export interface LogprobSource {
  readonly tokenizer: TextTokenizer;
  /** The model's vocabulary (ids must be below it). */
  readonly vocab: number;
  /** The longest sequence the model reads, when known. */
  readonly maxLength: number | undefined;
  /** Whether `divergences` and `entropy` can be asked for (a serving engine that returns only top-k cannot). */
  readonly fullDistributions: boolean;
  readonly stats: SourceStats;
  /** `signal`: checked between forward passes (or engine requests); when aborted the call rejects with ABORT_ERR. */
  score(requests: TreeRequest[], options?: { temperature?: number; signal?: AbortSignal }): Promise<TreeResult[]>;
  /** Why a request cannot be scored within this source's limits (memory, size), or undefined: asked before scoring starts. */
  problem?(request: TreeRequest): string | undefined;
  dispose(): Promise<void>;
}
