// EMPG, SAR, PAR, Clip / Delta and InSight against float64 references from their definitions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  clipDeltaRewards,
  clipDeltaRewardsSync,
  empgAdvantages,
  empgAdvantagesSync,
  insightScores,
  insightScoresSync,
  parRewards,
  parRewardsSync,
  sarRewards,
  sarRewardsSync,
} from '../dist/index.js';
import { refClipDelta, refEmpg, refInsightMI, refPar, refSar } from './helpers/advantages-reference.mjs';
import { assertClose } from './helpers/assert.mjs';
import { rng, runSeed } from './helpers/random.mjs';

const tol = { atol: 2e-6, rtol: 2e-6 };

/** Offsets of `count` segments with lengths in [min, max]. */
function randomOffsets(r, count, min, max) {
  const o = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) o[i + 1] = o[i] + min + r.int(max - min + 1);
  return o;
}

describe('empgAdvantages', () => {
  const r = rng();
  test('matches the pseudocode on random trajectories, each final normalization', () => {
    for (let trial = 0; trial < 4; trial++) {
      const stepOffsets = randomOffsets(r, 30, 1, 9);
      const steps = stepOffsets[30];
      const entropy = Float32Array.from({ length: steps }, () => Math.abs(1.5 * r.normal()));
      const advantage = Float32Array.from({ length: 30 }, () => r.normal());
      const stepTokens = Int32Array.from({ length: steps }, () => r.int(200));
      for (const finalNormalization of ['none', 'center', 'standardize']) {
        for (const o of [{ finalNormalization }, { finalNormalization, k: 2, kf: 0.5, zeta: 0.3 }]) {
          for (const tokens of [undefined, stepTokens]) {
            const got = empgAdvantagesSync({ entropy, advantage, stepOffsets, stepTokens: tokens }, o);
            const ref = refEmpg(entropy, advantage, stepOffsets, o, tokens);
            const what = `${JSON.stringify(o)} ${tokens ? 'token-weighted' : ''}`;
            assertClose(got.advantages, ref.advantages, { atol: 5e-6, rtol: 2e-6, what });
            assertClose(got.scale, ref.scale, { ...tol, what: `${what} scale` });
            assertClose(got.bonus, ref.bonus, { ...tol, what: `${what} bonus` });
          }
        }
      }
    }
  });

  test('hand case: equal entropies give g = 1 / (1 + 1e-8), f = 1; the last step gets no bonus', () => {
    const got = empgAdvantagesSync(
      { entropy: new Float32Array([0.7, 0.7, 0.7]), advantage: new Float32Array([2, -1]), stepOffsets: new Int32Array([0, 2, 3]) },
      { finalNormalization: 'none', zeta: 0.1 },
    );
    const g = 1 / (1 + 1e-8);
    assertClose(got.advantages, [2 * g + 0.1, 2 * g, -g], { atol: 1e-7, what: 'hand' });
    assert.deepEqual([...got.bonus], [0.1, 0, 0].map(Math.fround));
  });

  test('the default final normalization centers the batch (mean 0)', async () => {
    const input = { entropy: new Float32Array([0.1, 2, 0.5, 1]), advantage: new Float32Array([1, -1]), stepOffsets: new Int32Array([0, 3, 4]) };
    const got = await empgAdvantages(input);
    assert.ok(Math.abs(got.advantages.reduce((a, b) => a + b)) < 1e-6);
    assert.deepEqual(got, empgAdvantagesSync(input));
  });
});

describe('sarRewards', () => {
  const r = rng(runSeed + 1);
  test('matches compute_ppl_qa_log for every configuration', async () => {
    const n = 200;
    const conditioned = Float32Array.from({ length: n }, () => -Math.abs(r.normal()));
    const unconditioned = Float32Array.from({ length: n }, () => -Math.abs(1.5 * r.normal()));
    for (const o of [{}, { useLog: true }, { useDenominator: false }, { useComparison: false, useDenominator: false }, { clipValue: 2 }, { useLog: true, clipValue: 1.5 }]) {
      assertClose(sarRewardsSync(conditioned, unconditioned, o), refSar(conditioned, unconditioned, o), { ...tol, what: JSON.stringify(o) });
    }
    assert.deepEqual(await sarRewards(conditioned, unconditioned), sarRewardsSync(conditioned, unconditioned));
  });

  test('hand case: ppl(a|q) = 2, ppl(a) = 4 gives (4 - 2) / 4; an unhelpful question floors at -1', () => {
    const got = sarRewardsSync(new Float32Array([-Math.LN2, -5]), new Float32Array([-2 * Math.LN2, -0.1]));
    assertClose(got, [0.5 / (1 + 1e-9 / 4), -1], { atol: 1e-6, what: 'sar' });
  });
});

