// Candidate logits in a ragged layout, shared by beliefEntropyGain (Nous) and the C-IP kernels:
// group i's candidates are candidateLogits[candidates[i] .. candidates[i + 1]). Types and lengths
// are checked here; the native code checks the offsets' values and the logits' (NaN, +Infinity, a
// group with no finite entry) before any work, with the same typed errors.
import { codes, rangeError } from './errors';
import { typedArray } from './validate';

export interface CandidateGroups {
  /**
   * Each candidate's logit: any log-weight the softmax normalizes per group, e.g. the model's
   * log-prob of the candidate's text. -Infinity is a candidate of probability 0.
   */
  candidateLogits: Float32Array;
  /** [groups + 1] offsets into candidateLogits, from 0 to its length; no group empty. */
  candidates: Int32Array;
}

/** The two arrays, checked for type; `groups` is candidates.length - 1. */
export function candidateGroups(input: Partial<CandidateGroups>): CandidateGroups & { groups: number } {
  const candidateLogits = typedArray<Float32Array>(input.candidateLogits, 'candidateLogits', Float32Array);
  const candidates = typedArray<Int32Array>(input.candidates, 'candidates', Int32Array);
  if (candidates.length < 1) throw rangeError(codes.shape, 'candidates', 'candidates must hold at least one offset (0)');
  return { candidateLogits, candidates, groups: candidates.length - 1 };
}

/** Optional group offsets (steps, rollouts): an Int32Array of at least one value, or undefined. */
export function optionalOffsets(value: unknown, name: string): Int32Array | undefined {
  if (value === undefined) return undefined;
  const offsets = typedArray<Int32Array>(value, name, Int32Array);
  if (offsets.length < 1) throw rangeError(codes.shape, name, `${name} must hold at least one offset (0)`);
  return offsets;
}
