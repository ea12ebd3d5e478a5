// Valid arguments for every kernel the pool serves (lib/pool/kernels.ts), with each typed array made by
// `make(Ctor, values)`, so a test chooses the memory behind them: a plain ArrayBuffer, a resizable
// one it can shrink, a SharedArrayBuffer another thread writes. `scale` repeats the rows (>= 1).
// Every typed array of a call is listed in `integer` (ids, offsets, spans, targets, masks: native
// code uses their values as indices) or `float` (data), so a test can attack either kind.

import { poolKernels } from '../../dist/index.js';

const repeat = (values, times) => Array.from({ length: values.length * times }, (_, i) => values[i % values.length]);
const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));

export function kernelInputs(make, scale = 1) {
  const n = scale;
  const integer = [], float = [];
  const int = (Ctor) => (values) => { const a = make(Ctor, values); integer.push(a); return a; };
  const flt = (Ctor) => (values) => { const a = make(Ctor, values); float.push(a); return a; };
  const i32 = int(Int32Array), u32 = int(Uint32Array), u8 = int(Uint8Array);
  const f32 = flt(Float32Array), f64 = flt(Float64Array);
  const logits = (rows, vocab, shift = 0) => ({ data: f32(range(rows * vocab, (i) => ((i * 7 + shift) % 11) / 3)), rows, vocab });
  const pairs = (count, width) => i32(range(2 * count, (i) => (i >> 1) * width + (i & 1) * width));  // [k w, (k+1) w)
  const offsets = (count, width) => i32(range(count + 1, (i) => i * width));

  const calls = {
    tokenLogprobs: () => [logits(2 * n, 8), i32(range(2 * n, (i) => (i * 3) % 8)), { entropy: true }],
    groupAdvantages: () => [f32(range(4 * n, (i) => i % 5)), { groups: i32(range(4 * n, (i) => i >> 1)) }],
    rlpAdvantages: () => [f32(repeat([-1, -2, -1.5, -0.5], n)), f32(repeat([-1.2, -1.8, -1, -1], n)), { groups: i32(range(4 * n, (i) => i >> 1)) }],
    broadcastToTokens: () => [f32(range(2 * n, (i) => i)), { offsets: offsets(2 * n, 3), mask: u8(repeat([1, 1, 0], 2 * n)) }],
    reinforcePP: () => [f32(repeat([0, 0, 1], 2 * n)), { offsets: offsets(2 * n, 3), mask: u8(repeat([1, 0, 1], 2 * n)) }, { gamma: 0.9 }],
    promedAdvantages: () => [{ rewards: f32(range(6 * n, (i) => i % 4)), layout: { offsets: offsets(2 * n, 3) }, groups: i32(range(2 * n, (i) => i >> 1)) }],
    infopoAdvantages: () => [{ scores: f32(repeat([1, 0], n)), intrinsic: f32(repeat([0.1, 0, 0.2, 0], n)), present: u8(repeat([1, 0, 1, 0], n)), layout: { columns: 2, mask: u8(repeat([1, 1, 1, 1], n)) }, groups: i32(range(2 * n, (i) => i >> 1)) }],
    igpoAdvantages: () => [{ outcome: f32(repeat([1, 0], n)), gains: f32(repeat([0.2], n)), gainOffsets: i32(range(2 * n + 1, (i) => (i + 1) >> 1)), gainEnds: i32(repeat([1], n)), layout: { columns: 4 }, groups: i32(range(2 * n, (i) => i >> 1)) }],
    empgAdvantages: () => [{ entropy: f32(repeat([1, 2, 3], n)), advantage: f32(repeat([1, -1], n)), stepOffsets: i32(range(2 * n + 1, (i) => i + (i >> 1))), stepTokens: i32(repeat([2, 3, 1], n)) }],
    sarRewards: () => [f32(repeat([-1, -2], n)), f32(repeat([-1.5, -1], n))],
    parRewards: () => [{ rewards: f32(repeat([1, 2], n)), references: f32(repeat([0, 1, 2, 3], n)), referenceOffsets: offsets(2 * n, 2), lengths: i32(repeat([5, 9], n)) }],
    clipDeltaRewards: () => [f32(repeat([1, 2, 3], n)), i32(range(n + 1, (i) => 3 * i)), { eta: 0.5 }],
    insightScores: () => [f32(repeat([1, 2], n)), f32(repeat([2, 1], n))],
    klDivergence: () => [logits(2 * n, 8), logits(2 * n, 8, 3), { spans: pairs(n, 2) }],
    logRatio: () => [f32(repeat([-1, -2], n)), f32(repeat([-1.5, -1], n)), { spans: pairs(n, 2) }],
    topkKL: () => [
      { ids: i32(range(4 * n, (i) => i % 4)), logprobs: f32(repeat([-1, -2], 2 * n)), k: 2 },
      { ids: i32(range(4 * n, (i) => (i + 1) % 4)), logprobs: f32(repeat([-1.5, -1.8], 2 * n)), k: 2 },
      { sampled: i32(repeat([1, 3], n)), spans: pairs(n, 2) },
    ],
    infoGain: () => [{
      length: 10 * n,
      actionStart: i32(range(2 * n, (t) => 5 * t)),
      actionEnd: i32(range(2 * n, (t) => 5 * t + 2)),
      obsStart: i32(range(2 * n, (t) => 5 * t + 2)),
      obsEnd: i32(range(2 * n, (t) => 5 * t + 4)),
      rollouts: offsets(n, 2),
      logpReal: f32(repeat([-1, -2], n)),
      logpMasked: f32(repeat([-1.5, -2], n)),
    }],
    beliefGain: () => [{ logprobs: f32(repeat([-1, -2, -3, -4], n)), spans: pairs(2 * n, 2), rollouts: offsets(n, 2) }],
    shapleyExact: () => [f64([0, 1, 2, 4])],
    // 2n beliefs of 3 candidates; 2n steps of one attribute each; n rollouts of 2 steps
    beliefEntropyGain: () => [{ candidateLogits: f32(range(6 * n, (i) => (i % 5) / 2)), candidates: offsets(2 * n, 3), steps: offsets(2 * n, 1), rollouts: offsets(n, 2) }, { temperature: 1 }],
    conformalScores: () => [{ candidateLogits: f32(range(6 * n, (i) => (i % 5) / 2)), candidates: offsets(2 * n, 3), labels: i32(range(2 * n, (i) => i % 3)) }],
    conformalQuantile: () => [f64(range(4 * n, (i) => (i % 7) / 7)), 0.2, { groups: i32([0, 2 * n, 4 * n]) }],
    predictionSetSizes: () => [{ candidateLogits: f32(range(6 * n, (i) => (i % 5) / 2)), candidates: offsets(2 * n, 3), labels: i32(range(2 * n, (i) => i % 3)), steps: offsets(2 * n, 1), rollouts: offsets(n, 2) }, { qhat: 0.6 }],
    phaseEntropyRewards: () => [{ entropies: f32(range(6 * n, (i) => i % 4)), offsets: offsets(2 * n, 3), tokens: i32(range(6 * n, (i) => i % 5)), delimiter: i32([2]), correctness: f32(repeat([1, 0], n)) }, { alpha: 0.1 }],
    linearLogprobs: () => [{ data: f32(range(2 * n * 3, (i) => ((i * 5) % 7) / 4)), rows: 2 * n, dim: 3 }, { data: f32(range(8 * 3, (i) => ((i * 3) % 5) / 4)), vocab: 8, dim: 3 }, i32(range(2 * n, (i) => (i * 3) % 8)), { entropy: true }],
    linearKL: () => [{ data: f32(range(2 * n * 3, (i) => ((i * 5) % 7) / 4)), rows: 2 * n, dim: 3 }, { data: f32(range(2 * n * 3, (i) => ((i * 2) % 7) / 4)), rows: 2 * n, dim: 3 }, { data: f32(range(8 * 3, (i) => ((i * 3) % 5) / 4)), vocab: 8, dim: 3 }],
  };
  const each = {};
  for (const name of poolKernels)
    if (!calls[name]) throw new Error(`test/helpers/kernel-inputs.mjs has no inputs for the kernel '${name}': add them`);
  for (const [name, call] of Object.entries(calls))
    each[name] = () => {
      integer.length = 0;
      float.length = 0;
      const args = call();
      return { args, integer: [...integer], float: [...float] };
    };
  each.observe = () => {  // ShapleyEstimator.observe: masks are looked up, values are data
    integer.length = 0;
    float.length = 0;
    return { masks: u32([0, 1, 2, 3]), values: f64([0, 1, 2, 4]), integer: [...integer], float: [...float] };
  };
  return each;
}

/** A typed array of Ctor over a plain ArrayBuffer. */
export const plain = (Ctor, values) => Ctor.from(values);

/** The same over a resizable ArrayBuffer, which `buffer.resize(0)` takes away (V8 unmaps its pages). */
export const resizable = (Ctor, values) => {
  const bytes = Math.max(values.length * Ctor.BYTES_PER_ELEMENT, 1);
  const a = new Ctor(new ArrayBuffer(bytes, { maxByteLength: bytes }), 0, values.length);
  a.set(values);
  return a;
};

/** The same over a SharedArrayBuffer. */
export const shared = (Ctor, values) => {
  const a = new Ctor(new SharedArrayBuffer(Math.max(values.length * Ctor.BYTES_PER_ELEMENT, 8)), 0, values.length);
  a.set(values);
  return a;
};