describe('parRewards', () => {
  const r = rng(runSeed + 2);
  test('matches reward_shaper: equal slices, ragged offsets, maxReferences, length penalty', async () => {
    const n = 50;
    const rewards = Float32Array.from({ length: n }, () => 3 * r.normal());
    const lengths = Int32Array.from({ length: n }, () => r.int(600));
    const equal = Float32Array.from({ length: n * 12 }, () => 3 * r.normal());
    for (const o of [{}, { k: 2, maxReferences: 3 }, { lengthThreshold: 100, lengthPenalty: 0.02 }]) {
      for (const len of [undefined, lengths]) {
        const got = parRewardsSync({ rewards, references: equal, lengths: len }, o);
        assertClose(got, refPar([...rewards], (i) => [...equal.subarray(i * 12, i * 12 + 12)], o, len), { ...tol, what: JSON.stringify(o) });
      }
    }
    const referenceOffsets = randomOffsets(r, n, 1, 15);
    const ragged = Float32Array.from({ length: referenceOffsets[n] }, () => 3 * r.normal());
    const input = { rewards, references: ragged, referenceOffsets, lengths };
    const got = parRewardsSync(input, { maxReferences: 4 });
    assertClose(got, refPar([...rewards], (i) => [...ragged.subarray(referenceOffsets[i], referenceOffsets[i + 1])], { maxReferences: 4 }, lengths), { ...tol, what: 'ragged' });
    assert.deepEqual(await parRewards(input, { maxReferences: 4 }), got);
  });

  test('hand case: a reward equal to its one reference scores 0.5; 10 tokens over the threshold cost 0.1', () => {
    const got = parRewardsSync({ rewards: new Float32Array([1, 1]), references: new Float32Array([1, 0.9]), lengths: new Int32Array([300, 310]) });
    assertClose(got, [0.5, 0.5], { atol: 1e-7, what: 'par' });
  });
});

describe('clipDeltaRewards', () => {
  const r = rng(runSeed + 3);
  test('clip, delta and clip-delta, each last-step rule', async () => {
    const stepOffsets = randomOffsets(r, 40, 0, 8);
    const rewards = Float32Array.from({ length: stepOffsets[40] }, () => r.next());
    for (const mode of ['clip', 'delta', 'clip-delta'])
      for (const lastStep of ['zero', 'keep']) {
        const o = { mode, lastStep, eta: 0.6 };
        assertClose(clipDeltaRewardsSync(rewards, stepOffsets, o), refClipDelta(rewards, stepOffsets, o), { ...tol, what: JSON.stringify(o) });
      }
    assert.deepEqual(await clipDeltaRewards(rewards, stepOffsets, { eta: 0.5 }), clipDeltaRewardsSync(rewards, stepOffsets, { eta: 0.5 }));
  });

  test('hand case: the delta return from step k telescopes to r_k - r_K (last step dropped)', () => {
    const rewards = new Float32Array([0.9, 0.4, 0.7, 0.2]);
    const d = clipDeltaRewardsSync(rewards, new Int32Array([0, 4]), { mode: 'delta' });
    for (let k = 0; k < 4; k++) {
      const ret = d.subarray(k).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(ret - (k < 3 ? rewards[k] - rewards[3] : 0)) < 1e-6);
    }
    assertClose(clipDeltaRewardsSync(rewards, new Int32Array([0, 4]), { mode: 'clip', eta: 0.5 }), [0, -0.1, 0, -0.3], { atol: 1e-7, what: 'clip' });
  });
});

describe('insightScores', () => {
  const r = rng(runSeed + 4);
  test('mutual information against the definition (Beta-Binomial entropy, numerically integrated E[H_b])', async () => {
    const n = 12;
    const alpha = Float32Array.from({ length: n }, () => 1 + 20 * r.next());
    const beta = Float32Array.from({ length: n }, () => 1 + 20 * r.next());
    const weights = Float32Array.from({ length: n }, () => r.next());
    for (const rollouts of [1, 2, 5, 16]) {
      const got = insightScoresSync(alpha, beta, { rollouts, weights });
      const mi = [...alpha].map((a, i) => refInsightMI(a, beta[i], rollouts));
      assertClose(got.mutualInformation, mi, { atol: 2e-6, rtol: 1e-5, what: `k ${rollouts}` });
      assertClose(got.scores, mi.map((x, i) => x * weights[i]), { atol: 2e-6, rtol: 1e-5, what: `scores k ${rollouts}` });
      assertClose(got.mean, [...alpha].map((a, i) => a / (a + beta[i])), { ...tol, what: 'mean' });
    }
    assert.deepEqual(await insightScores(alpha, beta, { rollouts: 3 }), insightScoresSync(alpha, beta, { rollouts: 3 }));
  });

  test('hand cases: a uniform prior, and a sharp one', () => {
    const got = insightScoresSync(new Float32Array([1, 1, 1e4]), new Float32Array([1, 1, 1e4]), {});
    // Beta(1, 1): H_b(1/2) - E[H_b(p)] = ln 2 - 1/2
    assert.ok(Math.abs(got.mutualInformation[0] - (Math.LN2 - 0.5)) < 1e-7);
    // k = 2: sequences 00, 11 have probability 1/3, 01, 10 have 1/6: H = (2/3) ln 3 + (1/3) ln 6; minus 2 * 1/2
    const k2 = insightScoresSync(new Float32Array([1]), new Float32Array([1]), { rollouts: 2 }).mutualInformation[0];
    assert.ok(Math.abs(k2 - ((2 / 3) * Math.log(3) + Math.log(6) / 3 - 1)) < 1e-7);
    // a sharp belief teaches little: about 1 / (2 (a + b + 1)) nats
    const sharp = got.mutualInformation[2], approx = 1 / (2 * (2e4 + 1));
    assert.ok(sharp > 0 && Math.abs(sharp - approx) < 0.01 * approx, `${sharp} vs ${approx}`);
  });
});
