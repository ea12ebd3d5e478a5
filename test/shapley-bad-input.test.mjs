// The bad-input contract of shapleyExact, ShapleyEstimator, shapley() and the ProMed helpers:
// typed errors naming the argument (and the first bad index), caller buffers untouched.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  backends,
  newlyAcquiredGains,
  questionGains,
  shapley,
  ShapleyEstimator,
  shapleyExact,
  shapleyExactSync,
  shapleyWeights,
} from '../dist/index.js';
import { assertRejects, assertTypedError } from './helpers/assert.mjs';

describe('shapleyExact', () => {
  const cases = [
    ['values a plain array', () => [[0, 1, 2, 3]], TypeError, 'ERR_INVALID_ARG_TYPE', 'values'],
    ['values a Float32Array', () => [new Float32Array(4)], TypeError, 'ERR_INVALID_ARG_TYPE', 'values'],
    ['length not a power of two', () => [new Float64Array(6)], RangeError, 'ERR_INFOGAIN_SHAPE', 'values'],
    ['zero-length values', () => [new Float64Array(0)], RangeError, 'ERR_INFOGAIN_SHAPE', 'values'],
    // 2^26 zeros: calloc'd, never touched, so cheap to allocate
    ['n = 26 > 25', () => [new Float64Array(2 ** 26)], RangeError, 'ERR_OUT_OF_RANGE', 'values'],
    ['unknown index', () => [new Float64Array(4), { index: 'owen' }], RangeError, 'ERR_OUT_OF_RANGE', 'index'],
    ['options not an object', () => [new Float64Array(4), 7], TypeError, 'ERR_INVALID_ARG_TYPE', 'options'],
    ['unknown backend', () => [new Float64Array(4), { backend: 'tpu' }], RangeError, 'ERR_OUT_OF_RANGE', 'backend'],
  ];
  for (const [what, args, Class, code, argument] of cases)
    test(what, async () => {
      assertTypedError(() => shapleyExactSync(...args()), Class, code, argument);
      await assertRejects(shapleyExact(...args()), Class, code);
    });

  test("backend 'cuda' without a device", { skip: backends().cuda !== null && 'a CUDA device is present' }, async () => {
    assertTypedError(() => shapleyExactSync(new Float64Array(4), { backend: 'cuda' }), Error, 'ERR_INFOGAIN_CUDA_UNAVAILABLE');
    await assertRejects(shapleyExact(new Float64Array(4), { backend: 'cuda' }), Error, 'ERR_INFOGAIN_CUDA_UNAVAILABLE');
  });

  test('NaN and infinite values name their first index; the table is untouched', async () => {
    for (const [bad, text] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']]) {
      const values = Float64Array.from({ length: 2 ** 17 }, (_, m) => m % 7);
      values[70001] = bad;
      values[90000] = bad;
      const before = values.slice();
      const e = assertTypedError(() => shapleyExactSync(values, { backend: 'cpu' }), RangeError, 'ERR_INFOGAIN_NONFINITE', 'values');
      assert.equal(e.index, 70001);
      assert.match(e.message, new RegExp(`values\\[70001\\] is ${text}`));
      assert.deepEqual(values, before);
      await assertRejects(shapleyExact(values, { backend: 'cpu' }), RangeError, 'ERR_INFOGAIN_NONFINITE');
    }
  });
});

describe('ShapleyEstimator options', () => {
  const cases = [
    ['options missing', undefined, TypeError, 'ERR_INVALID_ARG_TYPE', 'players'],
    ['players 0', { players: 0, budget: 10 }, RangeError, 'ERR_OUT_OF_RANGE', 'players'],
    ['players 33', { players: 33, budget: 10 }, RangeError, 'ERR_OUT_OF_RANGE', 'players'],
    ['players 2.5', { players: 2.5, budget: 10 }, RangeError, 'ERR_OUT_OF_RANGE', 'players'],
    ['players a string', { players: '4', budget: 10 }, TypeError, 'ERR_INVALID_ARG_TYPE', 'players'],
    ['budget missing', { players: 4 }, TypeError, 'ERR_INVALID_ARG_TYPE', 'budget'],
    ['budget 1', { players: 4, budget: 1 }, RangeError, 'ERR_OUT_OF_RANGE', 'budget'],
    ['budget 2^25 + 1', { players: 4, budget: 2 ** 25 + 1 }, RangeError, 'ERR_OUT_OF_RANGE', 'budget'],
    ['unknown method', { players: 4, budget: 10, method: 'owen' }, RangeError, 'ERR_OUT_OF_RANGE', 'method'],
    ['negative seed', { players: 4, budget: 10, seed: -1 }, RangeError, 'ERR_OUT_OF_RANGE', 'seed'],
    ['tolerance NaN', { players: 4, budget: 10, tolerance: NaN }, RangeError, 'ERR_OUT_OF_RANGE', 'tolerance'],
    ['tolerance negative', { players: 4, budget: 10, tolerance: -1 }, RangeError, 'ERR_OUT_OF_RANGE', 'tolerance'],
    ['cache not a boolean', { players: 4, budget: 10, cache: 0 }, TypeError, 'ERR_INVALID_ARG_TYPE', 'cache'],
    ['unknown sizes', { players: 4, budget: 10, sizes: 'binomial' }, RangeError, 'ERR_OUT_OF_RANGE', 'sizes'],
    ['promed not an object', { players: 4, budget: 10, promed: 3 }, TypeError, 'ERR_INVALID_ARG_TYPE', 'promed'],
    ['maxPermutations 0', { players: 4, budget: 10, promed: { maxPermutations: 0 } }, RangeError, 'ERR_OUT_OF_RANGE', 'promed.maxPermutations'],
    ['truncation negative', { players: 4, budget: 10, promed: { truncation: -1 } }, RangeError, 'ERR_OUT_OF_RANGE', 'promed.truncation'],
  ];
  for (const [what, opts, Class, code, argument] of cases)
    test(what, () => assertTypedError(() => new ShapleyEstimator(opts), Class, code, argument));
});

