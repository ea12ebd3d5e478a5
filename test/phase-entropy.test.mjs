// phaseEntropyRewards (PEAR): hand-made cases from the definitions, random packed responses
// against the float64 reference (delimiters given or searched for), the pool, and the bad-input
// contract.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { createRewardPool, phaseEntropyRewards, phaseEntropyRewardsSync } from '../dist/index.js';
import { native } from '../dist/native.js';
import { assertClose, assertRejects, assertTypedError } from './helpers/assert.mjs';
import { checkBadInput } from './helpers/bad-input.mjs';
import { assertSameBits, shared } from './helpers/pool.mjs';
import { rng, runSeed } from './helpers/random.mjs';
import { refPhaseEntropy } from './helpers/uncertainty-reference.mjs';

const i32 = (...v) => Int32Array.from(v);
const f32 = (...v) => Float32Array.from(v);
const close = (a, b, what, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

function checkAgainstReference(res, input, opts, what) {
  const ref = refPhaseEntropy(input, opts);
  for (const key of ['thinkTokens', 'answerTokens', 'delimiterStart']) assert.deepEqual([...res[key]], ref[key], `${what} ${key}`);
  for (const key of ['thinkEntropy', 'answerEntropy', 'rewards']) assertClose(res[key], ref[key], { atol: 2e-6, rtol: 2e-6, what: `${what} ${key}` });
}

describe('phaseEntropyRewards: hand-made cases', () => {
  // response 0: think [1, 2, 3], delimiter (9, 9), answer [0.5, 0.5]; response 1: no delimiter
  const tokens = i32(4, 5, 6, 9, 9, 7, 7, 4, 9, 5);
  const entropies = f32(1, 2, 3, 8, 8, 0.5, 0.5, 1, 3, 2);
  const input = { entropies, offsets: i32(0, 7, 10), tokens, delimiter: i32(9, 9), correctness: f32(1, 0) };

  test('means before and after the first delimiter; a response without one is all thinking; async equals sync', async () => {
    const res = phaseEntropyRewardsSync(input, { alpha: 0.2, beta: 0.1 });
    assert.deepEqual([...res.thinkEntropy], [2, 2]);
    assert.deepEqual([...res.answerEntropy], [0.5, 0]);
    assert.deepEqual([...res.thinkTokens], [3, 3]);
    assert.deepEqual([...res.answerTokens], [2, 0]);
    assert.deepEqual([...res.delimiterStart], [3, -1]);
    close(res.rewards[0], 1 - 0.2 * 2 - 0.1 * 0.5, 'reward 0');
    close(res.rewards[1], 0 - 0.2 * 2, 'reward 1');
    assert.deepEqual(await phaseEntropyRewards(input, { alpha: 0.2, beta: 0.1 }), res);
    close(phaseEntropyRewardsSync(input, { alpha: 0.2 }).rewards[0], 1 - 0.4, 'beta defaults to 0');
  });

  test('the first occurrence wins; a partial match is skipped; a delimiter at the start leaves no thinking', () => {
    const t = i32(9, 1, 9, 9, 2, 9, 9, 3);
    const res = phaseEntropyRewardsSync({ entropies: f32(1, 2, 3, 4, 5, 6, 7, 8), offsets: i32(0, 8), tokens: t, delimiter: i32(9, 9), correctness: f32(0) }, { alpha: 1 });
    assert.deepEqual([...res.delimiterStart], [2]);
    assert.deepEqual([res.thinkEntropy[0], res.answerEntropy[0]], [1.5, (5 + 6 + 7 + 8) / 4]);
    const start = phaseEntropyRewardsSync({ entropies: f32(7, 1, 3), offsets: i32(0, 3), tokens: i32(9, 1, 1), delimiter: i32(9), correctness: f32(1) }, { alpha: 1 });
    assert.deepEqual([start.thinkTokens[0], start.thinkEntropy[0], start.answerEntropy[0], start.rewards[0]], [0, 0, 2, 1]);
  });

  test('delimiters given as spans; an empty span is a boundary; entropies under the delimiter are never read', () => {
    const e = f32(1, 3, NaN, 2, 4, 6);
    const res = phaseEntropyRewardsSync({ entropies: e, offsets: i32(0, 4, 6), delimiters: i32(2, 3, 5, 5), correctness: f32(1, 1) }, { alpha: 0.5, beta: -0.5 });
    assert.deepEqual([...res.thinkEntropy], [2, 4]);
    assert.deepEqual([...res.answerEntropy], [2, 6]);
    assert.deepEqual([...res.delimiterStart], [2, 5]);
    assert.deepEqual([...res.rewards], [1 - 1 + 1, 1 - 2 + 3]);
  });

  test('empty responses and no responses', () => {
    const res = phaseEntropyRewardsSync({ entropies: f32(), offsets: i32(0, 0), tokens: i32(), delimiter: i32(9), correctness: f32(0.5) }, { alpha: 1 });
    assert.deepEqual([res.thinkEntropy[0], res.answerEntropy[0], res.rewards[0], res.delimiterStart[0]], [0, 0, 0.5, -1]);
    assert.equal(phaseEntropyRewardsSync({ entropies: f32(), offsets: i32(0), tokens: i32(), delimiter: i32(9), correctness: f32() }, { alpha: 1 }).rewards.length, 0);
    // regression: an empty typed array may have no data pointer; delimiters given for no responses stay 'given'
    assert.equal(phaseEntropyRewardsSync({ entropies: f32(), offsets: i32(0), delimiters: i32(), correctness: f32() }, { alpha: 1 }).rewards.length, 0);
  });
});

/** Packed responses over a small alphabet, so the delimiter shows up at random (or not at all). */
function randomInput(r, responses, { delimiterLength = 2, maxLength = 300 } = {}) {
  const offsets = [0], tokens = [], entropies = [];
  for (let i = 0; i < responses; i++) {
    const n = r.int(maxLength);
    for (let j = 0; j < n; j++) {
      tokens.push(r.int(6));
      entropies.push(r.next() < 0.05 ? 0 : 3 * r.next() ** 2);
    }
    offsets.push(tokens.length);
  }
  return {
    entropies: Float32Array.from(entropies),
    offsets: Int32Array.from(offsets),
    tokens: Int32Array.from(tokens),
    delimiter: Int32Array.from({ length: delimiterLength }, () => r.int(6)),
    correctness: Float32Array.from({ length: responses }, () => (r.next() < 0.5 ? 1 : 0)),
  };
}

describe(`phaseEntropyRewards against the float64 reference (seed ${runSeed})`, () => {
  const r = rng();
  test('delimiters searched for: lengths 1 to 4, many responses', async () => {
    for (const delimiterLength of [1, 2, 3, 4]) {
      const input = randomInput(r, 500, { delimiterLength });
      const opts = { alpha: 2 * r.next(), beta: r.next() - 0.5 };
      const res = phaseEntropyRewardsSync(input, opts);
      checkAgainstReference(res, input, opts, `delimiter of ${delimiterLength}`);
      assert.deepEqual(await phaseEntropyRewards(input, opts), res);
      if (delimiterLength === 2) assert.ok(res.delimiterStart.some((s) => s >= 0) && res.delimiterStart.some((s) => s < 0), 'both cases occur');
    }
  });

  test('delimiters given: the spans the search found give the same result; random spans against the reference', () => {
    const input = randomInput(r, 200);
    const found = phaseEntropyRewardsSync(input, { alpha: 0.3 });
    const spans = new Int32Array(400);
    for (let i = 0; i < 200; i++) {
      const s = found.delimiterStart[i] >= 0 ? found.delimiterStart[i] : input.offsets[i + 1];
      spans[2 * i] = s;
      spans[2 * i + 1] = found.delimiterStart[i] >= 0 ? s + 2 : s;
    }
    const { entropies, offsets, correctness } = input;
    const given = phaseEntropyRewardsSync({ entropies, offsets, correctness, delimiters: spans }, { alpha: 0.3 });
    for (const key of ['thinkEntropy', 'answerEntropy', 'rewards', 'thinkTokens', 'answerTokens']) assert.deepEqual(given[key], found[key], key);
    for (let i = 0; i < 200; i++) {
      const b = offsets[i], n = offsets[i + 1] - b, s = b + r.int(n + 1);
      spans[2 * i] = s;
      spans[2 * i + 1] = s + r.int(offsets[i + 1] - s + 1);
    }
    const opts = { alpha: 0.7, beta: 0.2 };
    checkAgainstReference(phaseEntropyRewardsSync({ entropies, offsets, correctness, delimiters: spans }, opts), { entropies, offsets, correctness, delimiters: spans }, opts, 'random spans');
  });

  test('inputs in a SharedArrayBuffer are read in place', () => {
    const input = randomInput(r, 50);
    const sab = { ...input, entropies: shared(input.entropies), tokens: shared(input.tokens), offsets: shared(input.offsets) };
    assertSameBits(phaseEntropyRewardsSync(sab, { alpha: 0.4 }), phaseEntropyRewardsSync(input, { alpha: 0.4 }), 'shared');
  });
});

describe('phaseEntropyRewards through the reward pool', () => {
  const pool = createRewardPool({ threads: 2 });
  after(() => pool.close());
  test('bit for bit the sync result; typed errors survive the trip', async () => {
    const input = randomInput(rng(runSeed + 3), 64);
    assertSameBits(await pool.phaseEntropyRewards(input, { alpha: 0.5, beta: 0.1 }), phaseEntropyRewardsSync(input, { alpha: 0.5, beta: 0.1 }), 'pool');
    await assertRejects(pool.phaseEntropyRewards(input, { alpha: NaN }), RangeError, 'ERR_OUT_OF_RANGE');
  });
});

// ---- bad input ------------------------------------------------------------------------------
const base = (over = {}) => ({ entropies: f32(1, 2, 3, 4), offsets: i32(0, 2, 4), tokens: i32(1, 9, 9, 2), delimiter: i32(9), correctness: f32(1, 0), ...over });
const spans = (over = {}) => ({ entropies: f32(1, 2, 3, 4), offsets: i32(0, 2, 4), delimiters: i32(1, 2, 2, 3), correctness: f32(1, 0), ...over });
const alpha = { alpha: 0.5 };
// [what, args, Class, code, argument, index]
const cases = [
  ['input not an object', () => [[], alpha], TypeError, 'ERR_INVALID_ARG_TYPE', 'input'],
  ['entropies a Float64Array', () => [base({ entropies: new Float64Array(4) }), alpha], TypeError, 'ERR_INVALID_ARG_TYPE', 'entropies'],
  ['offsets missing', () => [base({ offsets: undefined }), alpha], TypeError, 'ERR_INVALID_ARG_TYPE', 'offsets'],
  ['offsets empty', () => [base({ offsets: i32(), correctness: f32() }), alpha], RangeError, 'ERR_INFOGAIN_SHAPE', 'offsets'],
  ['offsets not ending at the tokens', () => [base({ offsets: i32(0, 2, 3) }), alpha], RangeError, 'ERR_INFOGAIN_SHAPE', 'offsets', 2],
  ['offsets decreasing', () => [base({ offsets: i32(0, 3, 2, 4), correctness: f32(1, 0, 1) }), alpha], RangeError, 'ERR_OUT_OF_RANGE', 'offsets', 2],
  ['correctness of the wrong length', () => [base({ correctness: f32(1) }), alpha], RangeError, 'ERR_INFOGAIN_SHAPE', 'correctness'],
  ['correctness NaN', () => [base({ correctness: f32(1, NaN) }), alpha], RangeError, 'ERR_INFOGAIN_NONFINITE', 'correctness', 1],
  ['NaN entropy in a thinking phase', () => [base({ entropies: f32(NaN, 2, NaN, 4) }), alpha], RangeError, 'ERR_INFOGAIN_NONFINITE', 'entropies', 0],
  ['+Infinity entropy in an answer phase', () => [base({ entropies: f32(1, 2, 3, Infinity) }), alpha], RangeError, 'ERR_INFOGAIN_NONFINITE', 'entropies', 3],
  ['neither delimiters nor tokens', () => [base({ tokens: undefined, delimiter: undefined }), alpha], TypeError, 'ERR_INVALID_ARG_TYPE', 'tokens'],
  ['both delimiters and tokens', () => [base({ delimiters: i32(1, 2, 2, 3) }), alpha], RangeError, 'ERR_OUT_OF_RANGE', 'delimiters'],
  ['tokens of the wrong length', () => [base({ tokens: i32(1, 2) }), alpha], RangeError, 'ERR_INFOGAIN_SHAPE', 'tokens'],
  ['delimiter missing', () => [base({ delimiter: undefined }), alpha], TypeError, 'ERR_INVALID_ARG_TYPE', 'delimiter'],
  ['delimiter empty', () => [base({ delimiter: i32() }), alpha], RangeError, 'ERR_INFOGAIN_SHAPE', 'delimiter'],
  ['delimiters of the wrong length', () => [spans({ delimiters: i32(1, 2) }), alpha], RangeError, 'ERR_INFOGAIN_SHAPE', 'delimiters'],
  ['a delimiter span outside its response', () => [spans({ delimiters: i32(1, 2, 1, 3) }), alpha], RangeError, 'ERR_OUT_OF_RANGE', 'delimiters', 1],
  ['a delimiter span with start > end', () => [spans({ delimiters: i32(2, 1, 2, 3) }), alpha], RangeError, 'ERR_OUT_OF_RANGE', 'delimiters', 0],
  ['options missing', () => [base()], TypeError, 'ERR_INVALID_ARG_TYPE', 'options'],
  ['alpha missing', () => [base(), {}], TypeError, 'ERR_INVALID_ARG_TYPE', 'alpha'],
  ['alpha NaN', () => [base(), { alpha: NaN }], RangeError, 'ERR_OUT_OF_RANGE', 'alpha'],
  ['beta Infinity', () => [base(), { alpha: 1, beta: Infinity }], RangeError, 'ERR_OUT_OF_RANGE', 'beta'],
];

describe('phaseEntropyRewards: bad input throws typed errors (sync) and rejects (async), inputs untouched', () => {
  for (const [what, ...row] of cases) test(what, () => checkBadInput('phaseEntropyRewards', ...row));

  test('the binding checks what it reads, even when called directly', () => {
    const b = native();
    assertTypedError(() => b.phaseEntropyRewardsSync(base({ offsets: i32(0, 9) }), alpha), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.phaseEntropyRewardsSync(base({ offsets: undefined }), alpha), TypeError, 'ERR_INVALID_ARG_TYPE');
    assertTypedError(() => b.phaseEntropyRewardsSync(base({ tokens: i32(1) }), alpha), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.phaseEntropyRewardsSync(base({ delimiter: i32() }), alpha), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.phaseEntropyRewardsSync(spans({ delimiters: i32(0, 9, 2, 3) }), alpha), RangeError, 'ERR_OUT_OF_RANGE');
    assertTypedError(() => b.phaseEntropyRewardsSync(spans({ delimiters: i32(1) }), alpha), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.phaseEntropyRewardsSync(base({ correctness: f32(1) }), alpha), RangeError, 'ERR_INFOGAIN_SHAPE');
    assertTypedError(() => b.phaseEntropyRewardsSync(base(), {}), RangeError, 'ERR_OUT_OF_RANGE');
  });
});
