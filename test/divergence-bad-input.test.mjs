// The bad-input contract of klDivergence, logRatio, topkKL, maskFeedback, infoGain, beliefGain:
// typed errors with codes, arguments and first bad indices; caller buffers untouched; no crash.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as ig from '../dist/index.js';
import { native } from '../dist/native.js';
import { assertRejects, assertTypedError } from './helpers/assert.mjs';

const i32 = (...v) => Int32Array.from(v);
const f32 = (...v) => Float32Array.from(v);
const logits = (rows = 3, vocab = 4) => ({ data: Float32Array.from({ length: rows * vocab }, (_, i) => (i % 7) / 3), rows, vocab });
const side = (over = {}) => ({ ids: i32(1, 2, 3, 4), logprobs: f32(-1, -2, -1.5, -3), k: 2, ...over });
const turns = (over = {}) => ({
  length: 12,
  actionStart: i32(0, 6),
  actionEnd: i32(3, 8),
  obsStart: i32(3, 8),
  obsEnd: i32(6, 10),
  logpReal: f32(-1, -2),
  logpMasked: f32(-1.5, -2),
  ...over,
});
/** The same turns in mode 'full', without the sampled mode's log-probs. */
const fullTurns = (over = {}) => {
  const { logpReal: _, logpMasked: __, ...t } = turns();
  return { ...t, mode: 'full', ...over };
};
const belief = (over = {}) => ({ logprobs: f32(-1, -2, -3, -4), spans: i32(0, 2, 2, 4), ...over });

