// groupAdvantages and rlpAdvantages against float64 references written from verl's definitions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import './helpers/poison.mjs';
import { backends, configure, groupAdvantages, groupAdvantagesSync, rlpAdvantages, rlpAdvantagesSync } from '../dist/index.js';
import { refGroupAdvantages, refVerlReinforceBaseline } from './helpers/advantages-reference.mjs';
import { assertClose } from './helpers/assert.mjs';
import { groupSizes, raggedIds, randomScores } from './helpers/groups.mjs';
import { rng, runSeed } from './helpers/random.mjs';

const estimators = ['grpo', 'drgrpo', 'rloo', 'reinforce++-baseline', 'passk'];
const tol = { atol: 2e-6, rtol: 2e-6 };

function checkStats(groups, ref, what) {
  assert.deepEqual([...groups.ids], ref.groups.ids, `${what}: group ids`);
  assert.deepEqual([...groups.count], ref.groups.count, `${what}: group counts`);
  assertClose(groups.mean, ref.groups.mean, { ...tol, what: `${what} mean` });
  assertClose(groups.std, ref.groups.std, { ...tol, what: `${what} std` });
}

describe('groupAdvantages matches the float64 reference on random ragged groups', () => {
  const r = rng();
  for (const estimator of estimators) {
    for (const ids of ['dense', 'sparse']) {
      test(`${estimator}, ${ids} ids (groups of 1, 2, 64 and random sizes, unsorted)`, () => {
        for (const kind of ['binary', 'normal', 'offset']) {
          for (const std of ['unbiased', 'population']) {
            const sizes = groupSizes(r, 40, estimator === 'passk' ? [2, 64, 3] : [1, 2, 64]).map((s) => (estimator === 'passk' ? Math.max(s, 2) : s));
            const groups = raggedIds(r, sizes, { sparse: ids === 'sparse' });
            const scores = randomScores(r, groups.length, kind);
            for (const options of [{}, { singleton: 'nan' }, { normalizeByStd: false }, { eps: 1e-4 }]) {
              const o = { estimator, std, ...options };
              const got = groupAdvantagesSync(scores, { groups, ...o });
              const ref = refGroupAdvantages([...scores], [...groups], o);
              const what = `${estimator} ${kind} ${std} ${JSON.stringify(options)}`;
              // offset scores: the float32 input's ulp (0.06 at 1e6) sets the scale of a normalized value's error
              assertClose(got.advantages, ref.advantages, { ...tol, what });
              checkStats(got.groups, ref, what);
            }
          }
        }
      });
    }
  }

  test('fixed groups (groupSize) equal the same groups given as ids', () => {
    const scores = randomScores(r, 64 * 8, 'normal');
    const ids = Int32Array.from(scores, (_, i) => Math.floor(i / 8));
    for (const estimator of estimators) {
      const a = groupAdvantagesSync(scores, { groupSize: 8, estimator });
      const b = groupAdvantagesSync(scores, { groups: ids, estimator });
      assert.deepEqual(a, b, estimator);
    }
  });

  test('reinforce++-baseline with tokenCounts reproduces verl (tile over tokens, mask, masked_whiten)', () => {
    const T = 12;
    const groups = raggedIds(r, groupSizes(r, 12));
    const scores = randomScores(r, groups.length, 'normal');
    const mask = new Uint8Array(groups.length * T);
    const tokenCounts = new Int32Array(groups.length);
    for (let b = 0; b < groups.length; b++) {
      tokenCounts[b] = 1 + r.int(T);
      mask.fill(1, b * T, b * T + tokenCounts[b]);
    }
    const got = groupAdvantagesSync(scores, { groups, estimator: 'reinforce++-baseline', tokenCounts });
    assertClose(got.advantages, refVerlReinforceBaseline([...scores], [...groups], mask, T), { ...tol, what: 'token-weighted whitening' });
    // without token counts, every sample weighs the same: a different (sample-weighted) whitening
    const unweighted = groupAdvantagesSync(scores, { groups, estimator: 'reinforce++-baseline' });
    assert.notDeepEqual(unweighted.advantages, got.advantages);
  });
});

