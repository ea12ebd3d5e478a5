// linearLogprobs and linearKL against float64 references on fresh random heads (every dtype of
// hidden and weight, both weight layouts, bias, softcap, extremes), against tokenLogprobs /
// klDivergence on the materialized logits, across ISAs and thread counts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  backends,
  configure,
  klDivergenceSync,
  linearKL,
  linearKLSync,
  linearLogprobs,
  linearLogprobsSync,
  tokenLogprobsSync,
} from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import { refDivergence } from './helpers/divergence-reference.mjs';
import { accumulationSlack, materialize, randomHead } from './helpers/linear-head-reference.mjs';
import { rng } from './helpers/random.mjs';
import { refTokenLogprobs } from './helpers/reference.mjs';

const dtypes = ['float32', 'float16', 'bfloat16'];
const directions = ['forward', 'reverse', 'symmetric', 'js'];

function randomTargets(r, rows, vocab) {
  return Int32Array.from({ length: rows }, () => r.int(vocab));
}

// tokenLogprobs' tolerance (2e-5 + 1e-6 of |x_t / T| + |logsumexp|) plus the float32 accumulation
// of the logits (accumulationSlack), per row.
function checkLogprobs(result, logits, magnitude, rows, vocab, targets, { temperature = 1, softcap = 0 }, what) {
  const ref = refTokenLogprobs(logits, rows, vocab, targets, temperature);
  const slack = accumulationSlack(magnitude, temperature, softcap);
  const tol = (r, s) => 2e-5 + 1e-6 * s + slack[r];
  const lpTol = Float64Array.from(ref.logsumexp, (l, r) => tol(r, Math.abs(l) + Math.abs(logits[r * vocab + targets[r]] / temperature)));
  const lseTol = Float64Array.from(ref.logsumexp, (l, r) => tol(r, Math.abs(l)));
  assertClose(result.logprobs, ref.logprobs, { atol: 0, rtol: 1, scale: lpTol, what: `${what} logprobs` });
  assertClose(result.logsumexp, ref.logsumexp, { atol: 0, rtol: 1, scale: lseTol, what: `${what} logsumexp` });
  if (result.entropy) assertClose(result.entropy, ref.entropy, { atol: 0, rtol: 1, scale: lpTol, what: `${what} entropy` });
}

describe('linearLogprobs matches the float64 reference', () => {
  const r = rng();
  const shapes = [
    [0, 7, 5],
    [1, 1, 3],
    [5, 1, 1],
    [13, 7, 1],
    [33, 300, 17],
    [29, 4096, 64],
    [3, 151936, 24],
  ];
  for (const hiddenType of dtypes) {
    for (const weightType of dtypes) {
      test(`hidden ${hiddenType}, weight ${weightType}`, () => {
        for (const [rows, vocab, dim] of shapes) {
          const transposed = r.next() < 0.5;
          const temperature = [0.7, 1, 1.6][r.int(3)];
          const head = randomHead(r, { rows, vocab, dim, hiddenType, weightType, transposed });
          const targets = randomTargets(r, rows, vocab);
          const res = linearLogprobsSync(head.hidden, head.weight, targets, { temperature, entropy: true });
          assert.equal(res.logprobs.length, rows);
          const { logits, magnitude } = materialize(head.wh, head.ww, rows, vocab, dim, { transposed });
          checkLogprobs(res, logits, magnitude, rows, vocab, targets, { temperature }, `[${rows}, ${vocab}, ${dim}] T=${temperature}${transposed ? ' transposed' : ''}`);
        }
      });
    }
  }

  test('a realistic head: dim 896, vocab 32768 (bfloat16 weight), 14 rows', () => {
    const head = randomHead(r, { rows: 14, vocab: 32768, dim: 896, weightType: 'bfloat16', scale: 4 });
    const targets = randomTargets(r, 14, 32768);
    const res = linearLogprobsSync(head.hidden, head.weight, targets, { entropy: true });
    const { logits, magnitude } = materialize(head.wh, head.ww, 14, 32768, 896);
    checkLogprobs(res, logits, magnitude, 14, 32768, targets, {}, 'dim 896');
  });
});

