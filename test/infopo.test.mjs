// infopoAdvantages against a float64 transcription of InfoPO's compute_info_grpo_advantage.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { infopoAdvantages, infopoAdvantagesSync } from '../dist/index.js';
import { layoutOf, refInfopo, stdUnbiased } from './helpers/advantages-reference.mjs';
import { assertClose } from './helpers/assert.mjs';
import { groupSizes, packedLayout, paddedLayout, raggedIds, randomScores } from './helpers/groups.mjs';
import { rng, runSeed } from './helpers/random.mjs';

const tol = { atol: 3e-6, rtol: 3e-6 };

/** Intrinsic rewards on a random subset of tokens (IG / len style values, never exactly 0) and their presence mask. */
function randomIntrinsic(r, L) {
  const intrinsic = new Float32Array(L.tokens), present = new Uint8Array(L.tokens);
  for (let t = 0; t < L.tokens; t++)
    if (r.next() < 0.4) {
      present[t] = 1;
      intrinsic[t] = (r.normal() || 0.5) * 0.1;
    }
  return { intrinsic, present };
}

function check(got, ref, what) {
  assertClose(got.advantages, ref.advantages, { ...tol, what: `${what} advantages` });
  assertClose(got.outcome, ref.outcome, { ...tol, what: `${what} outcome` });
  assertClose(got.gate, ref.gate, { ...tol, what: `${what} gate` });
  for (const k of ['ratio', 'betaT', 'outcomeStd', 'intrinsicStd'])
    assert.ok(Math.abs(got[k] - ref[k]) <= 1e-9 + 1e-9 * Math.abs(ref[k]), `${what} ${k}: got ${got[k]}, expected ${ref[k]} (seed ${runSeed})`);
}

describe('infopoAdvantages matches the reference on random ragged groups', () => {
  const r = rng();
  const optionSets = [
    {},
    { beta: 0.1, temperature: 0.05 },  // the code default / tau2 configuration
    { normalizeByStd: false },
    { normalizeIntrinsic: false },
    { decay: 0.3, epoch: 2, eps: 1e-4 },
    { baselineStd: 0 },
  ];
  for (const [what, make] of Object.entries({
    'padded, mask with holes': (rows) => paddedLayout(r, rows, 40, { holes: true }),
    'packed, masked': (rows) => packedLayout(r, rows, 1, 50, { masked: true }),
  })) {
    test(what, () => {
      for (const kind of ['binary', 'normal', 'equal']) {  // equal: every group std 0, every gate 0.5
        const groups = raggedIds(r, groupSizes(r, 20));
        const layout = make(groups.length);
        const L = layoutOf(layout, groups.length);
        const scores = randomScores(r, groups.length, kind);
        const { intrinsic, present } = randomIntrinsic(r, L);
        for (const o of optionSets) {
          const got = infopoAdvantagesSync({ scores, intrinsic, present, layout, groups }, o);
          // the reference's != 0 test finds exactly the present rewards here (absent ones are 0, present ones never)
          check(got, refInfopo([...scores], intrinsic, L, [...groups], o), `${what} ${kind} ${JSON.stringify(o)}`);
        }
      }
    });
  }

  test('raw (unnormalized) intrinsic rewards with a large spread are scaled down by the bounded ratio', () => {
    const layout = { columns: 4 };
    const scores = new Float32Array([1, 0, 1, 0]);
    const intrinsic = Float32Array.from({ length: 16 }, (_, t) => (t % 3 ? 0 : 1000 * (t - 8)));
    const present = Uint8Array.from(intrinsic, (x) => (x !== 0 ? 1 : 0));
    const got = infopoAdvantagesSync({ scores, intrinsic, present, layout, groupSize: 2 }, { normalizeIntrinsic: false });
    assert.ok(got.ratio < 1e-3, `ratio ${got.ratio}`);
    check(got, refInfopo([...scores], intrinsic, layoutOf(layout, 4), [0, 0, 1, 1], { normalizeIntrinsic: false }), 'spread');
  });
});