describe('hand-derived cases', () => {
  const scores = new Float32Array([1, 2, 3]);
  const one = { groups: new Int32Array([7, 7, 7]) };
  const e = 1e-6;

  test('one group of [1, 2, 3]', () => {
    const close = (estimator, expected, extra = {}) =>
      assertClose(groupAdvantagesSync(scores, { ...one, estimator, ...extra }).advantages, expected, { atol: 1e-7, what: estimator });
    close('grpo', [-1 / (1 + e), 0, 1 / (1 + e)]);  // mean 2, unbiased std 1
    close('grpo', [-1 / (Math.sqrt(2 / 3) + e), 0, 1 / (Math.sqrt(2 / 3) + e)], { std: 'population' });
    close('drgrpo', [-1, 0, 1]);
    close('rloo', [1 - 2.5, 2 - 2, 3 - 1.5]);  // s_i - mean of the others
    close('passk', [0, 0, (3 - 2) / (1 + e)]);  // only the best, by best - second
    close('passk', [0, 0, 1], { normalizeByStd: false });
    // centered [-1, 0, 1], whitened over the batch: var 1, so (x - 0) / sqrt(1 + 1e-8)
    close('reinforce++-baseline', [-1 / Math.sqrt(1 + 1e-8), 0, 1 / Math.sqrt(1 + 1e-8)]);
    const stats = groupAdvantagesSync(scores, one).groups;
    assert.deepEqual([...stats.ids], [7]);
    assert.deepEqual([...stats.mean, ...stats.std, ...stats.count], [2, 1, 3]);
  });

  test('a lone sample: verl mean 0 / std 1, or TRL-style NaN', () => {
    const s = new Float32Array([5]);
    assertClose(groupAdvantagesSync(s, { groupSize: 1 }).advantages, [5 / (1 + e)], { atol: 1e-6, what: 'grpo verl' });
    assert.ok(Number.isNaN(groupAdvantagesSync(s, { groupSize: 1, singleton: 'nan' }).advantages[0]));
    assert.equal(groupAdvantagesSync(s, { groupSize: 1, singleton: 'nan', estimator: 'drgrpo' }).advantages[0], 0);
    assert.equal(groupAdvantagesSync(s, { groupSize: 1, estimator: 'rloo' }).advantages[0], 5);  // verl leaves it
    assert.equal(groupAdvantagesSync(s, { groupSize: 1, estimator: 'drgrpo' }).advantages[0], 5);
    const g = groupAdvantagesSync(s, { groupSize: 1, singleton: 'nan' }).groups;
    assert.equal(g.mean[0], 5);
    assert.ok(Number.isNaN(g.std[0]));
  });

  test('all-equal scores give exactly 0 (two-pass mean is exact), whatever the estimator', () => {
    const equal = new Float32Array(64 * 3).fill(0.1);
    for (const estimator of estimators) {
      const a = groupAdvantagesSync(equal, { groupSize: 64, estimator: estimator === 'reinforce++-baseline' ? 'drgrpo' : estimator });
      assert.ok(a.advantages.every((x) => x === 0), estimator);
      assert.ok(a.groups.std.every((x) => x === 0), `${estimator} std`);
    }
  });

  test('large offsets lose no precision (no sum-of-squares cancellation)', () => {
    // 1e6 + [-1, 0, 1]: exactly representable in float32; mean 1e6, unbiased std 1
    const s = new Float32Array([1e6 - 1, 1e6, 1e6 + 1]);
    const a = groupAdvantagesSync(s, { groupSize: 3, eps: 1e-300 });
    assert.deepEqual([...a.advantages], [-1, 0, 1]);
    assert.equal(a.groups.std[0], 1);
  });

  test('pass@k ties: best - second best = 0', () => {
    const a = groupAdvantagesSync(new Float32Array([1, 0, 1, 0.5]), { groupSize: 4, estimator: 'passk' });
    assert.deepEqual([...a.advantages], [0, 0, 0, 0]);
  });
});

describe('threads and the Promise form', () => {
  test('1 thread and all threads give the same bits', () => {
    const r = rng(runSeed + 1);
    const groups = raggedIds(r, groupSizes(r, 30000, [1, 2, 64], 20));
    const scores = randomScores(r, groups.length, 'normal');
    const before = backends().cpu.threads;
    try {
      const results = [1, 2, 4].map((threads) => {
        configure({ threads });
        return estimators.filter((e) => e !== 'passk').map((estimator) => groupAdvantagesSync(scores, { groups, estimator }).advantages);
      });
      assert.deepEqual(results[1], results[0]);
      assert.deepEqual(results[2], results[0]);
    } finally {
      configure({ threads: before });
    }
  });

  test('async equals sync', async () => {
    const r = rng(runSeed + 2);
    const groups = raggedIds(r, groupSizes(r, 50));
    const scores = randomScores(r, groups.length, 'normal');
    for (const estimator of ['grpo', 'reinforce++-baseline']) {
      assert.deepEqual(await groupAdvantages(scores, { groups, estimator }), groupAdvantagesSync(scores, { groups, estimator }));
    }
    const two = raggedIds(r, groupSizes(r, 20, [2, 64, 3]).map((s) => Math.max(s, 2)));
    const a = randomScores(r, two.length, 'normal'), c = randomScores(r, two.length, 'normal');
    assert.deepEqual(await rlpAdvantages(a, c, { groups: two }), rlpAdvantagesSync(a, c, { groups: two }));
  });
});

describe('rlpAdvantages', () => {
  test('G / (G - 1) (r - mean) of r = withThought - baseline, per position group', () => {
    const r = rng(runSeed + 3);
    const sizes = groupSizes(r, 30, [2, 16, 64]).map((s) => Math.max(s, 2));
    const groups = raggedIds(r, sizes);
    const a = randomScores(r, groups.length, 'normal').map((x) => -Math.abs(x));
    const b = randomScores(r, groups.length, 'normal').map((x) => -Math.abs(x));
    const got = rlpAdvantagesSync(a, b, { groups });
    const rewards = [...a].map((x, i) => x - b[i]);
    assertClose(got.rewards, rewards, { atol: 1e-6, what: 'rewards' });
    // the definition: G/(G-1) (r_i - mean_j r_j)
    const ref = refGroupAdvantages(rewards, [...groups], { estimator: 'drgrpo' });
    const size = new Map();
    groups.forEach((g) => size.set(g, (size.get(g) ?? 0) + 1));
    const expected = ref.advantages.map((x, i) => (x * size.get(groups[i])) / (size.get(groups[i]) - 1));
    assertClose(got.advantages, expected, { atol: 3e-6, rtol: 2e-6, what: 'advantages' });
  });

  test('hand case: thoughts with rewards [1, 2, 3, 6]', () => {
    const got = rlpAdvantagesSync(new Float32Array([1, 2, 3, 6]), new Float32Array(4), { groupSize: 4 });
    // mean 3; 4/3 * (r - 3)
    assertClose(got.advantages, [(4 / 3) * -2, (4 / 3) * -1, 0, (4 / 3) * 3], { atol: 1e-6, what: 'rlp' });
  });
});
