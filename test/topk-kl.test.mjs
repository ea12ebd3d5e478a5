// topkKL: the documented tail-bucket approximation (float64 reference of the same rule), and its
// distance to the dense KL when the top k hold >= 99% of the mass.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { topkKL, topkKLSync } from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import { refDivergence, refSpans, refTopkRow } from './helpers/divergence-reference.mjs';
import { rng, runSeed } from './helpers/random.mjs';

const directions = ['forward', 'reverse', 'symmetric', 'js'];

describe('the approximation, by hand', () => {
  test('union of ids, tail shares and the rest bucket', () => {
    // p reports {1: .6, 2: .3} (tail .1), q reports {2: .5, 5: .4} (tail .1). Each side misses one
    // id of the union {1, 2, 5}: it gets min(.1 / 2, smallest reported) = .05; .05 stays in the rest.
    const p = { ids: new Int32Array([1, 2]), logprobs: new Float32Array([Math.log(0.6), Math.log(0.3)]), k: 2 };
    const q = { ids: new Int32Array([2, 5]), logprobs: new Float32Array([Math.log(0.5), Math.log(0.4)]), k: 2 };
    const P = [0.6, 0.3, 0.05, 0.05], Q = [0.05, 0.5, 0.4, 0.05];
    const kl = (a, b) => a.reduce((s, ai, i) => s + ai * Math.log(ai / b[i]), 0);
    const M = P.map((a, i) => (a + Q[i]) / 2);
    const expected = { forward: kl(P, Q), reverse: kl(Q, P), symmetric: kl(P, Q) + kl(Q, P), js: (kl(P, M) + kl(Q, M)) / 2 };
    for (const direction of directions)
      assert.ok(Math.abs(topkKLSync(p, q, { direction }).values[0] - expected[direction]) < 1e-6, direction);
  });

  test('the share is capped at the smallest reported probability', () => {
    // p reports {1: .5, 2: .02} (tail .48): ids 3 and 4 it misses get min(.48 / 3, .02) = .02 each
    const p = { ids: new Int32Array([1, 2]), logprobs: new Float32Array([Math.log(0.5), Math.log(0.02)]), k: 2 };
    const q = { ids: new Int32Array([3, 4]), logprobs: new Float32Array([Math.log(0.7), Math.log(0.2)]), k: 2 };
    // q (tail .1) misses 1 and 2: min(.1 / 3, .2) each
    const s = 0.1 / 3;
    const P = [0.5, 0.02, 0.02, 0.02, 0.44], Q = [s, s, 0.7, 0.2, 0.1 - 2 * s];
    const expected = P.reduce((acc, a, i) => acc + a * Math.log(a / Q[i]), 0);
    assert.ok(Math.abs(topkKLSync(p, q).values[0] - expected) < 1e-6);
  });

  test('the sampled token joins the known entries where it is outside the top k', () => {
    const p = { ids: new Int32Array([1, 2]), logprobs: new Float32Array([Math.log(0.6), Math.log(0.3)]), k: 2 };
    const q = { ids: new Int32Array([2, 5]), logprobs: new Float32Array([Math.log(0.5), Math.log(0.4)]), k: 2 };
    // sampled id 7 is outside both lists: p knows it at .08, q at .05; the caps stay the top-k minima
    const withSampled = (side, prob) => ({ ...side, sampledLogprobs: new Float32Array([Math.log(prob)]) });
    const got = topkKLSync(withSampled(p, 0.08), withSampled(q, 0.05), { sampled: new Int32Array([7]) }).values[0];
    const ref = refTopkRow(new Map([[1, 0.6], [2, 0.3], [7, 0.08]]), new Map([[2, 0.5], [5, 0.4], [7, 0.05]]), 0.3, 0.4);
    assert.ok(Math.abs(got - ref) < 1e-6, `${got} vs ${ref}`);
    // sampled id 2 is in both lists: the top-k values stand and sampledLogprobs are not used
    const inTopk = topkKLSync(withSampled(p, 0.01), withSampled(q, 0.01), { sampled: new Int32Array([2]) }).values[0];
    assert.equal(inTopk, topkKLSync(p, q).values[0]);
  });

  test('identical sides give 0; probabilities summing to just above 1 are rescaled', () => {
    const p = { ids: new Int32Array([3, 1]), logprobs: new Float32Array([Math.log(0.7), Math.log(0.3004)]), k: 2 };
    for (const direction of directions) assert.equal(topkKLSync(p, p, { direction }).values[0], 0);
    const q = { ids: new Int32Array([3, 1]), logprobs: new Float32Array([Math.log(0.6), Math.log(0.4)]), k: 2 };
    const ref = (0.7 / 1.0004) * Math.log(0.7 / 1.0004 / 0.6) + (0.3004 / 1.0004) * Math.log(0.3004 / 1.0004 / 0.4);
    assert.ok(Math.abs(topkKLSync(p, q).values[0] - ref) < 1e-6);
  });
});

