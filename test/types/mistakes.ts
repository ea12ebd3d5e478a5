// Mistakes the declarations must catch: each call below is a type error (the line after each
// // @ts-expect-error, so tsc fails if it ever compiles), and throws at run time with the typed
// error listed next to it (test/types.test.mjs runs them), so types and validation agree.
import {
  clipDeltaRewardsSync,
  conformalScoresSync,
  broadcastToTokensSync,
  groupAdvantagesSync,
  igpoAdvantagesSync,
  infoGainSync,
  infopoAdvantagesSync,
  klDivergenceSync,
  linearKLSync,
  linearLogprobsSync,
  phaseEntropyRewardsSync,
  predictionSetSizesSync,
  promedAdvantagesSync,
  reinforcePPSync,
  rlpAdvantagesSync,
  sarRewardsSync,
  toBFloat16,
  toFloat32,
  tokenLogprobsSync,
  type RewardCalls,
} from 'infogain';
import { Tensor } from 'onnxruntime-node';

import { f32, groups, hidden, logits32, mask, offsets, ragged, responses, scores, targets, turns, weight } from './inputs';

export interface Mistake {
  name: string;
  /** The error it throws: class, code, argument. */
  error: [typeof TypeError | typeof RangeError, string, string];
  call: () => unknown;
  /** A global the call needs at run time (skipped where the runtime lacks it). */
  needs?: string;
}

const u16 = (n: number) => new Uint16Array(n);
const layout = { columns: 2 };
const infopo = () => ({ scores: f32(2), intrinsic: f32(4), present: new Uint8Array(4), layout });
const igpo = () => ({ outcome: f32(2), gains: f32(0), gainOffsets: new Int32Array(3), gainEnds: new Int32Array(0), layout });
const int32Logits = () => new Tensor('int32', new Int32Array(8), [2, 4]);
/** What session.run returns: a Tensor whose element type is known only at run time (here the ids). */
const output = (): Tensor => new Tensor('int64', new BigInt64Array(8), [2, 4]);