describe('hand-derived case and documented differences', () => {
  test('two rollouts, two tokens each, one intrinsic reward each', () => {
    const scores = new Float32Array([1, 0]);
    const intrinsic = new Float32Array([0.2, 0, 0.4, 0]);
    const present = new Uint8Array([1, 0, 1, 0]);
    const got = infopoAdvantagesSync({ scores, intrinsic, present, layout: { columns: 2 }, groupSize: 2 });
    const e = 1e-6;
    const a = 0.5 / (Math.SQRT1_2 + e);  // outcome: mean 0.5, unbiased std 0.7071
    const i = 0.1 / (stdUnbiased([0.2, 0.4]) + e);  // intrinsic: mean 0.3, std 0.1414
    const outcomeStd = stdUnbiased([a, a, -a, -a]), intrinsicStd = stdUnbiased([-i, 0, i, 0]);
    const ratio = Math.min(1, Math.max(outcomeStd + e, 1) / (intrinsicStd + e));
    const gate = 1 / (1 + Math.exp(Math.SQRT1_2 / 0.5));
    assertClose(got.advantages, [a + 0.5 * gate * ratio * -i, a, -a + 0.5 * gate * ratio * i, -a], { atol: 2e-7, what: 'hand' });
    assert.ok(Math.abs(got.ratio - ratio) < 1e-12 && Math.abs(got.gate[0] - gate) < 1e-7);
    assert.deepEqual([...got.groups.intrinsic.count], [2]);
  });

  test('an exact-0 information gain marked present counts (the reference drops it: 0 is its "no reward" sentinel)', () => {
    const scores = new Float32Array([1, 0, 0.5]);
    const intrinsic = new Float32Array([0.3, 0, 0.6, 0, 0, 0.9]);
    const present = new Uint8Array([1, 1, 1, 0, 1, 1]);  // tokens 1 and 4 carry a gain of exactly 0
    const layout = { columns: 2 };
    const L = layoutOf(layout, 3);
    const got = infopoAdvantagesSync({ scores, intrinsic, present, layout, groupSize: 3 });
    check(got, refInfopo([...scores], intrinsic, L, [0, 0, 0], {}, present), 'presence mask');
    assert.deepEqual([...got.groups.intrinsic.count], [5]);
    const sentinel = refInfopo([...scores], intrinsic, L, [0, 0, 0], {});
    assert.ok(Math.abs(sentinel.advantages[0] - got.advantages[0]) > 1e-3, 'the sentinel version differs');
  });

  test('a lone rollout: outcome mean 0 / std 1, gate sigmoid(-1 / T); a lone intrinsic reward normalizes to 0', () => {
    const got = infopoAdvantagesSync(
      { scores: new Float32Array([2]), intrinsic: new Float32Array([0.5, 0]), present: new Uint8Array([1, 0]), layout: { columns: 2 }, groupSize: 1 },
      { temperature: 0.5 },
    );
    assertClose(got.outcome, [2 / (1 + 1e-6)], { atol: 1e-6, what: 'outcome' });
    assertClose(got.gate, [1 / (1 + Math.exp(2))], { atol: 1e-7, what: 'gate' });
    assertClose(got.advantages, [2 / (1 + 1e-6), 2 / (1 + 1e-6)], { atol: 1e-6, what: 'advantages' });
  });

  test('fewer than two valid tokens: batch stds are 0 and the ratio is 1 (the reference gets NaN stds, and min() gives 1 too)', () => {
    const got = infopoAdvantagesSync({
      scores: new Float32Array([1, 0]),
      intrinsic: new Float32Array([0.5, 0, 0, 0]),
      present: new Uint8Array([1, 0, 0, 0]),
      layout: { columns: 2, mask: new Uint8Array([1, 0, 0, 0]) },
      groupSize: 2,
    });
    assert.equal(got.outcomeStd, 0);
    assert.equal(got.intrinsicStd, 0);
    assert.equal(got.ratio, 1);
    assert.deepEqual([...got.advantages.subarray(1)], [0, 0, 0]);
  });

  test('async equals sync', async () => {
    const r = rng(runSeed + 5);
    const groups = raggedIds(r, groupSizes(r, 6));
    const layout = paddedLayout(r, groups.length, 12);
    const L = layoutOf(layout, groups.length);
    const input = { scores: randomScores(r, groups.length, 'binary'), ...randomIntrinsic(r, L), layout, groups };
    assert.deepEqual(await infopoAdvantages(input), infopoAdvantagesSync(input));
  });
});