describe('bias, softcap, masks, extremes', () => {
  const r = rng();
  test('bias with -Infinity entries masks them; a masked target has log-prob -Infinity', () => {
    for (const dtype of dtypes) {
      const [rows, vocab, dim] = [9, 700, 12];
      const head = randomHead(r, { rows, vocab, dim, weightType: dtype });
      const bias = Float32Array.from({ length: vocab }, () => (r.next() < 0.3 ? -Infinity : r.normal()));
      bias[5] = 0.5;
      const targets = randomTargets(r, rows, vocab);
      targets[0] = bias.indexOf(-Infinity);
      const res = linearLogprobsSync(head.hidden, head.weight, targets, { bias, entropy: true, temperature: 0.9 });
      assert.equal(res.logprobs[0], -Infinity);
      const { logits, magnitude } = materialize(head.wh, head.ww, rows, vocab, dim, { bias });
      checkLogprobs(res, logits, magnitude, rows, vocab, targets, { temperature: 0.9 }, `bias ${dtype}`);
    }
  });

  test('a bias that leaves one entry: a point mass (log-prob 0, entropy 0)', () => {
    const head = randomHead(r, { rows: 4, vocab: 50, dim: 8 });
    const bias = new Float32Array(50).fill(-Infinity);
    bias[17] = 2;
    const res = linearLogprobsSync(head.hidden, head.weight, new Int32Array(4).fill(17), { bias, entropy: true });
    assert.deepEqual([...res.logprobs], [0, 0, 0, 0]);
    assert.deepEqual([...res.entropy], [0, 0, 0, 0]);
  });

  test('softcap: cap * tanh(logits / cap), after the bias', () => {
    for (const softcap of [30, 5, 0.5]) {
      const [rows, vocab, dim] = [11, 900, 32];
      const head = randomHead(r, { rows, vocab, dim, scale: 8, weightType: 'bfloat16' });
      const bias = Float32Array.from({ length: vocab }, () => (r.next() < 0.1 ? -Infinity : 2 * r.normal()));
      const targets = randomTargets(r, rows, vocab);
      const res = linearLogprobsSync(head.hidden, head.weight, targets, { bias, softcap, entropy: true, temperature: 0.8 });
      const { logits, magnitude } = materialize(head.wh, head.ww, rows, vocab, dim, { bias, softcap });
      checkLogprobs(res, logits, magnitude, rows, vocab, targets, { temperature: 0.8, softcap }, `softcap ${softcap}`);
    }
  });

  test('|logits| ~ 1e4: hidden with a large offset', () => {
    for (const temperature of [0.3, 1]) {
      const [rows, vocab, dim] = [6, 3000, 16];
      const head = randomHead(r, { rows, vocab, dim, offset: 300, scale: 40 });
      const targets = randomTargets(r, rows, vocab);
      const res = linearLogprobsSync(head.hidden, head.weight, targets, { entropy: true, temperature });
      const { logits, magnitude } = materialize(head.wh, head.ww, rows, vocab, dim);
      assert.ok(Math.max(...logits.map(Math.abs)) > 5e3, 'the case has large logits');
      checkLogprobs(res, logits, magnitude, rows, vocab, targets, { temperature }, `large T=${temperature}`);
    }
  });

  test('vocab 1: log-prob 0, entropy 0, logsumexp the logit / T', () => {
    const hidden = { data: new Float32Array([1, 2, -3, 4, 0.5, 0.25]), rows: 3, dim: 2 };
    const weight = { data: new Float32Array([2, -1]), vocab: 1, dim: 2 };
    const res = linearLogprobsSync(hidden, weight, new Int32Array(3), { entropy: true, temperature: 2 });
    assert.deepEqual([...res.logprobs], [0, 0, 0]);
    assert.deepEqual([...res.entropy], [0, 0, 0]);
    assert.deepEqual([...res.logsumexp], [0, -5, 0.375]);
  });
});