export const mistakes: Mistake[] = [
  // ---- grouping: groups xor groupSize
  { name: 'groupAdvantages with neither groups nor groupSize', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'groups'], call: () =>
    // @ts-expect-error
    groupAdvantagesSync(scores(), {}) },
  { name: 'groupAdvantages with groups and groupSize', error: [RangeError, 'ERR_OUT_OF_RANGE', 'groupSize'], call: () =>
    // @ts-expect-error
    groupAdvantagesSync(scores(), { groups: groups(), groupSize: 2 }) },
  { name: 'groupAdvantages with options left out', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'groups'], call: () =>
    // @ts-expect-error
    groupAdvantagesSync(scores()) },
  { name: 'rlpAdvantages with neither', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'groups'], call: () =>
    // @ts-expect-error
    rlpAdvantagesSync(scores(), scores(), {}) },
  { name: 'promedAdvantages with neither', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'groups'], call: () =>
    // @ts-expect-error
    promedAdvantagesSync({ rewards: f32(4), layout }) },
  { name: 'infopoAdvantages with both', error: [RangeError, 'ERR_OUT_OF_RANGE', 'groupSize'], call: () =>
    // @ts-expect-error
    infopoAdvantagesSync({ ...infopo(), groups: Int32Array.of(0, 0), groupSize: 2 }) },
  { name: 'igpoAdvantages with neither', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'groups'], call: () =>
    // @ts-expect-error
    igpoAdvantagesSync(igpo()) },

  // ---- token layouts: columns xor offsets, mask a Uint8Array
  { name: 'layout with columns and offsets', error: [RangeError, 'ERR_OUT_OF_RANGE', 'layout.columns'], call: () =>
    // @ts-expect-error
    broadcastToTokensSync(f32(2), { columns: 2, offsets: offsets() }) },
  { name: 'layout with neither', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'layout.columns'], call: () =>
    // @ts-expect-error
    broadcastToTokensSync(f32(2), { mask: mask() }) },
  { name: 'layout.mask an Int32Array', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'layout.mask'], call: () =>
    // @ts-expect-error
    reinforcePPSync(f32(4), { offsets: offsets(), mask: new Int32Array(4) }) },
  { name: 'layout.offsets a Float32Array', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'layout.offsets'], call: () =>
    // @ts-expect-error
    reinforcePPSync(f32(4), { offsets: Float32Array.of(0, 2, 4) }) },

  // ---- dtype tied to the data's array type
  { name: "dtype 'bfloat16' with a Float32Array", error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.data'], call: () =>
    // @ts-expect-error
    tokenLogprobsSync({ ...logits32(), dtype: 'bfloat16' }, targets()) },
  { name: '16-bit bits without a dtype (read as float32)', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.data'], call: () =>
    // @ts-expect-error
    tokenLogprobsSync({ data: u16(8), rows: 2, vocab: 4 }, targets()) },
  { name: "dtype 'float32' with a Uint16Array", error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'q.data'], call: () =>
    // @ts-expect-error
    klDivergenceSync(logits32(), { data: u16(8), rows: 2, vocab: 4, dtype: 'float32' }) },
  { name: "bfloat16 bits in a Float16Array", error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.data'], needs: 'Float16Array', call: () =>
    // @ts-expect-error
    tokenLogprobsSync({ data: new Float16Array(8), rows: 2, vocab: 4, dtype: 'bfloat16' }, targets()) },
  { name: "hidden dtype 'bfloat16' with a Float32Array", error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'hidden.data'], call: () =>
    // @ts-expect-error
    linearLogprobsSync({ ...hidden(), dtype: 'bfloat16' }, weight(), targets()) },
  { name: 'weight bits without a dtype', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'weight.data'], call: () =>
    // @ts-expect-error
    linearKLSync(hidden(), hidden(), { data: u16(6), vocab: 3, dim: 2 }) },
  { name: 'toFloat32 of a Float32Array as bfloat16', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'data'], call: () =>
    // @ts-expect-error
    toFloat32(f32(4), 'bfloat16') },
  { name: 'conformal logits with a mismatched dtype', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.data'], call: () =>
    // @ts-expect-error
    conformalScoresSync({ logits: { data: u16(4), rows: 1, vocab: 4, dtype: 'float32' }, labels: Int32Array.of(0) }) },
  { name: 'toBFloat16 of an object that only looks like an array', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'values'], call: () =>
    // @ts-expect-error
    toBFloat16({ length: 1, 0: 1 }) },

  // ---- tensors: float32 / float16 / bfloat16 only
  { name: 'an int32 Tensor as logits', error: [RangeError, 'ERR_OUT_OF_RANGE', 'logits.type'], call: () =>
    // @ts-expect-error
    tokenLogprobsSync(int32Logits(), targets()) },
  { name: 'a float64 Tensor as q', error: [RangeError, 'ERR_OUT_OF_RANGE', 'q.type'], call: () =>
    // @ts-expect-error
    klDivergenceSync(logits32(), new Tensor('float64', new Float64Array(8), [2, 4])) },
  { name: 'an int8 Tensor as hidden states', error: [RangeError, 'ERR_OUT_OF_RANGE', 'hidden.type'], call: () =>
    // @ts-expect-error
    linearLogprobsSync(new Tensor('int8', new Int8Array(4), [2, 2]), weight(), targets()) },
  { name: 'a session output of unknown element type (here int64 ids)', error: [RangeError, 'ERR_OUT_OF_RANGE', 'logits.type'], call: () =>
    // @ts-expect-error
    tokenLogprobsSync(output(), targets()) },

  // ---- other either-or inputs and required options
  { name: 'clipDeltaRewards without eta (the default mode clips)', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'eta'], call: () =>
    // @ts-expect-error
    clipDeltaRewardsSync(f32(2), Int32Array.of(0, 2)) },
  { name: "clipDeltaRewards mode 'clip' without eta", error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'eta'], call: () =>
    // @ts-expect-error
    clipDeltaRewardsSync(f32(2), Int32Array.of(0, 2), { mode: 'clip' }) },
  { name: 'sarRewards useComparison false with the denominator', error: [RangeError, 'ERR_OUT_OF_RANGE', 'useDenominator'], call: () =>
    // @ts-expect-error
    sarRewardsSync(f32(1, -1), f32(1, -1), { useComparison: false }) },
  { name: 'phaseEntropyRewards with delimiters and tokens', error: [RangeError, 'ERR_OUT_OF_RANGE', 'delimiters'], call: () =>
    // @ts-expect-error
    phaseEntropyRewardsSync({ ...responses(), delimiters: Int32Array.of(1, 1), tokens: Int32Array.of(3, 4), delimiter: Int32Array.of(4) }, { alpha: 0.1 }) },
  { name: 'phaseEntropyRewards with tokens but no delimiter', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'delimiter'], call: () =>
    // @ts-expect-error
    phaseEntropyRewardsSync({ ...responses(), tokens: Int32Array.of(3, 4) }, { alpha: 0.1 }) },
  { name: 'phaseEntropyRewards without a delimiter form', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'tokens'], call: () =>
    // @ts-expect-error
    phaseEntropyRewardsSync(responses(), { alpha: 0.1 }) },
  { name: 'conformalScores with neither candidates nor logits', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'candidateLogits'], call: () =>
    // @ts-expect-error
    conformalScoresSync({ labels: Int32Array.of(0) }) },
  { name: 'conformalScores with both', error: [RangeError, 'ERR_OUT_OF_RANGE', 'logits'], call: () =>
    // @ts-expect-error
    conformalScoresSync({ ...ragged(), logits: { data: f32(4), rows: 1, vocab: 4 } }) },
  { name: "predictionSetSizes 'fano' without alpha", error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'alpha'], call: () =>
    // @ts-expect-error
    predictionSetSizesSync(ragged(), { qhat: 0.5, uncertainty: 'fano' }) },
  { name: "infoGain 'sampled' with a temperature (it has no logits)", error: [RangeError, 'ERR_OUT_OF_RANGE', 'temperature'], call: () =>
    // @ts-expect-error
    infoGainSync({ ...turns(), logpReal: f32(2), logpMasked: f32(2), temperature: 2 }) },
  { name: "infoGain 'full' with log-probs", error: [RangeError, 'ERR_OUT_OF_RANGE', 'logpReal'], call: () =>
    // @ts-expect-error
    infoGainSync({ ...turns(), mode: 'full', real: logits32(), masked: logits32(), logpReal: f32(2) }) },
  { name: "infoGain 'full' without logits", error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'real'], call: () =>
    // @ts-expect-error
    infoGainSync({ ...turns(), mode: 'full' }) },
];