describe('ShapleyEstimator.observe', () => {
  const fresh = () => {
    const est = new ShapleyEstimator({ players: 5, budget: 20, seed: 3 });
    return { est, masks: est.nextBatch(6) };
  };
  test('masks outside the player set name their index', () => {
    const { est, masks } = fresh();
    const bad = masks.slice();
    bad[2] = 1 << 5;
    const e = assertTypedError(() => est.observe(bad, new Float64Array(6)), RangeError, 'ERR_OUT_OF_RANGE', 'masks');
    assert.equal(e.index, 2);
    assert.match(e.message, /outside \[0, 5\)/);
    assert.equal(est.estimate().evaluations, 0, 'nothing was taken');
  });
  test('a mask not handed out, or observed twice, is refused', () => {
    const { est, masks } = fresh();
    const notAsked = [...Array(32).keys()].find((m) => !masks.includes(m));
    let e = assertTypedError(() => est.observe(new Uint32Array([masks[0], notAsked]), new Float64Array(2)), RangeError, 'ERR_OUT_OF_RANGE', 'masks');
    assert.equal(e.index, 1);
    e = assertTypedError(() => est.observe(new Uint32Array([masks[0], masks[1], masks[0]]), new Float64Array(3)), RangeError, 'ERR_OUT_OF_RANGE', 'masks');
    assert.equal(e.index, 2);
    est.observe(masks.subarray(0, 1), new Float64Array(1));
    e = assertTypedError(() => est.observe(masks.subarray(0, 1), new Float64Array(1)), RangeError, 'ERR_OUT_OF_RANGE', 'masks');
    assert.match(e.message, /observed already/);
  });
  test('NaN or infinite values name their index; nothing is taken', () => {
    const { est, masks } = fresh();
    const values = new Float64Array(6);
    values[4] = NaN;
    const e = assertTypedError(() => est.observe(masks, values), RangeError, 'ERR_INFOGAIN_NONFINITE', 'values');
    assert.equal(e.index, 4);
    assert.equal(est.estimate().evaluations, 0);
  });
  test('wrong kinds and lengths', () => {
    const { est, masks } = fresh();
    assertTypedError(() => est.observe(Array.from(masks), new Float64Array(6)), TypeError, 'ERR_INVALID_ARG_TYPE', 'masks');
    assertTypedError(() => est.observe(new Int32Array(masks), new Float64Array(6)), TypeError, 'ERR_INVALID_ARG_TYPE', 'masks');
    assertTypedError(() => est.observe(masks, new Float32Array(6)), TypeError, 'ERR_INVALID_ARG_TYPE', 'values');
    assertTypedError(() => est.observe(masks, new Float64Array(5)), RangeError, 'ERR_INFOGAIN_SHAPE', 'values');
    assertTypedError(() => est.nextBatch(-1), RangeError, 'ERR_OUT_OF_RANGE', 'max');
  });
});