describe('the same as tokenLogprobs / klDivergence on the materialized logits', () => {
  const r = rng();
  // small integers: every dot product is exact in float32, so both paths see the very same logits
  function integerHead(rows, vocab, dim) {
    const int = () => r.int(9) - 4;
    const h = Float32Array.from({ length: rows * dim }, int), w = Float32Array.from({ length: vocab * dim }, int);
    const logits = new Float32Array(rows * vocab);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < vocab; j++) {
        let z = 0;
        for (let k = 0; k < dim; k++) z += h[i * dim + k] * w[j * dim + k];
        logits[i * vocab + j] = z / 4;
      }
    // scale by 1/4 through the weight: still exact
    return { hidden: { data: h, rows, dim }, weight: { data: w.map((x) => x / 4), vocab, dim }, logits: { data: logits, rows, vocab } };
  }

  test('log-probs, logsumexp and entropy agree to 1e-6 of the scale', () => {
    for (const [rows, vocab, dim] of [[17, 5000, 24], [3, 151936, 8], [40, 64, 3]]) {
      const h = integerHead(rows, vocab, dim);
      const targets = randomTargets(r, rows, vocab);
      for (const temperature of [0.5, 1]) {
        const fused = linearLogprobsSync(h.hidden, h.weight, targets, { entropy: true, temperature });
        const plain = tokenLogprobsSync(h.logits, targets, { entropy: true, temperature });
        const scale = Float64Array.from(plain.logsumexp, (l) => Math.abs(l) + 1);
        for (const key of ['logprobs', 'logsumexp', 'entropy'])
          assertClose(fused[key], plain[key], { atol: 0, rtol: 1e-6, scale, what: `[${rows}, ${vocab}] ${key}` });
      }
    }
  });

  test('every direction of linearKL agrees with klDivergence to 1e-6', () => {
    const [rows, vocab, dim] = [12, 3000, 16];
    const p = integerHead(rows, vocab, dim);
    const q = integerHead(rows, vocab, dim);
    // the same weight for both sides: q's logits from p's weight
    const qLogits = new Float32Array(rows * vocab);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < vocab; j++) {
        let z = 0;
        for (let k = 0; k < dim; k++) z += q.hidden.data[i * dim + k] * p.weight.data[j * dim + k];
        qLogits[i * vocab + j] = z;
      }
    for (const direction of directions) {
      const fused = linearKLSync(p.hidden, q.hidden, p.weight, { direction, temperature: 3 });
      const plain = klDivergenceSync(p.logits, { data: qLogits, rows, vocab }, { direction, temperature: 3 });
      assertClose(fused.values, plain.values, { atol: 1e-6, rtol: 1e-5, what: direction });
    }
  });
});

describe('linearKL matches the float64 reference', () => {
  const r = rng();
  for (const weightType of dtypes) {
    test(`weight ${weightType}, every direction`, () => {
      for (const [rows, vocab, dim] of [[0, 9, 4], [1, 1, 2], [21, 500, 16], [3, 151936, 12]]) {
        const hiddenType = dtypes[r.int(3)];
        const transposed = r.next() < 0.5;
        const p = randomHead(r, { rows, vocab, dim, hiddenType, weightType, transposed });
        // q: p's hidden states moved a little (a masked context), through the same weight
        const qh = Float32Array.from(p.wh, (x) => x + 0.3 * r.normal());
        const q = { data: qh, rows, dim };
        const bias = r.next() < 0.5 ? Float32Array.from({ length: vocab }, () => (vocab > 1 && r.next() < 0.05 ? -Infinity : r.normal())) : undefined;
        const lp = materialize(p.wh, p.ww, rows, vocab, dim, { bias, transposed });
        const lq = materialize(qh, p.ww, rows, vocab, dim, { bias, transposed });
        const slackP = accumulationSlack(lp.magnitude, 1), slackQ = accumulationSlack(lq.magnitude, 1);
        for (const direction of directions) {
          const temperature = [0.7, 1, 2][r.int(3)];
          const res = linearKLSync(p.hidden, q, p.weight, { direction, temperature, bias });
          const ref = refDivergence(lp.logits, lq.logits, rows, vocab, { direction, temperature });
          const tol = Float64Array.from(ref, (v, i) => 2e-5 + 1e-6 * Math.abs(v) + (2 * (slackP[i] + slackQ[i])) / temperature);
          assertClose(res.values, ref, { atol: 0, rtol: 1, scale: tol, what: `[${rows}, ${vocab}, ${dim}] ${direction} T=${temperature}` });
          for (const v of res.values) assert.ok(v >= 0 && (direction !== 'js' || v <= Math.LN2), `${direction}: ${v}`);
        }
      }
    });
  }

  test('identical hidden states give 0; independent masks give +Infinity forward', () => {
    const head = randomHead(r, { rows: 5, vocab: 800, dim: 10, weightType: 'bfloat16' });
    for (const direction of directions)
      for (const v of linearKLSync(head.hidden, head.hidden, head.weight, { direction }).values) assert.ok(Math.abs(v) < 1e-6, `${direction} ${v}`);
  });
});

