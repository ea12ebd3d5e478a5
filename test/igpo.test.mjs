// igpoAdvantages against a float64 transcription of IGPO's Feb-2026 compute_grpo_outcome_advantage
// (token-level rewards, != 0 turn detection), and each place where the explicit turns differ.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { igpoAdvantages, igpoAdvantagesSync } from '../dist/index.js';
import { layoutOf, refIgpoSentinel } from './helpers/advantages-reference.mjs';
import { assertClose } from './helpers/assert.mjs';
import { groupSizes, packedLayout, paddedLayout, raggedIds, randomScores } from './helpers/groups.mjs';
import { rng, runSeed } from './helpers/random.mjs';

const tol = { atol: 3e-6, rtol: 3e-6 };

/** Random gains per rollout (minGains..maxGains), each ending on a valid token before the row's last valid one. */
function randomGains(r, L, minGains, maxGains) {
  const gains = [], ends = [], offsets = [0];
  for (let b = 0; b < L.rows; b++) {
    const valid = [];
    for (let t = L.begin(b); t < L.end(b); t++) if (L.valid(t)) valid.push(t - L.begin(b));
    const candidates = valid.slice(0, -1);
    const k = Math.min(candidates.length, minGains + r.int(maxGains - minGains + 1));
    const chosen = new Set();
    while (chosen.size < k) chosen.add(candidates[r.int(candidates.length)]);
    for (const p of [...chosen].sort((x, y) => x - y)) {
      ends.push(p);
      gains.push(0.3 * r.normal() + 0.05);
    }
    offsets.push(ends.length);
  }
  return { gains: Float32Array.from(gains), gainEnds: Int32Array.from(ends), gainOffsets: Int32Array.from(offsets) };
}

function check(got, ref, what) {
  assertClose(got.advantages, ref.advantages, { ...tol, what });
}

describe('igpoAdvantages matches the reference on random ragged groups', () => {
  const r = rng();
  for (const [what, make] of Object.entries({
    'padded, right-padded': (rows) => paddedLayout(r, rows, 40, { minValid: 6 }),
    'padded, holes (gains on valid tokens)': (rows) => paddedLayout(r, rows, 48, { holes: true, minValid: 8 }),
    packed: (rows) => packedLayout(r, rows, 6, 60),
  })) {
    test(what, () => {
      for (const normalization of ['joint', 'separate']) {
        // gamma 1 with any number of gains (groups of 1, 2, 64)
        let groups = raggedIds(r, groupSizes(r, 16));
        let layout = make(groups.length);
        let L = layoutOf(layout, groups.length);
        let input = { outcome: randomScores(r, groups.length, 'binary'), ...randomGains(r, L, 0, 4), layout, groups };
        for (const o of [{ normalization }, { normalization, normalizeByStd: false }, { normalization, outcomeWeight: 0.5, gainWeight: 1.5 }]) {
          check(igpoAdvantagesSync(input, o), refIgpoSentinel(input, L, [...groups], o), `${what} ${JSON.stringify(o)}`);
        }
        // gamma < 1: every rollout has >= 2 gains, so no normalized gain is exactly 0 (see the merging test)
        groups = raggedIds(r, groupSizes(r, 16, [2, 3, 64]).map((s) => Math.max(s, 2)));
        layout = make(groups.length);
        L = layoutOf(layout, groups.length);
        input = { outcome: randomScores(r, groups.length, 'normal'), ...randomGains(r, L, 2, 5), layout, groups };
        for (const gamma of [0.9, 0.5]) {
          const o = { normalization, gamma };
          check(igpoAdvantagesSync(input, o), refIgpoSentinel(input, L, [...groups], o), `${what} ${JSON.stringify(o)}`);
        }
      }
    });
  }

  test('turn advantages: A_K = r_K, A_k = r_k + gamma A_(k+1), and the statistics', () => {
    const layout = { columns: 6 };
    const input = {
      outcome: new Float32Array([1, 0, 0.5]),
      gains: new Float32Array([0.2, -0.1, 0.4]),
      gainOffsets: new Int32Array([0, 2, 3, 3]),
      gainEnds: new Int32Array([1, 3, 2]),
      layout,
      groupSize: 3,
    };
    const got = igpoAdvantagesSync(input, { normalization: 'separate', gamma: 0.5 });
    const e = 1e-6, popStd = (xs) => {
      const m = xs.reduce((a, b) => a + b) / xs.length;
      return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length + 1e-8);
    };
    const f = (x) => (x - 0.5) / (popStd([1, 0, 0.5]) + e);
    const g = (x) => (x - 0.5 / 3) / (popStd([0.2, -0.1, 0.4]) + e);
    const a1 = f(1), a1b = g(-0.1) + 0.5 * a1, a1a = g(0.2) + 0.5 * a1b;
    assertClose(got.outcomeAdvantages, [f(1), f(0), f(0.5)], { atol: 1e-6, what: 'outcome turns' });
    assertClose(got.gainAdvantages, [a1a, a1b, g(0.4) + 0.5 * f(0)], { atol: 1e-6, what: 'gain turns' });
    // row 0: turn 1 = tokens 0..1, turn 2 = tokens 2..3, final = tokens 4..5
    assertClose(got.advantages.subarray(0, 6), [a1a, a1a, a1b, a1b, a1, a1], { atol: 1e-6, what: 'row 0 tokens' });
    assert.deepEqual([...got.groups.outcome.count, ...got.groups.gain.count], [3, 3]);
  });
});

