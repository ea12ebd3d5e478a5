// logRatio against verl's formulas in float64.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { logRatio, logRatioSync } from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import { refLogRatio, refSpans } from './helpers/divergence-reference.mjs';
import { rng } from './helpers/random.mjs';

const estimators = ['k1', 'k2', 'k3', 'abs'];

function randomLogprobs(r, n, spread = 1) {
  const a = Float32Array.from({ length: n }, () => -Math.exp(r.normal()));
  const b = Float32Array.from(a, (x) => Math.min(0, x + spread * r.normal()));
  return { a, b };
}

describe('logRatio matches the float64 reference', () => {
  const r = rng();
  for (const n of [0, 1, 1000, 300001]) {
    test(`n = ${n}, every estimator, clamp on and off`, () => {
      for (const spread of [0.01, 1, 30]) {
        const { a, b } = randomLogprobs(r, n, spread);
        for (const estimator of estimators) {
          for (const clamp of [false, true]) {
            const res = logRatioSync(a, b, { estimator, clamp });
            assert.equal(res.values.length, n);
            // float64 math rounded once to float32
            assertClose(res.values, refLogRatio(a, b, estimator, clamp), { atol: 1e-30, rtol: 1e-7, what: `${estimator} clamp=${clamp} spread=${spread}` });
          }
        }
      }
    });
  }
});

describe('definitions', () => {
  test('hand-computed values: d = logpA - logpB = 0.5', () => {
    const a = new Float32Array([-1]), b = new Float32Array([-1.5]);
    const close = (estimator, expected) => assert.ok(Math.abs(logRatioSync(a, b, { estimator }).values[0] - expected) < 1e-7, estimator);
    close('k1', 0.5);
    close('abs', 0.5);
    close('k2', 0.125);
    close('k3', Math.exp(-0.5) - 1 + 0.5);
    assert.ok(Math.abs(logRatioSync(b, a, { estimator: 'abs' }).values[0] - 0.5) < 1e-7);
    assert.ok(Math.abs(logRatioSync(b, a).values[0] + 0.5) < 1e-7);
  });

  test('k3 keeps its precision for nearby log-probs (expm1(r) - r, not exp(r) - r - 1 in float32)', () => {
    const a = new Float32Array([-2, -0.3]);
    const b = Float32Array.from(a, (x) => x - 1e-4);
    const got = logRatioSync(a, b, { estimator: 'k3' }).values;
    const ref = refLogRatio(a, b, 'k3');
    for (let i = 0; i < 2; i++) {
      assert.ok(ref[i] > 4e-9 && ref[i] < 6e-9);
      assert.ok(Math.abs(got[i] - ref[i]) < 1e-6 * ref[i], `${got[i]} vs ${ref[i]}`);
    }
  });

  test("verl's clamps: the log-ratio to [-20, 20], k3 to [-10, 10], only with clamp", () => {
    // r = logpB - logpA: 39, -39, -0.5, 15
    const a = new Float32Array([-40, -1, -3, -16]), b = new Float32Array([-1, -40, -3.5, -1]);
    const clamped = logRatioSync(a, b, { estimator: 'k3', clamp: true }).values;
    assert.equal(clamped[0], 10);  // 39 -> 20: e^20 - 21 -> 10
    assert.equal(clamped[1], 10);  // -39 -> -20: e^-20 + 19 -> 10
    assert.ok(Math.abs(clamped[2] - (Math.exp(-0.5) - 0.5)) < 1e-7);  // inside both ranges: untouched
    assert.equal(clamped[3], 10);  // 15: e^15 - 16 -> 10
    const open = logRatioSync(a, b, { estimator: 'k3' }).values;
    assert.ok(Math.abs(open[0] / (Math.exp(39) - 40) - 1) < 1e-6);
    assert.ok(Math.abs(open[1] - 38) < 1e-5);
    assert.ok(Math.abs(open[3] / (Math.exp(15) - 16) - 1) < 1e-6);
    for (const estimator of ['k1', 'k2', 'abs'])
      assert.deepEqual(logRatioSync(a, b, { estimator, clamp: true }).values, logRatioSync(a, b, { estimator }).values);
  });

  test('-Infinity on one side gives an infinite estimate', () => {
    const a = new Float32Array([-Infinity, -1]), b = new Float32Array([-1, -Infinity]);
    assert.deepEqual([...logRatioSync(a, b).values], [-Infinity, Infinity]);
    for (const estimator of ['k2', 'k3', 'abs']) assert.deepEqual([...logRatioSync(a, b, { estimator }).values], [Infinity, Infinity], estimator);
  });
});

describe('spans', () => {
  const r = rng();
  test('per-span mean and sum (float64), any order; async equals sync', async () => {
    const { a, b } = randomLogprobs(r, 50);
    const spans = new Int32Array([10, 50, 0, 1, 1, 10]);
    for (const reduce of ['mean', 'sum']) {
      for (const estimator of estimators) {
        const res = logRatioSync(a, b, { estimator, spans, reduce });
        assertClose(res.spanValues, refSpans(res.values, spans, reduce), { atol: 1e-6, rtol: 1e-6, what: `${estimator} ${reduce}` });
        assert.deepEqual(await logRatio(a, b, { estimator, spans, reduce }), res);
      }
    }
  });
});