describe('forms, layouts, ISAs and threads', () => {
  const r = rng();
  test('transposed weight gives the same bits as [vocab, dim]', () => {
    for (const dtype of dtypes) {
      const [rows, vocab, dim] = [10, 1000, 20];
      const a = randomHead(r, { rows, vocab, dim, weightType: dtype });
      const t = new a.weight.data.constructor(vocab * dim);
      for (let j = 0; j < vocab; j++) for (let k = 0; k < dim; k++) t[k * vocab + j] = a.weight.data[j * dim + k];
      const targets = randomTargets(r, rows, vocab);
      const x = linearLogprobsSync(a.hidden, a.weight, targets, { entropy: true });
      const y = linearLogprobsSync(a.hidden, { ...a.weight, data: t, transposed: true }, targets, { entropy: true });
      for (const key of ['logprobs', 'logsumexp', 'entropy']) assert.deepEqual(y[key], x[key], `${dtype} ${key}`);
    }
  });

  test('onnxruntime-style Tensors are accepted (hidden [batch, length, dim], weight [vocab, dim])', () => {
    const a = randomHead(r, { rows: 6, vocab: 40, dim: 8 });
    const targets = randomTargets(r, 6, 40);
    const tensorH = { dims: [2, 3, 8], type: 'float32', data: a.hidden.data, location: 'cpu' };
    const tensorW = { dims: [40, 8], type: 'float32', data: a.weight.data };
    assert.deepEqual(linearLogprobsSync(tensorH, tensorW, targets).logprobs, linearLogprobsSync(a.hidden, a.weight, targets).logprobs);
  });

  test('async equals sync bit for bit; entropy only when asked', async () => {
    for (const dtype of dtypes) {
      const a = randomHead(r, { rows: 30, vocab: 5000, dim: 32, weightType: dtype });
      const targets = randomTargets(r, 30, 5000);
      const sync = linearLogprobsSync(a.hidden, a.weight, targets, { temperature: 0.7, entropy: true });
      const async = await linearLogprobs(a.hidden, a.weight, targets, { temperature: 0.7, entropy: true });
      for (const key of ['logprobs', 'logsumexp', 'entropy']) assert.deepEqual(async[key], sync[key]);
      assert.equal(linearLogprobsSync(a.hidden, a.weight, targets).entropy, undefined);
      const q = { ...a.hidden, data: a.hidden.data.map((x) => -x) };
      assert.deepEqual((await linearKL(a.hidden, q, a.weight, { direction: 'js' })).values, linearKLSync(a.hidden, q, a.weight, { direction: 'js' }).values);
    }
  });

  test('rows spanning several chunks (packed 8 MB at a time)', () => {
    const [rows, vocab, dim] = [4500, 70, 512];
    const a = randomHead(r, { rows, vocab, dim, hiddenType: 'float16' });
    const targets = randomTargets(r, rows, vocab);
    const res = linearLogprobsSync(a.hidden, a.weight, targets, { entropy: true });
    const { logits, magnitude } = materialize(a.wh, a.ww, rows, vocab, dim);
    checkLogprobs(res, logits, magnitude, rows, vocab, targets, {}, 'chunks');
  });

  const order = ['scalar', 'avx2', 'avx512'];
  const available = order.slice(0, order.indexOf(backends().cpu.detectedIsa) + 1);
  test(`ISAs ${available.join(', ')} and thread counts agree with the reference and each other`, () => {
    const start = backends().cpu;
    try {
      for (const [rows, vocab, dim] of [[37, 3000, 40], [2, 20000, 7], [130, 5, 33]]) {
        const a = randomHead(r, { rows, vocab, dim, weightType: 'bfloat16', hiddenType: 'float16' });
        const targets = randomTargets(r, rows, vocab);
        const { logits, magnitude } = materialize(a.wh, a.ww, rows, vocab, dim);
        const results = [];
        for (const isa of available)
          for (const threads of [1, 3]) {
            configure({ isa, threads });
            const res = linearLogprobsSync(a.hidden, a.weight, targets, { entropy: true, temperature: 0.9 });
            checkLogprobs(res, logits, magnitude, rows, vocab, targets, { temperature: 0.9 }, `${isa} threads ${threads}`);
            results.push(res);
          }
        // threads never change the bits (the vocabulary ranges do not depend on them)
        for (let k = 0; k < results.length; k += 2)
          for (const key of ['logprobs', 'logsumexp', 'entropy']) assert.deepEqual(results[k + 1][key], results[k][key], `threads ${available[k / 2]} ${key}`);
      }
    } finally {
      configure({ isa: start.isa, threads: start.threads });
    }
  });
});

describe('CUDA backend', () => {
  const cuda = backends().cuda;
  test('matches the float64 reference', { skip: cuda ? false : 'no CUDA device in this process' }, () => {
    const r = rng();
    for (const weightType of dtypes) {
      const [rows, vocab, dim] = [70, 32000, 64];
      const a = randomHead(r, { rows, vocab, dim, weightType, transposed: weightType === 'float16' });
      const targets = randomTargets(r, rows, vocab);
      const res = linearLogprobsSync(a.hidden, a.weight, targets, { entropy: true, backend: 'cuda', temperature: 0.8 });
      const { logits, magnitude } = materialize(a.wh, a.ww, rows, vocab, dim, { transposed: a.weight.transposed });
      checkLogprobs(res, logits, magnitude, rows, vocab, targets, { temperature: 0.8 }, `cuda ${weightType}`);
    }
  });
});
