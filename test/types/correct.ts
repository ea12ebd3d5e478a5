// Calls the declarations must accept: every form of each either-or input, each dtype with its
// array type, tensors of the float types, values whose form is chosen at run time. Each one runs
// without error too (test/types.test.mjs).
import {
  broadcastToTokensSync,
  clipDeltaRewardsSync,
  conformalScoresSync,
  groupAdvantagesSync,
  infoGainSync,
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
  toFloat16,
  toFloat32,
  tokenLogprobsSync,
  type Grouping,
  type GroupAdvantagesOptions,
  type HeadWeight,
  type Logits,
  type LogitsInput,
  type RewardCalls,
  type TokenLayout,
} from 'infogain';
import { Tensor, type TypedTensor } from 'onnxruntime-node';

import { f32, groups, hidden, logits32, logitsBF16, logitsF16, mask, offsets, ragged, responses, scores, targets, turns, weight } from './inputs';

export interface Correct {
  name: string;
  call: () => unknown;
  /** A global the call needs at run time (skipped where the runtime lacks it). */
  needs?: string;
}

/** A grouping and a layout whose form is picked at run time. */
const grouping = (ragged: boolean): Grouping => (ragged ? { groups: groups() } : { groupSize: 2 });
const layoutOf = (packed: boolean): TokenLayout => (packed ? { offsets: offsets(), mask: mask() } : { columns: 2 });
/** Logits whose dtype is picked at run time, e.g. from a model's metadata. */
const logitsOf = (dtype: 'float32' | 'bfloat16'): Logits => (dtype === 'float32' ? logits32() : logitsBF16());
/** What session.run returns: a Tensor whose element type is known only at run time. */
const sessionOutput = (): Tensor => new Tensor('float32', Float32Array.of(0, 1, 2, 3, 3, 2, 1, 0), [2, 4]);

