// beliefEntropyGain (Nous): hand-made cases computed here from the definitions, random ragged
// beliefs against the float64 reference (extreme logits, -Infinity, one-candidate attributes,
// temperatures), the pool, and the bad-input contract.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { beliefEntropyGain, beliefEntropyGainSync, createRewardPool } from '../dist/index.js';
import { native } from '../dist/native.js';
import { assertClose, assertRejects, assertTypedError } from './helpers/assert.mjs';
import { checkBadInput } from './helpers/bad-input.mjs';
import { assertSameBits, shared } from './helpers/pool.mjs';
import { rng, runSeed } from './helpers/random.mjs';
import { refBeliefEntropy } from './helpers/uncertainty-reference.mjs';

const i32 = (...v) => Int32Array.from(v);
const f32 = (...v) => Float32Array.from(v);
const close = (a, b, what, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (seed ${runSeed})`);

function checkAgainstReference(result, input, temperature, what, tol = 2e-6) {
  const ref = refBeliefEntropy(input, temperature);
  const scale = (xs) => xs.map(() => 1);
  assertClose(result.beliefs, ref.beliefs, { atol: tol, what: `${what} beliefs` });
  assertClose(result.entropies, ref.entropies, { atol: tol, rtol: tol, what: `${what} entropies` });
  assertClose(result.attributeGains, ref.attributeGains, { atol: tol, rtol: tol, what: `${what} attributeGains` });
  const stepTol = tol * Math.max(1, ...ref.stepEntropies);
  assertClose(result.stepEntropies, ref.stepEntropies, { atol: stepTol, rtol: tol, scale: scale(ref.stepEntropies), what: `${what} stepEntropies` });
  assertClose(result.gains, ref.gains, { atol: stepTol, what: `${what} gains` });
  assert.deepEqual([...result.hasGain], ref.hasGain, `${what} hasGain`);
  assertClose(result.returns, ref.returns, { atol: stepTol * 4, what: `${what} returns` });
}

describe('beliefEntropyGain: hand-made cases', () => {
  test('an answer that settles one attribute: IG = ln 3, credited to that attribute; async equals sync', async () => {
    // attribute A: 3 values, B: 2 values; the prior is uniform; after step 1, A is known
    const input = { candidateLogits: f32(0, 0, 0, 0, 0, 0, -Infinity, -Infinity, 0, 0), candidates: i32(0, 3, 5, 8, 10), steps: i32(0, 2, 4) };
    const res = beliefEntropyGainSync(input);
    assert.deepEqual([...res.beliefs], [1 / 3, 1 / 3, 1 / 3, 0.5, 0.5, 1, 0, 0, 0.5, 0.5].map(Math.fround));
    [Math.log(3), Math.log(2), 0, Math.log(2)].forEach((h, b) => close(res.entropies[b], h, `H(b${b})`));
    close(res.stepEntropies[0], Math.log(6), 'H(S_0) = ln 3 + ln 2');
    close(res.stepEntropies[1], Math.log(2), 'H(S_1)');
    assert.deepEqual([...res.hasGain], [0, 1]);
    close(res.gains[1], Math.log(3), 'IG_1');
    assert.equal(res.gains[0], 0);
    [0, 0, Math.log(3), 0].forEach((g, b) => close(res.attributeGains[b], g, `attribute gain ${b}`));
    close(res.returns[0], Math.log(3), 'return');
    assert.deepEqual(await beliefEntropyGain(input), res);
  });

  test('temperature: softmax(x / T); a belief that spreads gives a negative gain', () => {
    // p = (1/4, 3/4) at T = 1 from log-probs; at T = 2, p ~ (1, sqrt 3)
    const x = [Math.log(0.25), Math.log(0.75)];
    const h = (p) => -p.reduce((s, q) => s + q * Math.log(q), 0);
    const input = { candidateLogits: f32(...x, 0, 0), candidates: i32(0, 2, 4) };  // one attribute, two steps
    const t1 = beliefEntropyGainSync(input);
    close(t1.entropies[0], h([0.25, 0.75]), 'H at T = 1');
    close(t1.gains[1], h([0.25, 0.75]) - Math.log(2), 'the belief became uniform: a negative gain');
    assert.ok(t1.gains[1] < 0);
    const t2 = beliefEntropyGainSync(input, { temperature: 2 });
    const w = [1, Math.sqrt(3)], p2 = w.map((v) => v / (w[0] + w[1]));
    close(t2.beliefs[1], p2[1], 'p at T = 2');
    close(t2.entropies[0], h(p2), 'H at T = 2');
  });

  test('rollouts: no gain across a rollout boundary; one-candidate attributes have H = 0; |logits| 1e4', () => {
    // rollout 0: steps 0, 1 (attribute of 2 values + a 1-value attribute); rollout 1: steps 2, 3, 4 (one 3-value attribute)
    const input = {
      candidateLogits: f32(1e4, 1e4, 7, 1e4, -1e4, -3, -2e4, -2e4, -2e4, -2e4 + 1, -2e4, -2e4, 5, 5, 5),
      candidates: i32(0, 2, 3, 5, 6, 9, 12, 15),
      steps: i32(0, 2, 4, 5, 6, 7),
      rollouts: i32(0, 2, 5),
    };
    const res = beliefEntropyGainSync(input);
    close(res.entropies[1], 0, 'one candidate');
    close(res.entropies[0], Math.log(2), 'ties at 1e4');
    close(res.entropies[2], 0, 'a 2e4 gap is certainty');
    close(res.entropies[4], Math.log(3), 'ties at -2e4');
    assert.deepEqual([...res.hasGain], [0, 1, 0, 1, 1]);
    close(res.gains[1], Math.log(2), 'rollout 0');
    close(res.returns[0], Math.log(2), 'return 0');
    close(res.returns[1], res.gains[3] + res.gains[4], 'return 1', 1e-6);
    close(res.returns[1], Math.log(3) - Math.log(3), 'return 1 telescopes: H(first) - H(last)', 1e-6);
    checkAgainstReference(res, input, 1, 'hand');
  });

  test('a temperature below 1 / DBL_MAX: the argmax ties share the mass (regression: 0 * (1 / T) was NaN)', () => {
    const res = beliefEntropyGainSync({ candidateLogits: f32(1, 2, 2), candidates: i32(0, 3) }, { temperature: 1e-310 });
    assert.deepEqual([...res.beliefs], [0, 0.5, 0.5]);
    close(res.entropies[0], Math.log(2), 'two tied candidates');
  });

  test('no beliefs at all: empty outputs, one rollout returning 0', () => {
    const res = beliefEntropyGainSync({ candidateLogits: f32(), candidates: i32(0) });
    assert.equal(res.beliefs.length + res.entropies.length + res.stepEntropies.length, 0);
    assert.deepEqual([...res.returns], [0]);
  });
});

/** Random rollouts of steps over a fixed set of attributes per rollout. */
function randomInput(r, { rollouts = 6, scale = 3, offset = 0, negInf = 0 } = {}) {
  const values = [], candidates = [0], steps = [0], rolloutOffsets = [0];
  for (let g = 0; g < rollouts; g++) {
    const attributes = Array.from({ length: r.int(4) }, () => 1 + r.int(r.next() < 0.2 ? 40 : 6));
    const stepCount = 1 + r.int(5);
    for (let s = 0; s < stepCount; s++) {
      for (const k of attributes) {
        const start = values.length;
        for (let j = 0; j < k; j++) values.push(r.next() < negInf ? -Infinity : offset + scale * r.normal());
        if (values.slice(start).every((v) => v === -Infinity)) values[start + r.int(k)] = offset;
        candidates.push(values.length);
      }
      steps.push(candidates.length - 1);
    }
    rolloutOffsets.push(steps.length - 1);
  }
  return { candidateLogits: Float32Array.from(values), candidates: Int32Array.from(candidates), steps: Int32Array.from(steps), rollouts: Int32Array.from(rolloutOffsets) };
}

describe(`beliefEntropyGain against the float64 reference (seed ${runSeed})`, () => {
  const r = rng();
  for (const [what, shape] of [
    ['plain logits', {}],
    ['|logits| ~ 1e4', { offset: 1e4, scale: 20 }],
    ['-1e4 offset, wide spread', { offset: -1e4, scale: 300 }],
    ['30% -Infinity', { negInf: 0.3 }],
    ['many rollouts', { rollouts: 200 }],
  ]) {
    test(what, async () => {
      for (const temperature of [1, 0.3, 2.5]) {
        const input = randomInput(r, shape);
        const res = beliefEntropyGainSync(input, { temperature });
        checkAgainstReference(res, input, temperature, `${what} T=${temperature}`);
        assert.deepEqual(await beliefEntropyGain(input, { temperature }), res);
      }
    });
  }

  test('the steps and rollouts defaults: one belief (a single attribute) per step, one rollout', () => {
    const k = 1 + r.int(20), steps = 1 + r.int(30);
    const candidateLogits = Float32Array.from({ length: k * steps }, () => 3 * r.normal());
    const candidates = Int32Array.from({ length: steps + 1 }, (_, s) => s * k);
    const res = beliefEntropyGainSync({ candidateLogits, candidates });
    checkAgainstReference(res, { candidateLogits, candidates }, 1, 'defaults');
    assert.equal(res.stepEntropies.length, candidates.length - 1);
  });

  test('inputs in a SharedArrayBuffer are read in place; the inputs are never written', () => {
    const input = randomInput(r);
    const copy = { ...input, candidateLogits: shared(input.candidateLogits), candidates: shared(input.candidates) };
    const before = input.candidateLogits.slice();
    assertSameBits(beliefEntropyGainSync(copy, { temperature: 0.7 }), beliefEntropyGainSync(input, { temperature: 0.7 }), 'shared');
    assert.deepEqual(input.candidateLogits, before);
  });
});

describe('beliefEntropyGain through the reward pool', () => {
  const pool = createRewardPool({ threads: 2 });
  after(() => pool.close());
  test('bit for bit the sync result; typed errors survive the trip', async () => {
    const input = randomInput(rng(runSeed + 1));
    assertSameBits(await pool.beliefEntropyGain(input, { temperature: 1.3 }), beliefEntropyGainSync(input, { temperature: 1.3 }), 'pool');
    const bad = { ...input, candidateLogits: input.candidateLogits.slice() };
    bad.candidateLogits[3] = NaN;
    await assertRejects(pool.beliefEntropyGain(bad), RangeError, 'ERR_INFOGAIN_NONFINITE');
  });
});

// ---- bad input ------------------------------------------------------------------------------
const base = (over = {}) => ({ candidateLogits: f32(0, 1, 2, 0, 1, 2), candidates: i32(0, 3, 6), ...over });
// [what, args, Class, code, argument, index]
const cases = [
  ['input not an object', () => [7], TypeError, 'ERR_INVALID_ARG_TYPE', 'input'],
  ['candidateLogits a Float64Array', () => [base({ candidateLogits: new Float64Array(6) })], TypeError, 'ERR_INVALID_ARG_TYPE', 'candidateLogits'],
  ['candidates a plain array', () => [base({ candidates: [0, 3, 6] })], TypeError, 'ERR_INVALID_ARG_TYPE', 'candidates'],
  ['candidates missing', () => [base({ candidates: undefined })], TypeError, 'ERR_INVALID_ARG_TYPE', 'candidates'],
  ['candidates empty', () => [base({ candidates: i32() })], RangeError, 'ERR_INFOGAIN_SHAPE', 'candidates'],
  ['candidates not starting at 0', () => [base({ candidates: i32(1, 3, 6) })], RangeError, 'ERR_OUT_OF_RANGE', 'candidates', 0],
  ['candidates decreasing', () => [base({ candidates: i32(0, 4, 3, 6) })], RangeError, 'ERR_OUT_OF_RANGE', 'candidates', 2],
  ['candidates not ending at the logits', () => [base({ candidates: i32(0, 3, 5) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'candidates', 2],
  ['a belief without candidates', () => [base({ candidates: i32(0, 3, 3, 6) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'candidates', 1],
  ['NaN logit', () => [base({ candidateLogits: f32(0, 1, 2, 0, NaN, 2) })], RangeError, 'ERR_INFOGAIN_NONFINITE', 'candidateLogits', 4],
  ['+Infinity logit', () => [base({ candidateLogits: f32(0, Infinity, 2, 0, 1, 2) })], RangeError, 'ERR_INFOGAIN_NONFINITE', 'candidateLogits', 1],
  ['a belief of only -Infinity', () => [base({ candidateLogits: f32(0, 1, 2, -Infinity, -Infinity, -Infinity) })], RangeError, 'ERR_INFOGAIN_NONFINITE', 'candidateLogits', 3],
  ['steps not ending at the beliefs', () => [base({ steps: i32(0, 1) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'steps', 1],
  ['steps a Float32Array', () => [base({ steps: f32(0, 2) })], TypeError, 'ERR_INVALID_ARG_TYPE', 'steps'],
  ['a step with other attributes', () => [base({ candidates: i32(0, 3, 6, 8), candidateLogits: f32(0, 1, 2, 0, 1, 2, 0, 1), steps: i32(0, 1, 3) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'steps', 1],
  ['an attribute with other candidates', () => [base({ candidates: i32(0, 3, 5), candidateLogits: f32(0, 1, 2, 0, 1), steps: i32(0, 1, 2) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'candidates', 1],
  ['rollouts past the steps', () => [base({ rollouts: i32(0, 3) })], RangeError, 'ERR_INFOGAIN_SHAPE', 'rollouts', 1],
  ['rollouts not starting at 0', () => [base({ rollouts: i32(1, 2) })], RangeError, 'ERR_OUT_OF_RANGE', 'rollouts', 0],
  ['options not an object', () => [base(), 3], TypeError, 'ERR_INVALID_ARG_TYPE', 'options'],
  ['temperature 0', () => [base(), { temperature: 0 }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['temperature Infinity', () => [base(), { temperature: Infinity }], RangeError, 'ERR_OUT_OF_RANGE', 'temperature'],
  ['temperature a string', () => [base(), { temperature: '1' }], TypeError, 'ERR_INVALID_ARG_TYPE', 'temperature'],
];

describe('beliefEntropyGain: bad input throws typed errors (sync) and rejects (async), inputs untouched', () => {
  for (const [what, ...row] of cases) test(what, () => checkBadInput('beliefEntropyGain', ...row));

  test('the binding checks what it reads, even when called directly', () => {
    const b = native();
    assertTypedError(() => b.beliefEntropyGainSync(base({ candidates: i32(0, 9) }), {}), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.beliefEntropyGainSync(base({ candidates: undefined }), {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    assertTypedError(() => b.beliefEntropyGainSync(base({ steps: i32(0, 5) }), {}), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.beliefEntropyGainSync(base({ steps: i32() }), {}), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.beliefEntropyGainSync(base(), { temperature: -1 }), RangeError, 'ERR_OUT_OF_RANGE');
    assertTypedError(() => b.beliefEntropyGainSync(base(), { temperature: NaN }), RangeError, 'ERR_OUT_OF_RANGE');
  });
});
