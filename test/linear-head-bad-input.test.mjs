// The bad-input contract of linearLogprobs and linearKL: typed errors with codes, arguments and
// first bad indices (the hidden row, or the weight row at fault); caller buffers untouched; the
// binding safe when called directly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as ig from '../dist/index.js';
import { native } from '../dist/native.js';
import { assertRejects, assertTypedError } from './helpers/assert.mjs';

const i32 = (...v) => Int32Array.from(v);
const hidden = (rows = 3, dim = 4, over = {}) => ({ data: Float32Array.from({ length: rows * dim }, (_, i) => ((i % 5) - 2) / 3), rows, dim, ...over });
const weight = (vocab = 6, dim = 4, over = {}) => ({ data: Float32Array.from({ length: vocab * dim }, (_, i) => ((i % 7) - 3) / 4), vocab, dim, ...over });
const targets = () => i32(0, 5, 2);
const lp = (...a) => ['linearLogprobs', () => a];
const kl = (...a) => ['linearKL', () => a];
const withData = (m, at, value) => {
  m.data[at] = value;
  return m;
};

// [what, [function name, args], Class, code, argument, index]
const cases = [
  ['hidden not an object', lp(7, weight(), targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'hidden'],
  ['hidden.rows not an integer', lp(hidden(3, 4, { rows: 2.5 }), weight(), targets()), RangeError, 'ERR_OUT_OF_RANGE', 'hidden.rows'],
  ['hidden.dim 0', lp(hidden(3, 4, { dim: 0, data: new Float32Array(0) }), weight(), targets()), RangeError, 'ERR_OUT_OF_RANGE', 'hidden.dim'],
  ['hidden.dim missing', lp(hidden(3, 4, { dim: undefined }), weight(), targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'hidden.dim'],
  ['hidden.data too short', lp(hidden(3, 4, { data: new Float32Array(11) }), weight(), targets()), RangeError, 'ERR_INFOGAIN_SHAPE', 'hidden.data'],
  ['hidden.data a Float32Array for bfloat16', lp(hidden(3, 4, { dtype: 'bfloat16' }), weight(), targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'hidden.data'],
  // (a Proxy failed `instanceof` nowhere and then threw an untyped TypeError reading its buffer)
  ['hidden.data a Proxy around a Float32Array', lp(hidden(3, 4, { data: new Proxy(new Float32Array(12), {}) }), weight(), targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'hidden.data'],
  ['hidden a float32 Tensor holding an Int32Array', lp({ dims: [3, 4], type: 'float32', data: new Int32Array(12) }, weight(), targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'hidden.data'],
  ['hidden.dtype unknown', lp(hidden(3, 4, { dtype: 'int8' }), weight(), targets()), RangeError, 'ERR_OUT_OF_RANGE', 'hidden.dtype'],
  ['hidden a GPU tensor', lp({ dims: [3, 4], type: 'float32', data: new Float32Array(12), location: 'gpu-buffer' }, weight(), targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'hidden'],
  ['weight not an object', lp(hidden(), null, targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'weight'],
  ['weight.vocab 0', lp(hidden(), weight(0), targets()), RangeError, 'ERR_OUT_OF_RANGE', 'weight.vocab'],
  ['weight.dim differs from hidden.dim', lp(hidden(), weight(6, 5), targets()), RangeError, 'ERR_INFOGAIN_SHAPE', 'weight.dim'],
  ['weight.data too long', lp(hidden(), weight(6, 4, { data: new Float32Array(25) }), targets()), RangeError, 'ERR_INFOGAIN_SHAPE', 'weight.data'],
  ['weight.data a Uint16Array for float32', lp(hidden(), weight(6, 4, { data: new Uint16Array(24) }), targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'weight.data'],
  ['weight a bfloat16 Tensor holding a Float32Array', lp(hidden(), { dims: [6, 4], type: 'bfloat16', data: new Float32Array(24) }, targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'weight.data'],
  ['weight.transposed not a boolean', lp(hidden(), weight(6, 4, { transposed: 1 }), targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'weight.transposed'],
  ['weight a 3-D tensor', lp(hidden(), { dims: [1, 6, 4], type: 'float32', data: new Float32Array(24) }, targets()), RangeError, 'ERR_INFOGAIN_SHAPE', 'weight'],
  ['targets a plain array', lp(hidden(), weight(), [0, 1, 2]), TypeError, 'ERR_INVALID_ARG_TYPE', 'targets'],
  ['targets of the wrong length', lp(hidden(), weight(), i32(0, 1)), RangeError, 'ERR_INFOGAIN_SHAPE', 'targets'],
  ['a target past the vocabulary', lp(hidden(), weight(), i32(0, 6, 2)), RangeError, 'ERR_OUT_OF_RANGE', 'targets', 1],
  ['a negative target', lp(hidden(), weight(), i32(0, 1, -100)), RangeError, 'ERR_OUT_OF_RANGE', 'targets', 2],
  ['temperature 0', lp(hidden(), weight(), targets(), { temperature: 0 }), RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['temperature a string', lp(hidden(), weight(), targets(), { temperature: '1' }), TypeError, 'ERR_INVALID_ARG_TYPE', 'temperature'],
  ['temperature 1e-39 (1 / T leaves float32)', lp(hidden(), weight(), targets(), { temperature: 1e-39 }), RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['softcap negative', lp(hidden(), weight(), targets(), { softcap: -1 }), RangeError, 'ERR_OUT_OF_RANGE', 'softcap'],
  ['softcap Infinity', lp(hidden(), weight(), targets(), { softcap: Infinity }), RangeError, 'ERR_OUT_OF_RANGE', 'softcap'],
  ['bias a Float64Array', lp(hidden(), weight(), targets(), { bias: new Float64Array(6) }), TypeError, 'ERR_INVALID_ARG_TYPE', 'bias'],
  ['bias of the wrong length', lp(hidden(), weight(), targets(), { bias: new Float32Array(5) }), RangeError, 'ERR_INFOGAIN_SHAPE', 'bias'],
  ['bias holding NaN', lp(hidden(), weight(), targets(), { bias: Float32Array.of(0, 0, 0, NaN, 0, 0) }), RangeError, 'ERR_INFOGAIN_NONFINITE', 'bias', 3],
  ['bias holding +Infinity', lp(hidden(), weight(), targets(), { bias: Float32Array.of(0, Infinity, 0, 0, 0, 0) }), RangeError, 'ERR_INFOGAIN_NONFINITE', 'bias', 1],
  ['entropy not a boolean', lp(hidden(), weight(), targets(), { entropy: 'yes' }), TypeError, 'ERR_INVALID_ARG_TYPE', 'entropy'],
  ['options not an object', lp(hidden(), weight(), targets(), 3), TypeError, 'ERR_INVALID_ARG_TYPE', 'options'],
  ['unknown backend', lp(hidden(), weight(), targets(), { backend: 'tpu' }), RangeError, 'ERR_OUT_OF_RANGE', 'backend'],
  // found by the kernel: the first bad row, and what made it bad
  ['NaN in hidden row 1', lp(withData(hidden(), 6, NaN), weight(), targets()), RangeError, 'ERR_INFOGAIN_NONFINITE', 'hidden', 1],
  ['+Infinity in weight row 4', lp(hidden(), withData(weight(), 17, Infinity), targets()), RangeError, 'ERR_INFOGAIN_NONFINITE', 'weight', 4],
  ['a dot product that overflows', lp(hidden(3, 4, { data: new Float32Array(12).fill(1e20) }), weight(6, 4, { data: new Float32Array(24).fill(1e20) }), targets()), RangeError, 'ERR_INFOGAIN_NONFINITE', 'hidden', 0],
  ['a bias masking every entry', lp(hidden(), weight(), targets(), { bias: new Float32Array(6).fill(-Infinity) }), RangeError, 'ERR_INFOGAIN_NONFINITE', 'hidden', 0],
  ['a max that overflows once divided by T', lp(hidden(3, 4, { data: new Float32Array(12).fill(1e18) }), weight(6, 4, { data: new Float32Array(24).fill(1) }), targets(), { temperature: 1e-30 }), RangeError, 'ERR_INFOGAIN_NONFINITE', 'hidden', 0],

  ['kl: hiddenQ rows differ', kl(hidden(3), hidden(2), weight()), RangeError, 'ERR_INFOGAIN_SHAPE', 'hiddenQ'],
  ['kl: hiddenQ dim differs', kl(hidden(3, 4), hidden(3, 5), weight()), RangeError, 'ERR_INFOGAIN_SHAPE', 'hiddenQ'],
  ['kl: hiddenP not an object', kl('p', hidden(), weight()), TypeError, 'ERR_INVALID_ARG_TYPE', 'hiddenP'],
  ['kl: unknown direction', kl(hidden(), hidden(), weight(), { direction: 'both' }), RangeError, 'ERR_OUT_OF_RANGE', 'direction'],
  ['kl: bias with NaN', kl(hidden(), hidden(), weight(), { bias: Float32Array.of(NaN, 0, 0, 0, 0, 0) }), RangeError, 'ERR_INFOGAIN_NONFINITE', 'bias', 0],
  ['kl: NaN in hiddenQ row 2', kl(hidden(), withData(hidden(), 9, NaN), weight()), RangeError, 'ERR_INFOGAIN_NONFINITE', 'hiddenQ', 2],
  ['kl: NaN in hiddenP row 0 (reverse)', kl(withData(hidden(), 0, NaN), hidden(), weight(), { direction: 'reverse' }), RangeError, 'ERR_INFOGAIN_NONFINITE', 'hiddenP', 0],
  ['kl: NaN in weight row 3 (js)', kl(hidden(), hidden(), withData(weight(), 13, NaN), { direction: 'js' }), RangeError, 'ERR_INFOGAIN_NONFINITE', 'weight', 3],
];

/** Copies of every typed array reachable one or two levels in, to check they are untouched. */
function snapshot(args) {
  const views = [];
  const visit = (x, depth) => {
    if (ArrayBuffer.isView(x)) views.push([x, x.slice()]);
    else if (x && typeof x === 'object' && depth < 2) Object.values(x).forEach((v) => visit(v, depth + 1));
  };
  args.forEach((a) => visit(a, 0));
  return () => views.forEach(([v, copy]) => assert.deepEqual(v, copy, 'input untouched'));
}

describe('bad input throws typed errors (sync) and rejects (async)', () => {
  for (const [what, [name, args], Class, code, argument, index] of cases) {
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

describe('the error names what made the row bad', () => {
  test('messages', () => {
    const cases = [
      [() => ig.linearLogprobsSync(withData(hidden(), 6, NaN), weight(), targets()), /hidden row 1 holds NaN at column 2/],
      [() => ig.linearLogprobsSync(hidden(), withData(weight(), 17, Infinity), targets()), /weight row 4 .*holds an infinity at column 1/],
      [() => ig.linearLogprobsSync(hidden(), weight(), targets(), { bias: new Float32Array(6).fill(-Infinity) }), /hidden row 0 has no finite logit/],
    ];
    for (const [fn, re] of cases) assert.match(assertTypedError(fn, RangeError, 'ERR_INFOGAIN_NONFINITE').message, re);
  });

  test('the first bad row is reported, whichever thread found it', () => {
    const rows = 200, dim = 16, vocab = 3000;
    const h = hidden(rows, dim);
    h.data[150 * dim + 3] = NaN;
    h.data[37 * dim + 15] = -Infinity;
    const e = assertTypedError(() => ig.linearLogprobsSync(h, weight(vocab, dim), new Int32Array(rows)), RangeError, 'ERR_INFOGAIN_NONFINITE', 'hidden');
    assert.equal(e.index, 37);
  });

  test("backend 'cuda' without a usable device is a coded error", { skip: ig.backends().cuda ? 'a CUDA device is present' : false }, () => {
    assertTypedError(() => ig.linearLogprobsSync(hidden(), weight(), targets(), { backend: 'cuda' }), Error, 'ERR_INFOGAIN_CUDA_UNAVAILABLE');
    assertTypedError(() => ig.linearKLSync(hidden(), hidden(), weight(), { backend: 'cuda' }), Error, 'ERR_INFOGAIN_CUDA_UNAVAILABLE');
  });
});

describe('the binding checks what it reads, even when called directly', () => {
  const b = native();
  const h = (rows, dim, data = new Float32Array(rows * dim)) => ({ data, rows, dim, dtype: 0 });
  const w = (vocab, dim, data = new Float32Array(vocab * dim)) => ({ data, vocab, dim, dtype: 0 });
  const direct = [
    ['hidden data shorter than rows * dim', () => b.linearLogprobsSync(h(2, 3, new Float32Array(5)), w(4, 3), i32(0, 0), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['weight data shorter than vocab * dim', () => b.linearLogprobsSync(h(2, 3), w(4, 3, new Float32Array(11)), i32(0, 0), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['dims differ', () => b.linearLogprobsSync(h(2, 3), w(4, 2), i32(0, 0), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['a target past the vocabulary', () => b.linearLogprobsSync(h(2, 3), w(4, 3), i32(0, 4), {}), RangeError, 'ERR_OUT_OF_RANGE'],
    ['targets too short', () => b.linearLogprobsSync(h(2, 3), w(4, 3), i32(0), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['bias too short', () => b.linearLogprobsSync(h(2, 3), w(4, 3), i32(0, 0), { bias: new Float32Array(3) }), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['bias not a Float32Array', () => b.linearLogprobsSync(h(2, 3), w(4, 3), i32(0, 0), { bias: new Uint16Array(4) }), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['a bad dtype code', () => b.linearLogprobsSync({ ...h(2, 3), dtype: 7 }, w(4, 3), i32(0, 0), {}), RangeError, 'ERR_OUT_OF_RANGE'],
    ['Uint16Array data for float32', () => b.linearLogprobsSync(h(2, 3), w(4, 3, new Uint16Array(12)), i32(0, 0), {}), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['temperature NaN', () => b.linearLogprobsSync(h(2, 3), w(4, 3), i32(0, 0), { temperature: NaN }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['softcap NaN', () => b.linearLogprobsSync(h(2, 3), w(4, 3), i32(0, 0), { softcap: NaN }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['dim 0', () => b.linearLogprobsSync(h(2, 0), w(4, 0), i32(0, 0), {}), RangeError, 'ERR_OUT_OF_RANGE'],
    ['vocab 0', () => b.linearLogprobsSync(h(2, 3), w(0, 3), i32(0, 0), {}), RangeError, 'ERR_OUT_OF_RANGE'],
    ['kl: rows differ', () => b.linearKLSync(h(2, 3), h(3, 3), w(4, 3), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['kl: a bad direction code', () => b.linearKLSync(h(2, 3), h(2, 3), w(4, 3), { direction: 4 }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['kl: a fractional direction code', () => b.linearKLSync(h(2, 3), h(2, 3), w(4, 3), { direction: 0.5 }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['fmaPeak: seconds 0', () => b.fmaPeak(0), RangeError, 'ERR_OUT_OF_RANGE'],
  ];
  for (const [what, fn, Class, code] of direct) test(what, () => assertTypedError(fn, Class, code));
});