describe('shapley()', () => {
  test('valueFn not a function', async () => {
    await assertRejects(shapley(3, 'model', { budget: 8 }), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
  test('valueFn returning the wrong length, kind, or NaN', async () => {
    await assertRejects(shapley(3, async (m) => new Float64Array(m.length + 1), { budget: 8 }), RangeError, 'ERR_INFOGAIN_SHAPE');
    await assertRejects(shapley(3, async () => 'values', { budget: 8 }), TypeError, 'ERR_INVALID_ARG_TYPE');
    await assertRejects(shapley(3, async (m) => Array.from(m, () => 'x'), { budget: 8 }), TypeError, 'ERR_INVALID_ARG_TYPE');
    await assertRejects(shapley(3, async (m) => Array.from(m, () => NaN), { budget: 8 }), RangeError, 'ERR_INFOGAIN_NONFINITE');
  });
  test('a bad batchSize', async () => {
    await assertRejects(shapley(3, async (m) => new Float64Array(m.length), { budget: 8, batchSize: 0 }), RangeError, 'ERR_OUT_OF_RANGE');
  });
});

describe('ProMed helpers', () => {
  const w = new Float64Array([0.5, 0.3, 0.2]);
  const cases = [
    ['shapleyWeights: phi a plain array', () => shapleyWeights([1, 2]), TypeError, 'ERR_INVALID_ARG_TYPE', 'phi'],
    ['shapleyWeights: tau 0', () => shapleyWeights(new Float64Array(2), 0), RangeError, 'ERR_OUT_OF_RANGE', 'tau'],
    ['shapleyWeights: unknown method', () => shapleyWeights(new Float64Array(2), 2, { method: 'max' }), RangeError, 'ERR_OUT_OF_RANGE', 'method'],
    ['questionGains: coverage not a multiple of the facts', () => questionGains(w, new Uint8Array(5)), RangeError, 'ERR_INFOGAIN_SHAPE', 'coverage'],
    ['questionGains: coverage entry 2', () => questionGains(w, new Uint8Array([1, 0, 2])), RangeError, 'ERR_OUT_OF_RANGE', 'coverage'],
    ['questionGains: coverage an Int8Array', () => questionGains(w, new Int8Array(3)), TypeError, 'ERR_INVALID_ARG_TYPE', 'coverage'],
    ['questionGains: NaN weight', () => questionGains(new Float64Array([1, NaN, 0]), new Uint8Array(3)), RangeError, 'ERR_INFOGAIN_NONFINITE', 'weights'],
    ['questionGains: no facts', () => questionGains(new Float64Array(0), new Uint8Array(0)), RangeError, 'ERR_INFOGAIN_SHAPE', 'weights'],
    ['newlyAcquiredGains: known of the wrong length', () => newlyAcquiredGains(w, new Uint8Array(6), new Uint8Array(2)), RangeError, 'ERR_INFOGAIN_SHAPE', 'known'],
    ['newlyAcquiredGains: acquired entry 3', () => newlyAcquiredGains(w, new Uint8Array([0, 3, 0])), RangeError, 'ERR_OUT_OF_RANGE', 'acquired'],
  ];
  for (const [what, fn, Class, code, argument] of cases) test(what, () => assertTypedError(fn, Class, code, argument));
  test('the index of the first bad coverage entry', () => {
    const e = assertTypedError(() => questionGains(w, new Uint8Array([1, 0, 1, 0, 9, 1])), RangeError, 'ERR_OUT_OF_RANGE');
    assert.equal(e.index, 4);
  });
});

// Regression of test/RELIABILITY.md finding 8: int() of 2^32 + 3 was 3.
describe('the ShapleyEstimator binding refuses integer options above 2^31 instead of wrapping them', () => {
  const base = { players: 3, method: 1, budget: 8, seed: 1, tolerance: 0, cache: true, sizes: 0, maxPermutations: 50, minPermutations: 3, promedTolerance: 0.01, truncation: 0.01 };
  for (const [key, value] of [['players', 2 ** 32 + 3], ['method', 2 ** 32 + 1], ['sizes', 2 ** 32], ['maxPermutations', 2 ** 32], ['minPermutations', 2 ** 33 + 2]]) {
    test(`${key} = ${value} is out of range, not wrapped to ${value % 2 ** 32}`, async () => {
      const { native } = await import('../dist/native.js');
      const Estimator = native().ShapleyEstimator;
      assertTypedError(() => new Estimator({ ...base, [key]: value }), RangeError, 'ERR_OUT_OF_RANGE', key);
      assert.ok(new Estimator(base));
    });
  }
});

// ShapleyEstimator's methods run core code outside runKernel: an allocation that fails there is the
// typed error, not std::terminate (it ended the process, rc 134). 2.5 GB of address space runs out
// in the third batch of 2^22 permutation coalitions at 32 players.
test('ShapleyEstimator out of memory: ERR_INFOGAIN_OUT_OF_MEMORY, the process goes on (under a 2.5 GB address-space limit)', {
  skip: /libasan/.test(process.env.LD_PRELOAD ?? '') && 'under ASan no address-space limit can hold',
}, async () => {
  const { execFileSync } = await import('node:child_process');
  const script = `
    const { ShapleyEstimator } = require('./dist/index.js');
    const est = new ShapleyEstimator({ players: 32, method: 'permutation', budget: 2 ** 25, seed: 1 });
    try {
      for (let k = 0; k < 64; k++) {
        const masks = est.nextBatch(1 << 22);
        if (!masks.length) break;
        est.observe(masks, new Float64Array(masks.length));
      }
      console.log('no error');
    } catch (e) {
      console.log(e.name, e.code);
    }`;
  const out = execFileSync('bash', ['-c', 'ulimit -v 2500000 && exec "$0" -e "$1"', process.execPath, script], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
  });
  assert.equal(out.trim(), 'Error ERR_INFOGAIN_OUT_OF_MEMORY');
});