/** Random sparse rows over a small id space (so the sides overlap partly), with sampled tokens. */
function randomSides(r, rows, k, { ids = 3 * k, sampled = true } = {}) {
  const make = () => ({ ids: new Int32Array(rows * k), logprobs: new Float32Array(rows * k), k, sampledLogprobs: new Float32Array(rows) });
  const p = make(), q = make();
  const sampledIds = new Int32Array(rows);
  const known = { p: [], q: [] }, caps = { p: [], q: [] };
  for (let row = 0; row < rows; row++) {
    sampledIds[row] = r.int(ids);
    for (const [side, name] of [[p, 'p'], [q, 'q']]) {
      const pool = Array.from({ length: ids }, (_, i) => i);
      for (let i = pool.length - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      const w = Array.from({ length: k }, () => Math.exp(2 * r.normal()));
      const total = w.reduce((a, b) => a + b) * (1 + 0.5 * r.next());  // a tail of up to a third
      const map = new Map();
      let cap = Infinity;
      for (let j = 0; j < k; j++) {
        side.ids[row * k + j] = pool[j];
        side.logprobs[row * k + j] = Math.log(w[j] / total);
        const prob = Math.exp(side.logprobs[row * k + j]);
        map.set(pool[j], prob);
        cap = Math.min(cap, prob);
      }
      let tail = 1;
      for (const v of map.values()) tail -= v;
      const lp = map.has(sampledIds[row]) ? Math.log(map.get(sampledIds[row])) : Math.log(tail * r.next());
      side.sampledLogprobs[row] = lp;
      if (sampled && !map.has(sampledIds[row])) map.set(sampledIds[row], Math.exp(side.sampledLogprobs[row]));
      known[name].push(map);
      caps[name].push(cap);
    }
  }
  if (!sampled) {
    delete p.sampledLogprobs;
    delete q.sampledLogprobs;
  }
  return { p, q, sampled: sampledIds, known, caps };
}

describe('topkKL matches the float64 reference of the rule', () => {
  const r = rng();
  for (const [rows, k] of [[0, 3], [1, 1], [40, 5], [700, 20]]) {
    test(`rows ${rows} k ${k}, with and without sampled tokens`, () => {
      for (const withSampled of [false, true]) {
        const s = randomSides(r, rows, k, { sampled: withSampled });
        for (const direction of directions) {
          const got = topkKLSync(s.p, s.q, { direction, sampled: withSampled ? s.sampled : undefined }).values;
          const ref = Float64Array.from({ length: rows }, (_, i) => refTopkRow(s.known.p[i], s.known.q[i], s.caps.p[i], s.caps.q[i], direction));
          assertClose(got, ref, { atol: 1e-7, rtol: 1e-6, what: `${direction} sampled=${withSampled}` });
          if (direction === 'js') for (const v of got) assert.ok(v >= 0 && v <= Math.log(2));
        }
      }
    });
  }

  test('reverse(p, q) = forward(q, p); spans; async equals sync', async () => {
    const s = randomSides(r, 30, 4, { sampled: false });
    assert.deepEqual(topkKLSync(s.p, s.q, { direction: 'reverse' }).values, topkKLSync(s.q, s.p).values);
    const spans = new Int32Array([0, 10, 20, 30, 10, 20]);
    for (const reduce of ['mean', 'sum']) {
      const res = topkKLSync(s.p, s.q, { spans, reduce });
      assertClose(res.spanValues, refSpans(res.values, spans, reduce), { atol: 1e-6, rtol: 1e-6, what: reduce });
      assert.deepEqual(await topkKL(s.p, s.q, { spans, reduce }), res);
    }
  });
});

describe('against the dense KL when the top k hold >= 99% of the mass', () => {
  // Zipf-like rows: 40 head tokens with logits falling 0.45 per rank (plus noise), q = p + noise, so
  // the two top-20 lists differ at their ends; 5000 - 40 tail tokens far below.
  test('error within 0.01 absolute and 2% relative, and biased low on average', () => {
    const r = rng();
    const rows = 120, vocab = 5000, k = 20, head = 40;
    const fp = new Float32Array(rows * vocab), fq = new Float32Array(rows * vocab);
    for (let i = 0; i < fp.length; i++) {
      const j = i % vocab;
      fp[i] = j < head ? 12 - 0.45 * j + 0.5 * r.normal() : r.normal() - 2;
      fq[i] = fp[i] + (j < head ? r.normal() : 0.3 * r.normal());
    }
    const topk = (f) => {
      const side = { ids: new Int32Array(rows * k), logprobs: new Float32Array(rows * k), k };
      for (let row = 0; row < rows; row++) {
        const x = Array.from(f.subarray(row * vocab, (row + 1) * vocab));
        const m = Math.max(...x);
        const lse = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
        const order = x.map((_, j) => j).sort((a, b) => x[b] - x[a]).slice(0, k);
        let mass = 0;
        order.forEach((j, i) => {
          side.ids[row * k + i] = j;
          side.logprobs[row * k + i] = x[j] - lse;
          mass += Math.exp(x[j] - lse);
        });
        assert.ok(mass >= 0.99, `row ${row}: top-k mass ${mass} (seed ${runSeed})`);
      }
      return side;
    };
    const p = topk(fp), q = topk(fq);
    for (const direction of directions) {
      const dense = refDivergence(fp, fq, rows, vocab, { direction });
      const got = topkKLSync(p, q, { direction }).values;
      let bias = 0;
      for (let i = 0; i < rows; i++) {
        const err = got[i] - dense[i];
        bias += err / rows;
        assert.ok(Math.abs(err) <= 0.01 && Math.abs(err) <= 0.02 * dense[i], `${direction} row ${i}: ${got[i]} vs dense ${dense[i]} (seed ${runSeed})`);
      }
      assert.ok(bias <= 1e-4, `${direction}: mean error ${bias} (seed ${runSeed})`);
    }
  });
});
