// The bad-input contract of tokenLogprobs: typed errors with codes, caller buffers untouched.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { backends, tokenLogprobs, tokenLogprobsSync } from '../dist/index.js';
import { native } from '../dist/native.js';
import { assertRejects, assertTypedError } from './helpers/assert.mjs';

const good = () => ({ data: Float32Array.from({ length: 12 }, (_, i) => i / 3), rows: 3, vocab: 4, dtype: 'float32' });
const targets = () => new Int32Array([0, 1, 2]);

const cases = [
  ['logits not an object', () => [42, targets()], TypeError, 'ERR_INVALID_ARG_TYPE', 'logits'],
  ['rows not an integer', () => [{ ...good(), rows: 2.5 }, targets()], RangeError, 'ERR_OUT_OF_RANGE', 'logits.rows'],
  ['rows negative', () => [{ ...good(), rows: -3 }, targets()], RangeError, 'ERR_OUT_OF_RANGE', 'logits.rows'],
  ['rows a string', () => [{ ...good(), rows: '3' }, targets()], TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.rows'],
  ['vocab 0', () => [{ ...good(), vocab: 0, data: new Float32Array(0) }, targets()], RangeError, 'ERR_OUT_OF_RANGE', 'logits.vocab'],
  ['data length != rows * vocab', () => [{ ...good(), data: new Float32Array(11) }, targets()], RangeError, 'ERR_INFOGAIN_SHAPE', 'logits.data'],
  ['zero-length data', () => [{ ...good(), data: new Float32Array(0) }, targets()], RangeError, 'ERR_INFOGAIN_SHAPE', 'logits.data'],
  ['Float64Array data', () => [{ ...good(), data: new Float64Array(12) }, targets()], TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.data'],
  ['Float32Array for bfloat16', () => [{ ...good(), dtype: 'bfloat16' }, targets()], TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.data'],
  ['unknown dtype', () => [{ ...good(), dtype: 'int8' }, targets()], RangeError, 'ERR_OUT_OF_RANGE', 'logits.dtype'],
  ['targets a plain array', () => [good(), [0, 1, 2]], TypeError, 'ERR_INVALID_ARG_TYPE', 'targets'],
  ['targets Uint32Array', () => [good(), new Uint32Array(3)], TypeError, 'ERR_INVALID_ARG_TYPE', 'targets'],
  ['targets too short', () => [good(), new Int32Array(2)], RangeError, 'ERR_INFOGAIN_SHAPE', 'targets'],
  ['target = vocab', () => [good(), new Int32Array([0, 4, 1])], RangeError, 'ERR_OUT_OF_RANGE', 'targets'],
  ['target negative', () => [good(), new Int32Array([0, 1, -1])], RangeError, 'ERR_OUT_OF_RANGE', 'targets'],
  ['temperature 0', () => [good(), targets(), { temperature: 0 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['temperature negative', () => [good(), targets(), { temperature: -1 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['temperature NaN', () => [good(), targets(), { temperature: NaN }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['temperature Infinity', () => [good(), targets(), { temperature: Infinity }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  // 1 / T in float32 overflows (or T itself leaves it): named as the temperature, not as an overflowing logit
  ['temperature 1e-39', () => [good(), targets(), { temperature: 1e-39 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['temperature 5e-324', () => [good(), targets(), { temperature: 5e-324 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['temperature 1e39', () => [good(), targets(), { temperature: 1e39 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['entropy not boolean', () => [good(), targets(), { entropy: 1 }], TypeError, 'ERR_INVALID_ARG_TYPE', 'entropy'],
  ['options not an object', () => [good(), targets(), 'fast'], TypeError, 'ERR_INVALID_ARG_TYPE', 'options'],
  ['unknown backend', () => [good(), targets(), { backend: 'tpu' }], RangeError, 'ERR_OUT_OF_RANGE', 'backend'],
  ['ignoreIndex not an integer', () => [good(), targets(), { ignoreIndex: 0.5 }], RangeError, 'ERR_OUT_OF_RANGE', 'ignoreIndex'],
  ['tensor on the GPU', () => [{ dims: [3, 4], type: 'float32', data: new Float32Array(12), location: 'gpu-buffer' }, targets()], TypeError, 'ERR_INVALID_ARG_TYPE', 'logits'],
];

describe('bad input throws typed errors (sync) and rejects (async)', () => {
  for (const [what, args, Class, code, argument] of cases) {
    test(what, async () => {
      const a = args();
      const before = a.map((x) => (ArrayBuffer.isView(x?.data) ? x.data.slice() : ArrayBuffer.isView(x) ? x.slice() : x));
      assertTypedError(() => tokenLogprobsSync(...a), Class, code, argument);
      await assertRejects(tokenLogprobs(...args()), Class, code);
      a.forEach((x, i) => {
        if (ArrayBuffer.isView(x?.data)) assert.deepEqual(x.data, before[i].data ?? before[i], 'logits data untouched');
        else if (ArrayBuffer.isView(x)) assert.deepEqual(x, before[i], 'input untouched');
      });
    });
  }

  test('a NaN names its row and column; +Infinity too; an all -Infinity row too', () => {
    for (const [value, row, text] of [[NaN, 1, 'NaN at column 2'], [Infinity, 2, '+Infinity at column 2']]) {
      const l = good();
      l.data[row * 4 + 2] = value;
      const e = assertTypedError(() => tokenLogprobsSync(l, targets()), RangeError, 'ERR_INFOGAIN_NONFINITE', 'logits');
      assert.equal(e.index, row);
      assert.match(e.message, new RegExp(`row ${row} holds ${text.replace('+', '\\+')}`));
    }
    const l = good();
    l.data.fill(-Infinity, 4, 8);
    const e = assertTypedError(() => tokenLogprobsSync(l, targets()), RangeError, 'ERR_INFOGAIN_NONFINITE');
    assert.equal(e.index, 1);
    assert.match(e.message, /no finite entry/);
  });

  test('the first bad row is reported, whichever thread found it', () => {
    const rows = 64, vocab = 5000;
    const data = new Float32Array(rows * vocab);
    data[50 * vocab + 7] = NaN;
    data[9 * vocab + 4999] = NaN;
    const e = assertTypedError(() => tokenLogprobsSync({ data, rows, vocab }, new Int32Array(rows)), RangeError, 'ERR_INFOGAIN_NONFINITE');
    assert.equal(e.index, 9);
  });

  test('NaN logits reject the promise', async () => {
    const l = good();
    l.data[0] = NaN;
    await assertRejects(tokenLogprobs(l, targets()), RangeError, 'ERR_INFOGAIN_NONFINITE');
  });

  test('detached buffers are a TypeError', () => {
    const l = good();
    structuredClone(l.data.buffer, { transfer: [l.data.buffer] });
    assertTypedError(() => tokenLogprobsSync(l, targets()), TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.data');
    const t = targets();
    structuredClone(t.buffer, { transfer: [t.buffer] });
    assertTypedError(() => tokenLogprobsSync(good(), t), TypeError, 'ERR_INVALID_ARG_TYPE', 'targets');
  });

  test("backend 'cuda' without a usable device is a coded error", { skip: backends().cuda ? 'a CUDA device is present' : false }, () => {
    assertTypedError(() => tokenLogprobsSync(good(), targets(), { backend: 'cuda' }), Error, 'ERR_INFOGAIN_CUDA_UNAVAILABLE');
  });

  test('SharedArrayBuffer-backed inputs are used in place', () => {
    const sab = new Float32Array(new SharedArrayBuffer(48));
    sab.set(good().data);
    const t = new Int32Array(new SharedArrayBuffer(12));
    t.set(targets());
    assert.deepEqual(tokenLogprobsSync({ data: sab, rows: 3, vocab: 4 }, t).logprobs, tokenLogprobsSync(good(), targets()).logprobs);
  });
});

describe('the binding checks what it reads, even when called directly', () => {
  const b = native();
  const direct = [
    ['data shorter than rows * vocab', () => b.tokenLogprobsSync({ data: new Float32Array(3), rows: 2, vocab: 2, dtype: 0 }, new Int32Array(2), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['wrong typed array for the dtype', () => b.tokenLogprobsSync({ data: new Float32Array(4), rows: 2, vocab: 2, dtype: 2 }, new Int32Array(2), {}), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['targets too short', () => b.tokenLogprobsSync({ data: new Float32Array(4), rows: 2, vocab: 2, dtype: 0 }, new Int32Array(1), {}), RangeError, 'ERR_INFOGAIN_SHAPE'],
    ['target out of range', () => b.tokenLogprobsSync({ data: new Float32Array(4), rows: 2, vocab: 2, dtype: 0 }, new Int32Array([0, 2]), {}), RangeError, 'ERR_OUT_OF_RANGE'],
    ['huge rows * vocab', () => b.tokenLogprobsSync({ data: new Float32Array(4), rows: 2 ** 40, vocab: 2 ** 30, dtype: 0 }, new Int32Array(2), {}), RangeError, 'ERR_OUT_OF_RANGE'],
    ['negative rows', () => b.tokenLogprobsSync({ data: new Float32Array(4), rows: -2, vocab: 2, dtype: 0 }, new Int32Array(2), {}), RangeError, 'ERR_OUT_OF_RANGE'],
    ['not a typed array', () => b.tokenLogprobsSync({ data: [1, 2], rows: 1, vocab: 2, dtype: 0 }, new Int32Array(1), {}), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['bad dtype code', () => b.tokenLogprobsSync({ data: new Float32Array(4), rows: 2, vocab: 2, dtype: 9 }, new Int32Array(2), {}), RangeError, 'ERR_OUT_OF_RANGE'],
    ['temperature 0', () => b.tokenLogprobsSync({ data: new Float32Array(4), rows: 2, vocab: 2, dtype: 0 }, new Int32Array(2), { temperature: 0 }), RangeError, 'ERR_OUT_OF_RANGE'],
    ['bad backend code', () => b.tokenLogprobsSync({ data: new Float32Array(4), rows: 2, vocab: 2, dtype: 0 }, new Int32Array(2), { backend: 7 }), RangeError, 'ERR_OUT_OF_RANGE'],
  ];
  for (const [what, fn, Class, code] of direct) test(what, () => assertTypedError(fn, Class, code));
});