test('equal rewards: std = sqrt(0 + 1e-8) = 1e-4, normalized values 0', () => {
  const input = { outcome: new Float32Array([0.5, 0.5]), gains: new Float32Array(0), gainOffsets: new Int32Array([0, 0, 0]), gainEnds: new Int32Array(0), layout: { columns: 2 }, groupSize: 2 };
  const got = igpoAdvantagesSync(input);
  assert.equal(got.groups.outcome.std[0], Math.fround(1e-4));
  assert.deepEqual([...got.advantages], [0, 0, 0, 0]);
});

describe('documented differences from the reference code', () => {
  test("a mask with holes: the outcome sits on the last valid token (the reference's sum(mask) - 1 misses it)", () => {
    // row 0: valid tokens 0, 1, 4, 5 (2..3 a masked observation): count - 1 = 3, a masked token
    const layout = { columns: 6, mask: new Uint8Array([1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]) };
    const L = layoutOf(layout, 2);
    const input = { outcome: new Float32Array([1, 0]), gains: new Float32Array([0.3]), gainOffsets: new Int32Array([0, 1, 1]), gainEnds: new Int32Array([1]), layout, groupSize: 2 };
    const o = { normalization: 'separate' };
    const got = igpoAdvantagesSync(input, o);
    check(got, refIgpoSentinel(input, L, [0, 0], o, 'last'), 'explicit last valid token');
    assert.deepEqual([...got.groups.outcome.count, ...got.groups.gain.count], [2, 1]);
    // the reference finds no F1 token in row 0 and takes its F1 for an information gain
    const reference = refIgpoSentinel(input, L, [0, 0], o, 'count');
    assert.deepEqual([reference.stats[0].get(0).count, reference.stats[1].get(0).count], [1, 2]);
    assert.equal(reference.advantages[6], 0, "so row 1's F1 is alone in its statistics and normalizes to 0");
    assert.ok(got.advantages[6] < -0.9);
    assert.equal(got.advantages[2], 0);  // masked tokens stay 0
  });

  test('a normalized reward of exactly 0 keeps its own turn (the reference merges it into the next one)', () => {
    // joint values {1, 0.5, 0}: the gain 0.5 is the group mean, so its normalized value is exactly 0
    const layout = { columns: 4 };
    const L = layoutOf(layout, 2);
    const input = { outcome: new Float32Array([1, 0]), gains: new Float32Array([0.5]), gainOffsets: new Int32Array([0, 1, 1]), gainEnds: new Int32Array([1]), layout, groupSize: 2 };
    const gamma = 0.5;
    const got = igpoAdvantagesSync(input, { gamma });
    const final = got.outcomeAdvantages[0];
    assert.equal(got.gainAdvantages[0], Math.fround(gamma * final));
    assert.deepEqual([...got.advantages.subarray(0, 4)], [gamma * final, gamma * final, final, final].map(Math.fround));
    const reference = refIgpoSentinel(input, L, [0, 0], { gamma });
    assertClose(reference.advantages.subarray(0, 2), [final, final], { atol: 1e-6, what: 'the reference merges' });
    // with gamma = 1 the two readings agree
    check(igpoAdvantagesSync(input), refIgpoSentinel(input, L, [0, 0], {}), 'gamma 1');
  });

  test('a gain whose turn ends on a masked token still counts (the reference drops it)', () => {
    const layout = { columns: 5, mask: new Uint8Array([1, 0, 1, 1, 1, 1, 1, 1, 1, 1]) };
    const L = layoutOf(layout, 2);
    const input = { outcome: new Float32Array([1, 0]), gains: new Float32Array([0.3]), gainOffsets: new Int32Array([0, 1, 1]), gainEnds: new Int32Array([1]), layout, groupSize: 2 };
    const got = igpoAdvantagesSync(input);
    assert.deepEqual([...got.groups.gain.count], [3]);
    assert.equal(got.advantages[0], got.gainAdvantages[0]);
    const reference = refIgpoSentinel(input, L, [0, 0], {});
    assert.equal(reference.stats[0].get(0).count, 2);  // F1s only: the gain's token is masked
    assert.ok(Math.abs(reference.advantages[0] - got.advantages[0]) > 0.01);
  });

  test('a gain of exactly 0 is a reward like any other (the reference substitutes 1e-10 to keep it)', () => {
    const layout = { columns: 4 };
    const L = layoutOf(layout, 2);
    const input = { outcome: new Float32Array([1, 0]), gains: new Float32Array([0, 0.4]), gainOffsets: new Int32Array([0, 1, 2]), gainEnds: new Int32Array([1, 0]), layout, groupSize: 2 };
    check(igpoAdvantagesSync(input, { gamma: 0.7 }), refIgpoSentinel(input, L, [0, 0], { gamma: 0.7 }), 'zero gain');
  });

  test('async equals sync', async () => {
    const r = rng(runSeed + 6);
    const groups = raggedIds(r, groupSizes(r, 6));
    const layout = paddedLayout(r, groups.length, 20, { minValid: 5 });
    const input = { outcome: randomScores(r, groups.length, 'binary'), ...randomGains(r, layoutOf(layout, groups.length), 0, 3), layout, groups };
    assert.deepEqual(await igpoAdvantages(input, { normalization: 'separate' }), igpoAdvantagesSync(input, { normalization: 'separate' }));
  });
});
