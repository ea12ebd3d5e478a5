// C-IP: conformalScores, conformalQuantile, predictionSetSizes. Hand-made cases from the
// definitions, random ragged and dense (every dtype, vocab 1 to 200k, |logits| 1e4, -Infinity)
// inputs against the float64 reference, the calibration round trip (a row's label is in its set
// exactly when its score is <= qhat), the pool, and the bad-input contract.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import {
  backends,
  configure,
  conformalQuantile,
  conformalQuantileSync,
  conformalScores,
  conformalScoresSync,
  createRewardPool,
  predictionSetSizes,
  predictionSetSizesSync,
} from '../dist/index.js';
import { native } from '../dist/native.js';
import { assertClose, assertRejects, assertTypedError } from './helpers/assert.mjs';
import { checkBadInput } from './helpers/bad-input.mjs';
import { assertSameBits, shared } from './helpers/pool.mjs';
import { randomLogits, rng, runSeed } from './helpers/random.mjs';
import { refQuantile, refRows, refScores, refSetSizes, refStepGains, refStepUncertainty } from './helpers/uncertainty-reference.mjs';

const i32 = (...v) => Int32Array.from(v);
const f32 = (...v) => Float32Array.from(v);
const f64 = (...v) => Float64Array.from(v);
const close = (a, b, what, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (seed ${runSeed})`);
const dtypes = ['float32', 'float16', 'bfloat16'];
const hb = (a) => -(a * Math.log2(a) + (1 - a) * Math.log2(1 - a));

describe('conformalQuantile: hand-made cases', () => {
  const nine = f64(0.5, 0.9, 0.1, 0.7, 0.3, 0.2, 0.8, 0.4, 0.6);
  test("'conformal': the ceil((n + 1)(1 - alpha))-th smallest score; async equals sync", async () => {
    assert.deepEqual([...conformalQuantileSync(nine, 0.1)], [0.9]);  // k = ceil(9) = 9
    assert.deepEqual([...conformalQuantileSync(nine, 0.2)], [0.8]);  // k = 8
    assert.deepEqual([...conformalQuantileSync(nine, 0.35)], [0.7]);  // k = ceil(6.5) = 7
    assert.deepEqual(await conformalQuantile(nine, 0.35), conformalQuantileSync(nine, 0.35));
  });

  test('n < 1/alpha - 1: +Infinity (every candidate in every set); the empirical quantile has no such edge', () => {
    const five = f64(0.3, 0.1, 0.5, 0.2, 0.4);
    assert.deepEqual([...conformalQuantileSync(five, 0.1)], [Infinity]);  // k = ceil(5.4) = 6 > 5
    assert.deepEqual([...conformalQuantileSync(five, 0.1, { method: 'empirical' })], [0.5]);  // index ceil(3.6) = 4
    assert.deepEqual([...conformalQuantileSync(five, 0.3, { method: 'empirical' })], [0.4]);  // index ceil(2.8) = 3
    assert.deepEqual([...conformalQuantileSync(f64(), 0.1)], [Infinity]);
  });

  test('groups: one qhat each; an empty group is +Infinity', () => {
    const q = conformalQuantileSync(f64(0.2, 0.1, 0.9, 0.3, 0.4, 0.6), 0.5, { groups: i32(0, 2, 2, 6) });
    // group 0: n = 2, k = ceil(1.5) = 2 -> 0.2; group 1 empty; group 2: n = 4, k = ceil(2.5) = 3 -> 0.6
    assert.deepEqual([...q], [0.2, Infinity, 0.6]);
  });
});

describe('conformalScores and predictionSetSizes: hand-made cases', () => {
  const p = [0.5, 0.3, 0.2];
  const row = { candidateLogits: f32(...p.map(Math.log)), candidates: i32(0, 3) };
  test('scores are 1 - p(label); the set holds the candidates with 1 - p <= qhat', async () => {
    const s = conformalScoresSync({ ...row, labels: i32(1) });
    close(s[0], 0.7, 'score of the 0.3 answer');
    assert.deepEqual(await conformalScores({ ...row, labels: i32(1) }), s);
    for (const [qhat, size, covered] of [[0.75, 2, 1], [0.69, 1, 0], [0.45, 0, 0], [1, 3, 1], [Infinity, 3, 1], [-1, 0, 0]]) {
      const res = predictionSetSizesSync({ ...row, labels: i32(1) }, { qhat });
      assert.deepEqual([...res.sizes], [size], `qhat ${qhat}`);
      assert.deepEqual([...res.covered], [covered], `qhat ${qhat}`);
    }
    assert.deepEqual(await predictionSetSizes(row, { qhat: 0.75 }), predictionSetSizesSync(row, { qhat: 0.75 }));
    assert.equal(predictionSetSizesSync(row, { qhat: 0.75 }).covered, undefined, 'no labels, no covered');
  });

  test('a temperature below 1 / DBL_MAX: a hard argmax, ties sharing the mass (regression: NaN scores)', () => {
    const s = conformalScoresSync({ candidateLogits: f32(1, 2, 2), candidates: i32(0, 3), labels: i32(1) }, { temperature: 1e-310 });
    assert.deepEqual([...s], [0.5]);
  });

  test("per step the mean size, gains within rollouts; 'fano' from the authors' code", () => {
    // step 0: rows 0, 1; step 1: row 2; step 2 (next rollout): row 3. Each row: 3 candidates
    const probs = [[0.5, 0.3, 0.2], [0.4, 0.35, 0.25], [0.9, 0.06, 0.04], [0.6, 0.3, 0.1]];
    const input = { candidateLogits: f32(...probs.flat().map(Math.log)), candidates: i32(0, 3, 6, 9, 12), steps: i32(0, 2, 3, 4), rollouts: i32(0, 2, 3), labels: i32(1, 2, 0, 2) };
    const res = predictionSetSizesSync(input, { qhat: 0.72 });
    // scores <= 0.72 means p >= 0.28: row 0 {0.5, 0.3}, row 1 {0.4, 0.35}, row 2 {0.9}, row 3 {0.6, 0.3}
    assert.deepEqual([...res.sizes], [2, 2, 1, 2]);
    assert.deepEqual([...res.covered], [1, 0, 1, 0]);
    assert.deepEqual([...res.uncertainty], [2, 1, 2]);
    assert.deepEqual([...res.hasGain], [0, 1, 0]);
    assert.deepEqual([...res.gains], [0, 1, 0]);
    const a = 0.1;
    const fano = predictionSetSizesSync(input, { qhat: 0.72, uncertainty: 'fano', alpha: a });
    // step 0: covered row 0 (|C| = 2), missed row 1 (K - |C| = 1); step 1: covered, |C| = 1; step 2: missed, K - |C| = 1
    close(fano.uncertainty[0], hb(a) + (1 - a) * 1 + a * 0, 'fano step 0');
    close(fano.uncertainty[1], hb(a), 'fano step 1');
    close(fano.uncertainty[2], hb(a), 'fano step 2');
    close(fano.gains[1], 1 - a, 'fano gain');
  });

  test('no rows: empty outputs; labels given for no rows still count as labels (covered, fano)', () => {
    // regression: an empty Int32Array may have no data pointer, which read as 'no labels'
    const res = predictionSetSizesSync({ candidateLogits: f32(), candidates: i32(0), labels: i32() }, { qhat: 0.5, uncertainty: 'fano', alpha: 0.1 });
    assert.deepEqual(res.covered, new Uint8Array(0));
    assert.equal(res.sizes.length + res.uncertainty.length, 0);
    assert.equal(conformalScoresSync({ logits: { data: f32(), rows: 0, vocab: 5 }, labels: i32() }).length, 0);
  });

  test('the whole vocabulary: a logits matrix, labels are token ids', () => {
    const logits = { data: f32(...p.map(Math.log), 0, 0, 0, 0), rows: 2, vocab: 3 };
    logits.data = logits.data.slice(0, 6);
    const s = conformalScoresSync({ logits, labels: i32(1, 2) });
    close(s[0], 0.7, 'row 0');
    close(s[1], 2 / 3, 'row 1 (uniform)');
    const res = predictionSetSizesSync({ logits, labels: i32(1, 2) }, { qhat: 0.68 });
    assert.deepEqual([...res.sizes], [1, 3]);
    assert.deepEqual([...res.covered], [0, 1]);
  });
});

/** Ragged rows of 1..maxCandidates candidates; labels index each row. */
function randomRagged(r, rows, { scale = 3, offset = 0, negInf = 0, maxCandidates = 30 } = {}) {
  const values = [], candidates = [0], labels = [];
  for (let i = 0; i < rows; i++) {
    const k = 1 + r.int(maxCandidates), start = values.length;
    for (let j = 0; j < k; j++) values.push(r.next() < negInf ? -Infinity : offset + scale * r.normal());
    const label = r.int(k);
    if (values[start + label] === -Infinity) values[start + label] = offset;
    candidates.push(values.length);
    labels.push(label);
  }
  return { candidateLogits: Float32Array.from(values), candidates: Int32Array.from(candidates), labels: Int32Array.from(labels) };
}

/** Sizes inside the reference's [lo, hi]; covered equal to the reference wherever the label's score is clear of qhat. */
function checkSets(res, input, wide, qhat, temperature, tol, what) {
  const rowScores = refScores(refRows(input, wide), temperature);
  const bounds = refSetSizes(rowScores, qhat, tol);
  bounds.forEach(({ lo, hi }, i) => assert.ok(res.sizes[i] >= lo && res.sizes[i] <= hi, `${what} row ${i}: size ${res.sizes[i]} outside [${lo}, ${hi}] (seed ${runSeed})`));
  if (input.labels)
    input.labels.forEach((l, i) => {
      const q = typeof qhat === 'number' ? qhat : qhat[i], s = rowScores[i][l];
      if (Math.abs(s - q) > tol) assert.equal(res.covered[i], s <= q ? 1 : 0, `${what} covered ${i}`);
    });
  return rowScores;
}

describe(`ragged candidates against the float64 reference (seed ${runSeed})`, () => {
  const r = rng();
  for (const [what, shape] of [
    ['plain', {}],
    ['|logits| ~ 1e4', { offset: 1e4, scale: 10 }],
    ['-1e4, wide', { offset: -1e4, scale: 200 }],
    ['25% -Infinity', { negInf: 0.25 }],
    ['one candidate per row', { maxCandidates: 1 }],
  ]) {
    test(what, async () => {
      for (const temperature of [1, 0.4, 3]) {
        const input = randomRagged(r, 300, shape);
        const scores = conformalScoresSync(input, { temperature });
        const ref = refScores(refRows(input), temperature).map((s, i) => s[input.labels[i]]);
        assertClose(scores, ref, { atol: 1e-12, what: `${what} scores` });
        assert.deepEqual(await conformalScores(input, { temperature }), scores);

        const qhat = r.next() < 0.5 ? r.next() : Float64Array.from(input.labels, () => r.next() * 1.1 - 0.05);
        const steps = Int32Array.from([0, 1, 5, 40, 41, 120, 300]), rollouts = i32(0, 3, 6);
        const res = predictionSetSizesSync({ ...input, steps, rollouts }, { qhat, temperature });
        checkSets(res, input, undefined, qhat, temperature, 1e-12, what);
        const u = refStepUncertainty(res.sizes, res.covered, [], steps);
        assertClose(res.uncertainty, u, { atol: 1e-5, rtol: 1e-6, what: `${what} mean size` });
        const g = refStepGains(u, rollouts);
        assertClose(res.gains, g.gains, { atol: 1e-4, what: `${what} gains` });
        assert.deepEqual([...res.hasGain], g.hasGain);
        const alpha = 0.05 + 0.5 * r.next();
        const fano = predictionSetSizesSync({ ...input, steps, rollouts }, { qhat, temperature, uncertainty: 'fano', alpha });
        assert.deepEqual(fano.sizes, res.sizes);
        const k = refRows(input).map((xs) => xs.length);
        assertClose(fano.uncertainty, refStepUncertainty(res.sizes, res.covered, k, steps, 'fano', alpha), { atol: 1e-5, rtol: 1e-6, what: `${what} fano` });
      }
    });
  }
});

describe(`conformalQuantile against the reference (seed ${runSeed})`, () => {
  test('both methods, random alpha, group sizes 1 to 400 and the n < 1/alpha edge', async () => {
    const r = rng();
    for (let trial = 0; trial < 40; trial++) {
      const sizes = Array.from({ length: 1 + r.int(5) }, () => (r.next() < 0.3 ? 1 + r.int(8) : 1 + r.int(400)));
      const offsets = [0];
      sizes.forEach((n) => offsets.push(offsets.at(-1) + n));
      const scores = Float64Array.from({ length: offsets.at(-1) }, () => (r.next() < 0.1 ? 0.5 : r.next()));  // ties too
      const alpha = r.next() < 0.2 ? 0.1 : 0.01 + 0.9 * r.next();
      for (const method of ['conformal', 'empirical']) {
        const q = conformalQuantileSync(scores, alpha, { groups: Int32Array.from(offsets), method });
        const expected = sizes.map((_, g) => refQuantile(scores.slice(offsets[g], offsets[g + 1]), alpha, method));
        assert.deepEqual([...q], expected, `${method} alpha ${alpha} sizes ${sizes}`);
        if (method === 'conformal')
          sizes.forEach((n, g) => {
            // the guarantee on the calibration scores themselves: at least (1 - alpha)(n + 1) of them are <= qhat
            if (q[g] === Infinity) return;
            const inside = scores.slice(offsets[g], offsets[g + 1]).filter((s) => s <= q[g]).length;
            assert.ok(inside >= (1 - alpha) * (n + 1) - 1e-9, `coverage of group ${g}`);
          });
      }
    }
    const scores = Float64Array.from({ length: 1000 }, () => r.next());
    assert.deepEqual(await conformalQuantile(scores, 0.1, { method: 'empirical' }), conformalQuantileSync(scores, 0.1, { method: 'empirical' }));
  });
});

describe(`the whole vocabulary against the float64 reference, every dtype (seed ${runSeed})`, () => {
  const r = rng();
  const shapes = [[0, 7], [1, 1], [6, 4099], [3, 200000]];
  for (const dtype of dtypes) {
    test(dtype, async () => {
      for (const [rows, vocab] of shapes)
        for (const [offset, scale, temperature] of [[0, 3, 1], [0, 2, 0.6], [1e4, 10, 1], [-1e4, 30, 1]]) {
          const { logits, wide } = randomLogits(r, rows, vocab, dtype, { scale, offset, negInf: vocab > 1 ? 0.1 : 0 });
          const labels = Int32Array.from({ length: rows }, (_, i) => {
            let k = r.int(vocab);
            for (let t = 0; t < 20 && wide[i * vocab + k] === -Infinity; t++) k = r.int(vocab);
            return k;
          });
          const what = `${dtype} [${rows}, ${vocab}] offset ${offset} T ${temperature}`;
          // float32 softmax statistics, as in tokenLogprobs: x / T rounds to float32 first
          let maxAbs = 0;
          for (const x of wide) if (Number.isFinite(x)) maxAbs = Math.max(maxAbs, Math.abs(x / temperature));
          const tol = 3e-6 + 1.2e-7 * maxAbs;
          const scores = conformalScoresSync({ logits, labels }, { temperature });
          const rowScores = refScores(refRows({ logits }, wide), temperature);
          assertClose(scores, Float64Array.from(labels, (l, i) => rowScores[i][l]), { atol: tol, what: `${what} scores` });
          // qhat at a typical label score, so the sets are neither empty nor everything
          const qhat = rows ? Math.min(0.999, scores[0] + 0.01) : 0.5;
          const res = predictionSetSizesSync({ logits, labels }, { qhat, temperature });
          checkSets(res, { logits, labels }, wide, qhat, temperature, tol, what);
          assert.deepEqual(await predictionSetSizes({ logits, labels }, { qhat, temperature }), res);
        }
    });
  }
});

describe('the calibration round trip: a label is in its set exactly when its score is <= qhat', () => {
  const r = rng();
  const check = (input, temperature, what) => {
    const scores = conformalScoresSync(input, { temperature });
    for (const alpha of [0.05, 0.2, 0.5]) {
      const [qhat] = conformalQuantileSync(scores, alpha);
      const res = predictionSetSizesSync(input, { qhat, temperature });
      scores.forEach((s, i) => assert.equal(res.covered[i], s <= qhat ? 1 : 0, `${what} alpha ${alpha} row ${i}: score ${s}, qhat ${qhat}`));
      const inside = res.covered.reduce((a, c) => a + c, 0);
      if (qhat !== Infinity) assert.ok(inside >= (1 - alpha) * (scores.length + 1) - 1e-9, `${what} coverage ${inside} / ${scores.length}`);
    }
  };
  test('ragged rows', () => check(randomRagged(r, 500), 0.8, 'ragged'));
  for (const dtype of dtypes)
    test(`${dtype} logits, |logits| 1e4`, () => {
      const { logits } = randomLogits(r, 40, 3001, dtype, { scale: 2, offset: 1e4 });
      check({ logits, labels: Int32Array.from({ length: 40 }, () => r.int(3001)) }, 1, dtype);
      const { logits: l2 } = randomLogits(r, 40, 517, dtype, { scale: 2 });
      check({ logits: l2, labels: Int32Array.from({ length: 40 }, () => r.int(517)) }, 0.7, `${dtype} T 0.7`);
    });
});

describe('set sizes count exactly the candidates whose own score is <= qhat, at every threshold', () => {
  // every candidate's score from conformalScores (the row repeated, one label per candidate), then
  // qhat set to candidate scores themselves: the fast threshold test must agree with the score test
  const r = rng();
  const check = (rowOf, k, temperature, what) => {
    const every = conformalScoresSync({ ...rowOf(k), labels: Int32Array.from({ length: k }, (_, j) => j) }, { temperature });
    const one = rowOf(1);
    const sorted = [...every].sort((a, b) => a - b);
    for (const qhat of [sorted[0], sorted[k >> 1], sorted[k - 1], sorted[k >> 2] + 1e-13, sorted[k >> 2] - 1e-13, 0.999999]) {
      const [size] = predictionSetSizesSync(one, { qhat, temperature }).sizes;
      assert.equal(size, every.filter((s) => s <= qhat).length, `${what}: qhat ${qhat}`);
    }
  };
  test('ragged', () => {
    const row = randomRagged(r, 1, { maxCandidates: 200, scale: 0.3 });
    const k = row.candidates[1];
    const rowOf = (n) => ({ candidateLogits: Float32Array.from({ length: n * k }, (_, i) => row.candidateLogits[i % k]), candidates: Int32Array.from({ length: n + 1 }, (_, i) => i * k) });
    check(rowOf, k, 0.9, 'ragged');
  });
  const order = ['scalar', 'avx2', 'avx512'];
  const isas = order.slice(0, order.indexOf(backends().cpu.detectedIsa) + 1);
  for (const dtype of dtypes)
    for (const [offset, temperature] of [[0, 1], [1e4, 1], [30, 0.55]])
      test(`${dtype} logits, offset ${offset}, T ${temperature}, ISAs ${isas.join(', ')}`, () => {
        const vocab = 1500 + r.int(40);  // a tail past the last full vector too
        const { logits } = randomLogits(r, 1, vocab, dtype, { scale: 0.5, offset, negInf: 0.05 });
        const rowOf = (n) => ({ logits: { ...logits, rows: n, data: logits.data.constructor.from({ length: n * vocab }, (_, i) => logits.data[i % vocab]) } });
        const start = backends().cpu.isa;
        try {
          for (const isa of isas) {
            configure({ isa });
            check(rowOf, vocab, temperature, `${dtype} ${isa}`);
          }
        } finally {
          configure({ isa: start });
        }
      });
});

describe('C-IP through the reward pool', () => {
  const pool = createRewardPool({ threads: 2 });
  after(() => pool.close());
  test('bit for bit the sync results, shared inputs in place; typed errors survive the trip', async () => {
    const r = rng(runSeed + 2);
    const input = randomRagged(r, 64);
    const same = (a, b, what) => assert.ok(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), what);
    same(await pool.conformalScores(input, { temperature: 0.9 }), conformalScoresSync(input, { temperature: 0.9 }), 'scores');
    const scores = conformalScoresSync(input);
    same(await pool.conformalQuantile(shared(scores), 0.1), conformalQuantileSync(scores, 0.1), 'quantile');
    const opts = { qhat: 0.6, uncertainty: 'fano', alpha: 0.1 };
    assertSameBits(await pool.predictionSetSizes({ ...input, candidateLogits: shared(input.candidateLogits) }, opts), predictionSetSizesSync(input, opts), 'sets');
    await assertRejects(pool.conformalQuantile(f64(0.1, NaN), 0.1), RangeError, 'ERR_INFOGAIN_NONFINITE');
  });
});

// ---- bad input ------------------------------------------------------------------------------
const ragged = (over = {}) => ({ candidateLogits: f32(0, 1, 2, 0, 1), candidates: i32(0, 3, 5), labels: i32(0, 1), ...over });
const dense = (over = {}) => ({ logits: { data: f32(0, 1, 2, 0, 1, 2), rows: 2, vocab: 3 }, labels: i32(0, 2), ...over });
// [what, function, args, Class, code, argument, index]
const cases = [
  ['scores: input not an object', 'conformalScores', () => [null], TypeError, 'ERR_INVALID_ARG_TYPE', 'input'],
  ['scores: labels missing', 'conformalScores', () => [ragged({ labels: undefined })], TypeError, 'ERR_INVALID_ARG_TYPE', 'labels'],
  ['scores: labels of the wrong length', 'conformalScores', () => [ragged({ labels: i32(0) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'labels'],
  ['scores: a label past its row', 'conformalScores', () => [ragged({ labels: i32(0, 2) })], RangeError, 'ERR_OUT_OF_RANGE', 'labels', 1],
  ['scores: a negative label', 'conformalScores', () => [ragged({ labels: i32(-1, 0) })], RangeError, 'ERR_OUT_OF_RANGE', 'labels', 0],
  ['scores: a label past the vocabulary', 'conformalScores', () => [dense({ labels: i32(0, 3) })], RangeError, 'ERR_OUT_OF_RANGE', 'labels', 1],
  ['scores: both logits and candidateLogits', 'conformalScores', () => [{ ...ragged(), ...dense() }], RangeError, 'ERR_OUT_OF_RANGE', 'logits'],
  ['scores: neither', 'conformalScores', () => [{ labels: i32(0) }], TypeError, 'ERR_INVALID_ARG_TYPE', 'candidateLogits'],
  ['scores: a row without candidates', 'conformalScores', () => [ragged({ candidates: i32(0, 0, 5) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'candidates', 0],
  ['scores: candidates past the logits', 'conformalScores', () => [ragged({ candidates: i32(0, 3, 6) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'candidates', 2],
  ['scores: NaN candidate logit', 'conformalScores', () => [ragged({ candidateLogits: f32(0, 1, 2, NaN, 1) })], RangeError, 'ERR_INFOGAIN_NONFINITE', 'candidateLogits', 3],
  ['scores: a row of only -Infinity', 'conformalScores', () => [ragged({ candidateLogits: f32(-Infinity, -Infinity, -Infinity, 0, 1) })], RangeError, 'ERR_INFOGAIN_NONFINITE', 'candidateLogits', 0],
  ['scores: NaN in a logits row', 'conformalScores', () => [dense({ logits: { data: f32(0, 1, 2, 0, NaN, 2), rows: 2, vocab: 3 } })], RangeError, 'ERR_INFOGAIN_NONFINITE', 'logits', 1],
  ['scores: bfloat16 logits in a Float32Array', 'conformalScores', () => [dense({ logits: { data: f32(0, 1, 2, 0, 1, 2), rows: 2, vocab: 3, dtype: 'bfloat16' } })], TypeError, 'ERR_INVALID_ARG_TYPE', 'logits.data'],
  ['scores: temperature 0', 'conformalScores', () => [ragged(), { temperature: 0 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],

  ['quantile: scores a Float32Array', 'conformalQuantile', () => [f32(0.1), 0.1], TypeError, 'ERR_INVALID_ARG_TYPE', 'scores'],
  ['quantile: alpha missing', 'conformalQuantile', () => [f64(0.1)], TypeError, 'ERR_INVALID_ARG_TYPE', 'alpha'],
  ['quantile: alpha 0', 'conformalQuantile', () => [f64(0.1), 0], RangeError, 'ERR_OUT_OF_RANGE', 'alpha'],
  ['quantile: alpha 1', 'conformalQuantile', () => [f64(0.1), 1], RangeError, 'ERR_OUT_OF_RANGE', 'alpha'],
  ['quantile: NaN score', 'conformalQuantile', () => [f64(0.1, 0.2, NaN), 0.1], RangeError, 'ERR_INFOGAIN_NONFINITE', 'scores', 2],
  ['quantile: -Infinity score', 'conformalQuantile', () => [f64(-Infinity), 0.1], RangeError, 'ERR_INFOGAIN_NONFINITE', 'scores', 0],
  ['quantile: unknown method', 'conformalQuantile', () => [f64(0.1), 0.1, { method: 'split' }], RangeError, 'ERR_OUT_OF_RANGE', 'method'],
  ['quantile: groups past the scores', 'conformalQuantile', () => [f64(0.1, 0.2), 0.1, { groups: i32(0, 3) }], RangeError, 'ERR_INFOGAIN_SHAPE', 'groups', 1],
  ['quantile: decreasing groups', 'conformalQuantile', () => [f64(0.1, 0.2), 0.1, { groups: i32(0, 2, 1, 2) }], RangeError, 'ERR_OUT_OF_RANGE', 'groups', 2],
  ['quantile: an empty group, empirical', 'conformalQuantile', () => [f64(0.1, 0.2), 0.1, { groups: i32(0, 0, 2), method: 'empirical' }], RangeError, 'ERR_INFOGAIN_SHAPE', 'groups', 0],
  ['quantile: no scores, empirical', 'conformalQuantile', () => [f64(), 0.1, { method: 'empirical' }], RangeError, 'ERR_INFOGAIN_SHAPE', 'groups', 0],

  ['sets: options missing', 'predictionSetSizes', () => [ragged()], TypeError, 'ERR_INVALID_ARG_TYPE', 'options'],
  ['sets: qhat missing', 'predictionSetSizes', () => [ragged(), {}], TypeError, 'ERR_INVALID_ARG_TYPE', 'qhat'],
  ['sets: qhat NaN', 'predictionSetSizes', () => [ragged(), { qhat: NaN }], RangeError, 'ERR_INFOGAIN_NONFINITE', 'qhat'],
  ['sets: qhat per row of the wrong length', 'predictionSetSizes', () => [ragged(), { qhat: f64(0.5) }], RangeError, 'ERR_INFOGAIN_SHAPE', 'qhat'],
  ['sets: qhat per row with NaN', 'predictionSetSizes', () => [ragged(), { qhat: f64(0.5, NaN) }], RangeError, 'ERR_INFOGAIN_NONFINITE', 'qhat', 1],
  ['sets: qhat a Float32Array', 'predictionSetSizes', () => [ragged(), { qhat: f32(0.5, 0.5) }], TypeError, 'ERR_INVALID_ARG_TYPE', 'qhat'],
  ['sets: unknown uncertainty', 'predictionSetSizes', () => [ragged(), { qhat: 0.5, uncertainty: 'entropy' }], RangeError, 'ERR_OUT_OF_RANGE', 'uncertainty'],
  ['sets: fano without alpha', 'predictionSetSizes', () => [ragged(), { qhat: 0.5, uncertainty: 'fano' }], TypeError, 'ERR_INVALID_ARG_TYPE', 'alpha'],
  ['sets: fano without labels', 'predictionSetSizes', () => [ragged({ labels: undefined }), { qhat: 0.5, uncertainty: 'fano', alpha: 0.1 }], TypeError, 'ERR_INVALID_ARG_TYPE', 'labels'],
  ['sets: alpha 1.5', 'predictionSetSizes', () => [ragged(), { qhat: 0.5, alpha: 1.5 }], RangeError, 'ERR_OUT_OF_RANGE', 'alpha'],
  ['sets: a label past its row', 'predictionSetSizes', () => [ragged({ labels: i32(3, 0) }), { qhat: 0.5 }], RangeError, 'ERR_OUT_OF_RANGE', 'labels', 0],
  ['sets: steps not ending at the rows', 'predictionSetSizes', () => [ragged({ steps: i32(0, 1) }), { qhat: 0.5 }], RangeError, 'ERR_INFOGAIN_SHAPE', 'steps', 1],
  ['sets: an empty step', 'predictionSetSizes', () => [ragged({ steps: i32(0, 0, 2) }), { qhat: 0.5 }], RangeError, 'ERR_INFOGAIN_SHAPE', 'steps', 0],
  ['sets: rollouts past the steps', 'predictionSetSizes', () => [ragged({ rollouts: i32(0, 3) }), { qhat: 0.5 }], RangeError, 'ERR_INFOGAIN_SHAPE', 'rollouts', 1],
  ['sets: logits vocab 0', 'predictionSetSizes', () => [{ logits: { data: f32(), rows: 2, vocab: 0 } }, { qhat: 0.5 }], RangeError, 'ERR_OUT_OF_RANGE', 'logits.vocab'],
  ['sets: +Infinity in a logits row', 'predictionSetSizes', () => [dense({ logits: { data: f32(0, Infinity, 2, 0, 1, 2), rows: 2, vocab: 3 } }), { qhat: 0.5 }], RangeError, 'ERR_INFOGAIN_NONFINITE', 'logits', 0],
];

describe('C-IP: bad input throws typed errors (sync) and rejects (async), inputs untouched', () => {
  for (const [what, ...row] of cases) test(what, () => checkBadInput(...row));

  test('the bindings check what they read, even when called directly', () => {
    const b = native();
    const l = { data: f32(0, 1, 2, 0, 1, 2), rows: 2, vocab: 3, dtype: 0 };
    assertTypedError(() => b.conformalScoresSync({ logits: { ...l, rows: 3 }, labels: i32(0, 0, 0) }, {}), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.conformalScoresSync({ logits: l, labels: i32(0) }, {}), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.conformalScoresSync(ragged({ candidates: i32(0, 9) }), {}), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.conformalScoresSync(ragged({ candidates: undefined }), {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    assertTypedError(() => b.conformalQuantileSync(f64(0.1), { alpha: 0.1, method: 7 }), RangeError, 'ERR_OUT_OF_RANGE');
    assertTypedError(() => b.conformalQuantileSync(f64(0.1), { method: 0 }), RangeError, 'ERR_OUT_OF_RANGE');
    assertTypedError(() => b.conformalQuantileSync(f64(0.1), { alpha: 0.1, method: 0, groups: i32(0, 4) }), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.predictionSetSizesSync(ragged(), { qhat: 0.5, uncertainty: 1 }), RangeError, 'ERR_OUT_OF_RANGE');
    assertTypedError(() => b.predictionSetSizesSync(ragged({ labels: undefined }), { qhat: 0.5, uncertainty: 1, alpha: 0.1 }), TypeError, 'ERR_INVALID_ARG_TYPE');
    assertTypedError(() => b.predictionSetSizesSync(ragged(), { qhat: 0.5, uncertainty: 5 }), RangeError, 'ERR_OUT_OF_RANGE');
    assertTypedError(() => b.predictionSetSizesSync(ragged(), { qhat: 'x' }), TypeError, 'ERR_INVALID_ARG_TYPE');
    assertTypedError(() => b.predictionSetSizesSync(ragged(), { qhat: f64(1, 2, 3) }), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.predictionSetSizesSync(ragged({ steps: i32(0, 7) }), { qhat: 0.5 }), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.predictionSetSizesSync(ragged(), { qhat: 0.5, temperature: 0 }), RangeError, 'ERR_OUT_OF_RANGE');
    // enum codes that are not integers are refused, not truncated (0.5 was method 0, 1.5 uncertainty 'fano')
    assertTypedError(() => b.conformalQuantileSync(f64(0.1), { alpha: 0.1, method: 0.5 }), RangeError, 'ERR_OUT_OF_RANGE');
    assertTypedError(() => b.predictionSetSizesSync(ragged(), { qhat: 0.5, uncertainty: 1.5, alpha: 0.1 }), RangeError, 'ERR_OUT_OF_RANGE');
    // the async form throws what it can check before queueing (alpha, method, groups), as every binding does
    for (const [options, code] of [[{ alpha: 5, method: 0 }, 'ERR_OUT_OF_RANGE'], [{ alpha: 0.1, method: 7 }, 'ERR_OUT_OF_RANGE'], [{ alpha: 0.1, method: 0, groups: i32(0, 4) }, 'ERR_INFOGAIN_SHAPE']])
      assertTypedError(() => b.conformalQuantile(f64(0.1), options), RangeError, code);
  });
});