// [what, function name, args, Class, code, argument, index]
const cases = [
  ['kl: p not an object', 'klDivergence', () => [7, logits()], TypeError, 'ERR_INVALID_ARG_TYPE', 'p'],
  ['kl: rows differ', 'klDivergence', () => [logits(3), logits(2)], RangeError, 'ERR_INFOGAIN_SHAPE', 'q'],
  ['kl: vocab differs', 'klDivergence', () => [logits(3, 4), logits(4, 3)], RangeError, 'ERR_INFOGAIN_SHAPE', 'q'],
  ['kl: q data too short', 'klDivergence', () => [logits(), { ...logits(), data: new Float32Array(11) }], RangeError, 'ERR_INFOGAIN_SHAPE', 'q.data'],
  ['kl: Float32Array for bfloat16 q', 'klDivergence', () => [logits(), { ...logits(), dtype: 'bfloat16' }], TypeError, 'ERR_INVALID_ARG_TYPE', 'q.data'],
  ['kl: unknown direction', 'klDivergence', () => [logits(), logits(), { direction: 'both' }], RangeError, 'ERR_OUT_OF_RANGE', 'direction'],
  ['kl: direction not a string', 'klDivergence', () => [logits(), logits(), { direction: 1 }], TypeError, 'ERR_INVALID_ARG_TYPE', 'direction'],
  ['kl: temperature 0', 'klDivergence', () => [logits(), logits(), { temperature: 0 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['kl: temperature NaN', 'klDivergence', () => [logits(), logits(), { temperature: NaN }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['kl: temperature 1e-39 (1 / T leaves float32)', 'klDivergence', () => [logits(), logits(), { temperature: 1e-39 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['kl: temperature 1e39', 'klDivergence', () => [logits(), logits(), { temperature: 1e39 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['kl: spans a plain array', 'klDivergence', () => [logits(), logits(), { spans: [0, 1] }], TypeError, 'ERR_INVALID_ARG_TYPE', 'spans'],
  ['kl: spans of odd length', 'klDivergence', () => [logits(), logits(), { spans: i32(0, 1, 2) }], RangeError, 'ERR_INFOGAIN_SHAPE', 'spans'],
  ['kl: span past the rows', 'klDivergence', () => [logits(), logits(), { spans: i32(0, 1, 2, 4) }], RangeError, 'ERR_OUT_OF_RANGE', 'spans', 1],
  ['kl: span with start > end', 'klDivergence', () => [logits(), logits(), { spans: i32(2, 1) }], RangeError, 'ERR_OUT_OF_RANGE', 'spans', 0],
  ['kl: negative span start', 'klDivergence', () => [logits(), logits(), { spans: i32(-1, 1) }], RangeError, 'ERR_OUT_OF_RANGE', 'spans', 0],
  ['kl: overlapping spans', 'klDivergence', () => [logits(), logits(), { spans: i32(1, 3, 0, 1, 0, 2) }], RangeError, 'ERR_OUT_OF_RANGE', 'spans', 2],
  ['kl: empty span under mean', 'klDivergence', () => [logits(), logits(), { spans: i32(0, 1, 2, 2) }], RangeError, 'ERR_OUT_OF_RANGE', 'spans', 1],
  ['kl: unknown reduce', 'klDivergence', () => [logits(), logits(), { spans: i32(0, 1), reduce: 'max' }], RangeError, 'ERR_OUT_OF_RANGE', 'reduce'],
  ['kl: unknown backend', 'klDivergence', () => [logits(), logits(), { backend: 'tpu' }], RangeError, 'ERR_OUT_OF_RANGE', 'backend'],

  ['logRatio: Float64Array', 'logRatio', () => [new Float64Array(2), f32(-1, -1)], TypeError, 'ERR_INVALID_ARG_TYPE', 'logpA'],
  ['logRatio: lengths differ', 'logRatio', () => [f32(-1, -1), f32(-1)], RangeError, 'ERR_INFOGAIN_SHAPE', 'logpB'],
  ['logRatio: NaN in logpA', 'logRatio', () => [f32(-1, NaN, NaN), f32(-1, -1, -1)], RangeError, 'ERR_INFOGAIN_NONFINITE', 'logpA', 1],
  ['logRatio: +Infinity in logpB', 'logRatio', () => [f32(-1, -1, -1), f32(-1, -1, Infinity)], RangeError, 'ERR_INFOGAIN_NONFINITE', 'logpB', 2],
  ['logRatio: -Infinity on both sides', 'logRatio', () => [f32(-1, -Infinity), f32(-1, -Infinity)], RangeError, 'ERR_INFOGAIN_NONFINITE', 'logpA', 1],
  ['logRatio: unknown estimator', 'logRatio', () => [f32(-1), f32(-1), { estimator: 'k4' }], RangeError, 'ERR_OUT_OF_RANGE', 'estimator'],
  ['logRatio: clamp not boolean', 'logRatio', () => [f32(-1), f32(-1), { clamp: 1 }], TypeError, 'ERR_INVALID_ARG_TYPE', 'clamp'],
  ['logRatio: overlapping spans', 'logRatio', () => [f32(-1, -1), f32(-1, -1), { spans: i32(0, 2, 1, 2) }], RangeError, 'ERR_OUT_OF_RANGE', 'spans', 1],

  ['topk: k differs between sides', 'topkKL', () => [side(), side({ ids: i32(1, 2, 3, 4), logprobs: f32(-1, -2, -3, -4), k: 1 })], RangeError, 'ERR_INFOGAIN_SHAPE', 'q.k'],
  ['topk: k 0', 'topkKL', () => [side({ k: 0 }), side()], RangeError, 'ERR_OUT_OF_RANGE', 'p.k'],
  ['topk: k missing', 'topkKL', () => [side({ k: undefined }), side()], TypeError, 'ERR_INVALID_ARG_TYPE', 'p.k'],
  ['topk: ids not a multiple of k', 'topkKL', () => [side({ ids: i32(1, 2, 3), logprobs: f32(-1, -2, -3) }), side()], RangeError, 'ERR_INFOGAIN_SHAPE', 'p.ids'],
  ['topk: rows differ', 'topkKL', () => [side(), side({ ids: i32(1, 2), logprobs: f32(-1, -2) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'q.ids'],
  ['topk: logprobs length', 'topkKL', () => [side({ logprobs: f32(-1, -2, -3) }), side()], RangeError, 'ERR_INFOGAIN_SHAPE', 'p.logprobs'],
  ['topk: negative id', 'topkKL', () => [side(), side({ ids: i32(1, 2, 3, -4) })], RangeError, 'ERR_OUT_OF_RANGE', 'q.ids', 3],
  ['topk: repeated id in a row', 'topkKL', () => [side({ ids: i32(1, 2, 5, 5) }), side()], RangeError, 'ERR_OUT_OF_RANGE', 'p.ids', 3],
  ['topk: NaN log-prob', 'topkKL', () => [side({ logprobs: f32(-1, -2, NaN, -3) }), side()], RangeError, 'ERR_INFOGAIN_NONFINITE', 'p.logprobs', 2],
  ['topk: logits, not log-probs', 'topkKL', () => [side(), side({ logprobs: f32(-1, -2, 3, 1) })], RangeError, 'ERR_OUT_OF_RANGE', 'q.logprobs', 1],
  ['topk: sampledLogprobs without sampled', 'topkKL', () => [side({ sampledLogprobs: f32(-5, -5) }), side()], TypeError, 'ERR_INVALID_ARG_TYPE', 'sampled'],
  ['topk: sampled of the wrong length', 'topkKL', () => [side(), side(), { sampled: i32(1) }], RangeError, 'ERR_INFOGAIN_SHAPE', 'sampled'],
  ['topk: negative sampled id', 'topkKL', () => [side({ sampledLogprobs: f32(-5, -5) }), side(), { sampled: i32(9, -9) }], RangeError, 'ERR_OUT_OF_RANGE', 'sampled', 1],
  ['topk: NaN sampled log-prob', 'topkKL', () => [side(), side({ sampledLogprobs: f32(NaN, -5) }), { sampled: i32(9, 9) }], RangeError, 'ERR_INFOGAIN_NONFINITE', 'q.sampledLogprobs', 0],
  ['topk: side not an object', 'topkKL', () => [side(), null], TypeError, 'ERR_INVALID_ARG_TYPE', 'q'],

  ['infoGain: input not an object', 'infoGain', () => ['turns'], TypeError, 'ERR_INVALID_ARG_TYPE', 'input'],
  ['infoGain: length not an integer', 'infoGain', () => [turns({ length: 1.5 })], RangeError, 'ERR_OUT_OF_RANGE', 'length'],
  ['infoGain: span arrays of different lengths', 'infoGain', () => [turns({ obsEnd: i32(6) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'obsEnd'],
  ['infoGain: overlapping turns', 'infoGain', () => [turns({ actionStart: i32(0, 5) })], RangeError, 'ERR_OUT_OF_RANGE', 'actionStart', 1],
  ['infoGain: empty action', 'infoGain', () => [turns({ actionEnd: i32(0, 8) })], RangeError, 'ERR_OUT_OF_RANGE', 'actionEnd', 0],
  ['infoGain: feedback inside the action', 'infoGain', () => [turns({ obsStart: i32(2, 8) })], RangeError, 'ERR_OUT_OF_RANGE', 'obsStart', 0],
  ['infoGain: feedback past the sequence', 'infoGain', () => [turns({ obsEnd: i32(6, 13) })], RangeError, 'ERR_OUT_OF_RANGE', 'obsEnd', 1],
  ['infoGain: rollouts not ending at the turn count', 'infoGain', () => [turns({ rollouts: i32(0, 1) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'rollouts', 1],
  ['infoGain: rollouts not starting at 0', 'infoGain', () => [turns({ rollouts: i32(1, 2) })], RangeError, 'ERR_OUT_OF_RANGE', 'rollouts', 0],
  ['infoGain: decreasing rollouts', 'infoGain', () => [turns({ rollouts: i32(0, 2, 1, 2) })], RangeError, 'ERR_OUT_OF_RANGE', 'rollouts', 2],
  ['infoGain: logpReal of the wrong length', 'infoGain', () => [turns({ logpReal: f32(-1) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'logpReal'],
  ['infoGain: NaN log-prob', 'infoGain', () => [turns({ logpMasked: f32(-1, NaN) })], RangeError, 'ERR_INFOGAIN_NONFINITE', 'logpMasked', 1],
  ['infoGain: unknown mode', 'infoGain', () => [turns({ mode: 'dense' })], RangeError, 'ERR_OUT_OF_RANGE', 'mode'],
  ['infoGain: full, wrong row count', 'infoGain', () => [fullTurns({ real: logits(3), masked: logits(3) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'real'],
  ['infoGain: full, vocab differs', 'infoGain', () => [fullTurns({ real: logits(2, 4), masked: logits(2, 5) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'masked'],
  ['infoGain: full, NaN logits', 'infoGain', () => { const m = logits(2); m.data[6] = NaN; return [fullTurns({ real: logits(2), masked: m })]; }, RangeError, 'ERR_INFOGAIN_NONFINITE', 'masked', 1],
  ['infoGain: full, temperature 0', 'infoGain', () => [fullTurns({ real: logits(2), masked: logits(2), temperature: 0 })], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  // each mode takes its own inputs: another mode's is an error, not silently ignored
  ['infoGain: sampled, with a temperature', 'infoGain', () => [turns({ temperature: 2 })], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['infoGain: sampled, with real logits', 'infoGain', () => [turns({ mode: 'sampled', real: logits(2) })], RangeError, 'ERR_OUT_OF_RANGE', 'real'],
  ['infoGain: full, with log-probs', 'infoGain', () => [turns({ mode: 'full', real: logits(2), masked: logits(2) })], RangeError, 'ERR_OUT_OF_RANGE', 'logpReal'],
  ['infoGain: full, without logits', 'infoGain', () => [fullTurns()], TypeError, 'ERR_INVALID_ARG_TYPE', 'real'],

  ['beliefGain: input not an object', 'beliefGain', () => [null], TypeError, 'ERR_INVALID_ARG_TYPE', 'input'],
  ['beliefGain: logprobs Float64Array', 'beliefGain', () => [belief({ logprobs: new Float64Array(4) })], TypeError, 'ERR_INVALID_ARG_TYPE', 'logprobs'],
  ['beliefGain: overlapping spans', 'beliefGain', () => [belief({ spans: i32(0, 3, 2, 4) })], RangeError, 'ERR_OUT_OF_RANGE', 'spans', 1],
  ['beliefGain: span out of range', 'beliefGain', () => [belief({ spans: i32(0, 2, 2, 5) })], RangeError, 'ERR_OUT_OF_RANGE', 'spans', 1],
  ['beliefGain: odd spans', 'beliefGain', () => [belief({ spans: i32(0, 2, 2) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'spans'],
  ['beliefGain: bad rollouts', 'beliefGain', () => [belief({ rollouts: i32(0, 3) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'rollouts', 1],
  ['beliefGain: unknown mode', 'beliefGain', () => [belief({ mode: 'prob_diff' })], RangeError, 'ERR_OUT_OF_RANGE', 'mode'],
];

/** Copies of every typed array reachable (one level into objects), to check they are untouched. */
function snapshot(args) {
  const views = [];
  const visit = (x) => {
    if (ArrayBuffer.isView(x)) views.push([x, x.slice()]);
    else if (x && typeof x === 'object') Object.values(x).forEach((v) => (ArrayBuffer.isView(v) ? views.push([v, v.slice()]) : v && typeof v === 'object' && Object.values(v).forEach((w) => ArrayBuffer.isView(w) && views.push([w, w.slice()]))));
  };
  args.forEach(visit);
  return () => views.forEach(([v, copy]) => assert.deepEqual(v, copy, 'input untouched'));
}

describe('bad input throws typed errors (sync) and rejects (async)', () => {
  for (const [what, name, args, Class, code, argument, index] of cases) {
    test(what, async () => {
      const a = args();
      const untouched = snapshot(a);
      const e = assertTypedError(() => ig[`${name}Sync`](...a), Class, code, argument);
      if (index !== undefined) assert.equal(e.index, index, `index of: ${e.message}`);
      untouched();
      await assertRejects(ig[name](...args()), Class, code);
    });
  }
});

describe('klDivergence names the input and row at fault', () => {
  for (const direction of ['forward', 'reverse', 'symmetric', 'js']) {
    test(`${direction}: NaN, +Infinity, a row of -Infinity`, () => {
      for (const [which, row, value, text] of [['p', 1, NaN, 'NaN'], ['q', 2, NaN, 'NaN'], ['q', 0, Infinity, '\\+Infinity'], ['p', 2, -Infinity, 'no finite entry']]) {
        const p = logits(), q = logits();
        const target = which === 'p' ? p : q;
        if (value === -Infinity) target.data.fill(-Infinity, row * 4, row * 4 + 4);
        else target.data[row * 4 + 1] = value;
        const e = assertTypedError(() => ig.klDivergenceSync(p, q, { direction }), RangeError, 'ERR_INFOGAIN_NONFINITE', which);
        assert.equal(e.index, row);
        assert.match(e.message, new RegExp(`${which} row ${row}.*${text}`));
      }
    });
  }

  test('the first bad row is reported, whichever thread found it', () => {
    const rows = 64, vocab = 5000;
    const p = { data: new Float32Array(rows * vocab), rows, vocab };
    const q = { data: new Float32Array(rows * vocab), rows, vocab };
    p.data[50 * vocab + 7] = NaN;
    q.data[9 * vocab + 4999] = NaN;
    const e = assertTypedError(() => ig.klDivergenceSync(p, q), RangeError, 'ERR_INFOGAIN_NONFINITE', 'q');
    assert.equal(e.index, 9);
  });

  test("backend 'cuda' without a usable device is a coded error", { skip: ig.backends().cuda ? 'a CUDA device is present' : false }, () => {
    assertTypedError(() => ig.klDivergenceSync(logits(), logits(), { backend: 'cuda' }), Error, 'ERR_INFOGAIN_CUDA_UNAVAILABLE');
  });
});

describe('maskFeedback (sync only)', () => {
  const ids = Int32Array.from({ length: 8 }, (_, i) => i);
  const bad = [
    ['ids a plain array', () => ig.maskFeedback([1, 2], i32(), i32(1)), TypeError, 'ERR_INVALID_ARG_TYPE', 'ids'],
    ['overlapping spans', () => ig.maskFeedback(ids, i32(4, 6, 0, 2, 5, 7), i32(1)), RangeError, 'ERR_OUT_OF_RANGE', 'spans', 2],
    ['span out of range', () => ig.maskFeedback(ids, i32(6, 9), i32(1)), RangeError, 'ERR_OUT_OF_RANGE', 'spans', 0],
    ['odd spans', () => ig.maskFeedback(ids, i32(1), i32(1)), RangeError, 'ERR_INFOGAIN_SHAPE', 'spans'],
    ['empty placeholder', () => ig.maskFeedback(ids, i32(1, 2), i32()), RangeError, 'ERR_INFOGAIN_SHAPE', 'placeholder'],
    ['placeholder not Int32Array', () => ig.maskFeedback(ids, i32(1, 2), new Uint32Array(1)), TypeError, 'ERR_INVALID_ARG_TYPE', 'placeholder'],
  ];
  for (const [what, fn, Class, code, argument, index] of bad)
    test(what, () => {
      const e = assertTypedError(fn, Class, code, argument);
      if (index !== undefined) assert.equal(e.index, index);
      assert.deepEqual(ids, Int32Array.from({ length: 8 }, (_, i) => i));
    });
});

describe('the bindings check what they read, even when called directly', () => {
  const b = native();
  const l = (rows, vocab, data = new Float32Array(rows * vocab)) => ({ data, rows, vocab, dtype: 0 });
  const direct = [
    ['kl: data shorter than rows * vocab', () => b.klDivergenceSync(l(2, 2), l(2, 2, new Float32Array(3)), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['kl: shapes differ', () => b.klDivergenceSync(l(2, 2), l(1, 4), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['kl: span past the rows', () => b.klDivergenceSync(l(2, 2), l(2, 2), { spans: i32(0, 3) }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['kl: odd spans', () => b.klDivergenceSync(l(2, 2), l(2, 2), { spans: i32(0) }), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['kl: overlapping spans', () => b.klDivergenceSync(l(2, 2), l(2, 2), { spans: i32(0, 2, 1, 2) }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['kl: bad direction code', () => b.klDivergenceSync(l(2, 2), l(2, 2), { direction: 9 }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['kl: NaN direction code', () => b.klDivergenceSync(l(2, 2), l(2, 2), { direction: NaN }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['topk: fractional direction code', () => b.topkKLSync(side(), side(), { direction: 1.5 }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['logRatio: lengths differ', () => b.logRatioSync(f32(1, 2), f32(1), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['logRatio: bad estimator code', () => b.logRatioSync(f32(-1), f32(-1), { estimator: -1 }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['topk: logprobs shorter than ids', () => b.topkKLSync({ ids: i32(1, 2), logprobs: f32(-1), k: 2 }, side(), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['topk: q has fewer rows', () => b.topkKLSync(side(), { ids: i32(1, 2), logprobs: f32(-1, -1), k: 2 }, {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['topk: sampledLogprobs without sampled', () => b.topkKLSync(side({ sampledLogprobs: f32(-1, -1) }), side(), {}), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['infoGain: turn past the sequence', () => b.infoGainSync({ ...turns(), length: 5 }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['infoGain: overlapping turns', () => b.infoGainSync(turns({ actionStart: i32(0, 2) })), RangeError, 'ERR_OUT_OF_RANGE'],
    ['infoGain: empty rollouts', () => b.infoGainSync(turns({ rollouts: i32() })), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['infoGain: rollouts past the turns', () => b.infoGainSync(turns({ rollouts: i32(0, 5) })), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['infoGain: scores shorter than the scored tokens', () => b.infoGainSync(turns({ logpReal: f32(-1) })), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['infoGain: full, rows differ from the scored tokens', () => b.infoGainSync(turns({ mode: 1, real: l(5, 2), masked: l(5, 2) })), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['beliefGain: span past logprobs', () => b.beliefGainSync(belief({ spans: i32(0, 9) })), RangeError, 'ERR_OUT_OF_RANGE'],
    ['beliefGain: odd spans', () => b.beliefGainSync(belief({ spans: i32(0) })), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['beliefGain: rollouts past the steps', () => b.beliefGainSync(belief({ rollouts: i32(0, 7) })), RangeError, 'ERR_INFOGAIN_SHAPE'],
  ];
  for (const [what, fn, Class, code] of direct) test(what, () => assertTypedError(fn, Class, code));
});
