// ProMed's weights and gains against the reference formulas (normalize_shapley_weights,
// compute_question_shapley_gains, the MCTS state differences), written out in float64 here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { newlyAcquiredGains, questionGains, shapleyWeights } from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import { rng } from './helpers/random.mjs';

function refSoftmax(phi, tau) {
  const max = Math.max(...phi);
  const e = phi.map((x) => Math.exp((x - max) / tau));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

describe('shapleyWeights', () => {
  const r = rng();
  test('softmax(phi / tau) for tau 2 (RL) and 1 (MCTS), including large values', () => {
    for (const tau of [2, 1, 0.1]) {
      for (const scale of [1, 100, 1e4]) {
        const phi = Array.from({ length: 9 }, () => r.normal() * scale);
        assertClose(shapleyWeights(Float64Array.from(phi), tau), refSoftmax(phi, tau), { atol: 1e-15, rtol: 1e-12, what: `tau ${tau} scale ${scale}` });
      }
    }
  });
  test('default tau is 2', () => {
    const phi = [0.3, -0.1, 0.8];
    assertClose(shapleyWeights(Float64Array.from(phi)), refSoftmax(phi, 2), { atol: 1e-15, what: 'default' });
  });
  test('uniform for one fact, a spread below 1e-8, or NaN; empty for none', () => {
    assert.deepEqual(shapleyWeights(new Float64Array([42])), new Float64Array([1]));
    assert.deepEqual(shapleyWeights(new Float64Array([0.2, 0.2 + 1e-9, 0.2])), new Float64Array(3).fill(1 / 3));
    assert.deepEqual(shapleyWeights(new Float64Array([0.2, NaN, 0.1, 0.4])), new Float64Array(4).fill(1 / 4));
    assert.deepEqual(shapleyWeights(new Float64Array([0.2, Infinity])), new Float64Array(2).fill(1 / 2));
    assert.equal(shapleyWeights(new Float64Array(0)).length, 0);
  });
  test("'z-score': softmax of |phi - mean| / std (population std), tau unused", () => {
    const phi = [0.5, -1, 2, 0.1];
    const mean = phi.reduce((a, b) => a + b) / 4;
    const std = Math.sqrt(phi.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
    const z = phi.map((x) => Math.abs((x - mean) / std));
    assertClose(shapleyWeights(Float64Array.from(phi), 7, { method: 'z-score' }), refSoftmax(z, 1), { atol: 1e-15, what: 'z-score' });
  });
});

describe('questionGains and newlyAcquiredGains', () => {
  const r = rng();
  test('per question, the weight of the facts it covers (no de-duplication, as the reference)', () => {
    const facts = 7, questions = 5;
    const w = Float64Array.from({ length: facts }, () => r.next());
    const cov = Uint8Array.from({ length: facts * questions }, () => (r.next() < 0.4 ? 1 : 0));
    const expected = Array.from({ length: questions }, (_, k) => w.reduce((s, wi, i) => s + wi * cov[k * facts + i], 0));
    assertClose(questionGains(w, cov), expected, { atol: 1e-15, what: 'gains' });
    assert.equal(questionGains(w, new Uint8Array(0)).length, 0);
  });
  test('firstOnly: each fact credited to the first question that covers it', () => {
    const w = new Float64Array([0.5, 0.3, 0.2]);
    const cov = new Uint8Array([1, 1, 0, 1, 0, 1, 0, 1, 1]);
    assert.deepEqual(questionGains(w, cov, { firstOnly: true }), new Float64Array([0.8, 0.2, 0]));
    assert.deepEqual(questionGains(w, cov), new Float64Array([0.8, 0.7, 0.5]));
  });
  test('state differences over turns, from the known facts', () => {
    const w = new Float64Array([0.4, 0.3, 0.2, 0.1]);
    const known = new Uint8Array([1, 1, 0, 0]);  // the reference: the first half of the facts
    const acquired = new Uint8Array([1, 1, 1, 0, /* t1 */ 1, 1, 1, 1, /* t2: the understanding drops fact 2 */ 1, 1, 0, 1]);
    assertClose(newlyAcquiredGains(w, acquired, known), [0.2, 0.1, -0.2], { atol: 1e-15, what: 'gains' });
    assertClose(newlyAcquiredGains(w, acquired), [0.9, 0.1, -0.2], { atol: 1e-15, what: 'no known facts' });
  });
});