export const correct: Correct[] = [
  // ---- grouping
  { name: 'groupAdvantages by groups', call: () => groupAdvantagesSync(scores(), { groups: groups() }) },
  { name: 'groupAdvantages by groupSize, with settings', call: () => groupAdvantagesSync(scores(), { groupSize: 2, estimator: 'rloo', std: 'population' }) },
  { name: 'a grouping chosen at run time', call: () => groupAdvantagesSync(scores(), { ...grouping(true), eps: 1e-4 }) },
  { name: 'options typed GroupAdvantagesOptions', call: () => {
    const o: GroupAdvantagesOptions = { groupSize: 4, normalizeByStd: false };
    return groupAdvantagesSync(scores(), o);
  } },
  { name: 'rlpAdvantages by groupSize', call: () => rlpAdvantagesSync(scores(), f32(4), grouping(false)) },
  { name: 'promedAdvantages by groups', call: () => promedAdvantagesSync({ rewards: f32(4), layout: { columns: 2 }, groups: Int32Array.of(0, 0) }) },

  // ---- layouts
  { name: 'padded layout', call: () => broadcastToTokensSync(f32(2), { columns: 2 }) },
  { name: 'packed layout with a mask', call: () => broadcastToTokensSync(f32(2), { offsets: offsets(), mask: mask() }) },
  { name: 'a layout chosen at run time', call: () => reinforcePPSync(f32(4, 1), layoutOf(true), { gamma: 0.9 }) },

  // ---- logits of each dtype, and tensors of the float types
  { name: 'float32 logits, dtype left out', call: () => tokenLogprobsSync(logits32(), targets()) },
  { name: "float32 logits, dtype 'float32'", call: () => tokenLogprobsSync({ ...logits32(), dtype: 'float32' }, targets()) },
  { name: 'bfloat16 bits', call: () => tokenLogprobsSync(logitsBF16(), targets(), { entropy: true }) },
  { name: 'float16 bits', call: () => tokenLogprobsSync(logitsF16(), targets()) },
  // what an option asks for is there in the type (no `!`): entropy with entropy: true, spanValues with spans
  { name: 'entropy: true gives entropy', call: () => tokenLogprobsSync(logits32(), targets(), { entropy: true }).entropy[0] },
  { name: 'spans give spanValues', call: () => klDivergenceSync(logits32(), logits32(), { spans: Int32Array.of(0, 2) }).spanValues[0] },
  { name: 'a general logits value widened by toFloat32', call: () => ((l: Logits) => toFloat32(l.data, l.dtype ?? 'float32'))(logitsOf('bfloat16')) },
  { name: 'float16 in a Float16Array', needs: 'Float16Array', call: () =>
    tokenLogprobsSync({ data: Float16Array.of(0, 1, 2, 3, 3, 2, 1, 0), rows: 2, vocab: 4, dtype: 'float16' }, targets()) },
  { name: 'logits whose dtype is chosen at run time', call: () => klDivergenceSync(logitsOf('float32'), logitsOf('bfloat16')) },
  { name: 'a float32 Tensor', call: () => tokenLogprobsSync(new Tensor('float32', Float32Array.of(0, 1, 2, 3, 3, 2, 1, 0), [2, 4]), targets()) },
  { name: 'a float16 Tensor', call: () => klDivergenceSync(new Tensor('float16', toFloat16([0, 1, 2, 3, 3, 2, 1, 0]), [2, 4]), logits32()) },
  { name: "a session output narrowed to its element type", call: () => tokenLogprobsSync(sessionOutput() as TypedTensor<'float32'>, targets()) },
  { name: 'a LogitsInput variable', call: () => {
    const input: LogitsInput = Math.random() < 2 ? logitsF16() : new Tensor('float32', f32(8), [2, 4]);
    return tokenLogprobsSync(input, targets());
  } },
  { name: 'conformalScores on logits', call: () => conformalScoresSync({ logits: logitsBF16(), labels: targets() }) },

  // ---- the fused head
  { name: 'float32 hidden, bfloat16 weight transposed', call: () => {
    const w: HeadWeight = { data: toBFloat16([1, 3, 5, 2, 4, 6]), vocab: 3, dim: 2, dtype: 'bfloat16', transposed: true };
    return linearLogprobsSync(hidden(), w, targets());
  } },
  { name: 'float16 hidden states, float32 weight', call: () => linearKLSync({ data: toFloat16([1, 0, 0, 1]), rows: 2, dim: 2, dtype: 'float16' }, hidden(), weight()) },
  { name: 'a float32 Tensor of hidden states', call: () => linearLogprobsSync(new Tensor('float32', Float32Array.of(1, 0, 0, 1), [1, 2, 2]), weight(), targets()) },

  // ---- dtype helpers
  { name: 'toFloat32 of each dtype', call: () => [toFloat32(f32(2), 'float32'), toFloat32(toBFloat16([1, 2]), 'bfloat16'), toFloat32(toFloat16([1, 2]), 'float16')] },
  { name: 'toBFloat16 of a number[] and a Float64Array', call: () => [toBFloat16([1, 2]), toBFloat16(Float64Array.of(1, 2))] },

  // ---- other either-or inputs
  { name: 'clipDeltaRewards with eta', call: () => clipDeltaRewardsSync(f32(2), Int32Array.of(0, 2), { eta: 0 }) },
  { name: "clipDeltaRewards mode 'delta' needs no eta", call: () => clipDeltaRewardsSync(f32(2), Int32Array.of(0, 2), { mode: 'delta', lastStep: 'keep' }) },
  { name: 'sarRewards without the comparison', call: () => sarRewardsSync(f32(1, -1), f32(1, -2), { useComparison: false, useDenominator: false, useLog: true }) },
  { name: 'sarRewards with defaults', call: () => sarRewardsSync(f32(1, -1), f32(1, -2), { useDenominator: false }) },
  { name: 'phaseEntropyRewards with delimiters', call: () => phaseEntropyRewardsSync({ ...responses(), delimiters: Int32Array.of(1, 1) }, { alpha: 0.1 }) },
  { name: 'phaseEntropyRewards with tokens and delimiter', call: () => phaseEntropyRewardsSync({ ...responses(), tokens: Int32Array.of(3, 4), delimiter: Int32Array.of(4) }, { alpha: 0.1 }) },
  { name: 'conformalScores on ragged candidates', call: () => conformalScoresSync(ragged()) },
  { name: "predictionSetSizes 'size'", call: () => predictionSetSizesSync(ragged(), { qhat: 0.5 }) },
  { name: "predictionSetSizes 'fano' with alpha", call: () => predictionSetSizesSync(ragged(), { qhat: 0.5, uncertainty: 'fano', alpha: 0.1 }) },
  { name: "infoGain 'sampled' (the default mode)", call: () => infoGainSync({ ...turns(), logpReal: f32(2), logpMasked: f32(2, -1) }) },
  { name: "infoGain 'full' with a temperature", call: () => infoGainSync({ ...turns(), mode: 'full', real: logits32(), masked: logitsBF16(), temperature: 2, backend: 'cpu' }) },
];

/** The same forms through a pool. */
export const poolCorrect: { name: string; call: (pool: RewardCalls) => Promise<unknown> }[] = [
  { name: 'pool: groupAdvantages by groupSize', call: (pool) => pool.groupAdvantages(scores(), { groupSize: 2 }) },
  { name: 'pool: packed layout', call: (pool) => pool.broadcastToTokens(f32(2), layoutOf(true)) },
  { name: 'pool: bfloat16 logits', call: (pool) => pool.tokenLogprobs(logitsBF16(), targets()) },
  { name: 'pool: a float32 Tensor', call: (pool) => pool.klDivergence(new Tensor('float32', f32(8), [2, 4]), logits32()) },
  { name: "pool: clipDeltaRewards mode 'delta'", call: (pool) => pool.clipDeltaRewards(f32(2), Int32Array.of(0, 2), { mode: 'delta' }) },
];
