// phaseEntropyRewards (PEAR): per response, the mean token entropy of its thinking phase and of its
// answer phase, and a reward that penalizes thinking-phase entropy. See native/core/phase_entropy.h
// and docs/uncertainty.md (the exact form in the paper could not be read: the form here is ours).
import { codes, rangeError, typeError } from './errors';
import { native } from './native';
import { field, finiteNumber, inputObject, keysOf, options, typedArray } from './validate';

/** The responses, and where each thinking phase ends: `delimiters`, or `tokens` with `delimiter`. */
export type PhaseEntropyInput = PhaseEntropyArrays &
  (
    | {
        /**
         * [2 * responses] absolute [start, end) of each response's delimiter tokens, inside the
         * response (thinking = before start, answer = from end; an empty span is a boundary
         * without delimiter tokens).
         */
        delimiters: Int32Array;
        tokens?: never;
        delimiter?: never;
      }
    | {
        /** [tokens] the token ids, searched for the first occurrence of `delimiter` in each response. */
        tokens: Int32Array;
        /** The delimiter's token ids (e.g. the ids of `</think>`), at least one. A response without it is all thinking. */
        delimiter: Int32Array;
        delimiters?: never;
      }
  );

export interface PhaseEntropyArrays {
  /** Per-token entropies (nats) of the responses, packed (tokenLogprobs with `entropy: true`). */
  entropies: Float32Array;
  /** [responses + 1]: response r is tokens [offsets[r], offsets[r + 1]). */
  offsets: Int32Array;
  /** [responses] the outcome reward (e.g. 1 correct, 0 not). */
  correctness: Float32Array;
}

export interface PhaseEntropyOptions {
  /** Weight of the thinking-phase entropy penalty. Required: the paper's value could not be read here. */
  alpha: number;
  /** Weight of the answer-phase entropy penalty (negative: a bonus). Default 0, the answer phase left free. */
  beta?: number;
}

export interface PhaseEntropyResult {
  /** [responses] H_think: mean entropy of the tokens before the delimiter (0 when there are none). */
  thinkEntropy: Float32Array;
  /** [responses] H_answer: mean entropy of the tokens after the delimiter (0 when there are none). */
  answerEntropy: Float32Array;
  thinkTokens: Int32Array;
  answerTokens: Int32Array;
  /** [responses] absolute position where the delimiter starts; -1 where tokens + delimiter found none. */
  delimiterStart: Int32Array;
  /** [responses] correctness - alpha * H_think - beta * H_answer. */
  rewards: Float32Array;
}

const inputKeys = keysOf<PhaseEntropyInput>()('entropies', 'offsets', 'delimiters', 'tokens', 'delimiter', 'correctness');
const optionKeys = keysOf<PhaseEntropyOptions>()('alpha', 'beta');

function prepare(value: unknown, opts: unknown) {
  const i = inputObject<PhaseEntropyInput>(value, inputKeys);
  const entropies = typedArray<Float32Array>(i.entropies, 'entropies', Float32Array);
  const offsets = typedArray<Int32Array>(i.offsets, 'offsets', Int32Array);
  if (offsets.length < 1) throw rangeError(codes.shape, 'offsets', 'offsets must hold at least one value (0)');
  const responses = offsets.length - 1;
  const input: Record<string, unknown> = { entropies, offsets, correctness: typedArray<Float32Array>(i.correctness, 'correctness', Float32Array, responses) };
  if (i.delimiters !== undefined) {
    if (i.tokens !== undefined || i.delimiter !== undefined)
      throw rangeError(codes.outOfRange, 'delimiters', 'give either delimiters or tokens with delimiter, not both');
    input.delimiters = typedArray<Int32Array>(i.delimiters, 'delimiters', Int32Array, 2 * responses);
  } else {
    if (i.tokens === undefined) throw typeError('tokens', 'give delimiters, or tokens with delimiter, to find where each thinking phase ends');
    input.tokens = typedArray<Int32Array>(i.tokens, 'tokens', Int32Array, entropies.length);
    const delimiter = typedArray<Int32Array>(i.delimiter, 'delimiter', Int32Array);
    if (delimiter.length < 1) throw rangeError(codes.shape, 'delimiter', 'delimiter must hold at least one token id');
    input.delimiter = delimiter;
  }
  if (opts === undefined) throw typeError('options', 'options with alpha are required');
  const o = options<PhaseEntropyOptions>(opts, 'options', optionKeys);
  if (o.alpha === undefined) throw typeError('alpha', 'alpha (the weight of the thinking-phase entropy penalty) is required');
  return [input, { alpha: finiteNumber(o.alpha, 'alpha'), beta: field(o, 'beta', 0, finiteNumber) }] as const;
}

/**
 * PEAR-style rewards, off the main thread: per response H_think and H_answer (mean token entropy
 * before and after the end-of-thinking delimiter) and correctness - alpha * H_think - beta * H_answer.
 */
export async function phaseEntropyRewards(input: PhaseEntropyInput, options: PhaseEntropyOptions): Promise<PhaseEntropyResult> {
  return native().phaseEntropyRewards(...prepare(input, options));
}

/** phaseEntropyRewards on the calling thread. */
export function phaseEntropyRewardsSync(input: PhaseEntropyInput, options: PhaseEntropyOptions): PhaseEntropyResult {
  return native().phaseEntropyRewardsSync(...prepare(input, options));
}