/** The pool's methods take the same types: a few of the mistakes above, through a pool. */
export const poolMistakes: { name: string; error: Mistake['error']; call: (pool: RewardCalls) => Promise<unknown> }[] = [
  { name: 'pool: groupAdvantages with neither', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'groups'], call: (pool) =>
    // @ts-expect-error
    pool.groupAdvantages(scores(), {}) },
  { name: 'pool: layout with columns and offsets', error: [RangeError, 'ERR_OUT_OF_RANGE', 'layout.columns'], call: (pool) =>
    // @ts-expect-error
    pool.broadcastToTokens(f32(2), { columns: 2, offsets: offsets() }) },
  { name: "pool: dtype 'bfloat16' with a Float32Array", error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.data'], call: (pool) =>
    // @ts-expect-error
    pool.tokenLogprobs({ ...logits32(), dtype: 'bfloat16' }, targets()) },
  { name: 'pool: an int32 Tensor as logits', error: [RangeError, 'ERR_OUT_OF_RANGE', 'logits.type'], call: (pool) =>
    // @ts-expect-error
    pool.tokenLogprobs(int32Logits(), targets()) },
  { name: 'pool: clipDeltaRewards without eta', error: [TypeError, 'ERR_INVALID_ARG_TYPE', 'eta'], call: (pool) =>
    // @ts-expect-error
    pool.clipDeltaRewards(f32(2), Int32Array.of(0, 2)) },
];
