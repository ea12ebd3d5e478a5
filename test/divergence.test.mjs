// klDivergence against the float64 reference: every direction, dtype pairs, shapes, extremes,
// -Infinity semantics, spans, ISAs and threads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { backends, configure, fromBFloat16, fromFloat16, klDivergence, klDivergenceSync, toBFloat16, toFloat16 } from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import { FLT_MAX, onEveryIsa, onEveryIsaAndSplit } from './helpers/isa.mjs';
import { refDivergence, refSpans } from './helpers/divergence-reference.mjs';
import { rng, runSeed } from './helpers/random.mjs';

const dtypes = ['float32', 'float16', 'bfloat16'];
const directions = ['forward', 'reverse', 'symmetric', 'js'];
const LN2 = Math.log(2);

function inDtype(f, dtype) {
  if (dtype === 'float32') return { data: f, wide: f };
  const data = dtype === 'bfloat16' ? toBFloat16(f) : toFloat16(f);
  return { data, wide: dtype === 'bfloat16' ? fromBFloat16(data) : fromFloat16(data) };
}

/**
 * Two logits matrices: p random, q = p + noise (similar distributions, as real vs masked contexts
 * give) or independent when noise is null. sharedNegInf: entries -Infinity on both sides (a masked
 * vocabulary); every row keeps a finite entry.
 */
function logitsPair(r, rows, vocab, pType, qType, { scale = 4, noise = 1, offset = 0, sharedNegInf = 0 } = {}) {
  const fp = new Float32Array(rows * vocab), fq = new Float32Array(rows * vocab);
  for (let i = 0; i < fp.length; i++) {
    fp[i] = offset + scale * r.normal();
    fq[i] = noise === null ? offset + scale * r.normal() : fp[i] + noise * r.normal();
    if (sharedNegInf && r.next() < sharedNegInf) fp[i] = fq[i] = -Infinity;
  }
  for (let row = 0; row < rows && sharedNegInf; row++) {
    const j = row * vocab + r.int(vocab);
    fp[j] = offset + scale * r.normal();
    fq[j] = fp[j] + (noise ?? scale) * r.normal();
  }
  const p = inDtype(fp, pType), q = inDtype(fq, qType);
  return { p: { data: p.data, rows, vocab, dtype: pType }, q: { data: q.data, rows, vocab, dtype: qType }, wp: p.wide, wq: q.wide };
}

// The tolerance: 2e-5 absolute (float32 accumulation over the vocabulary), plus 1e-6 of
// the value, as for tokenLogprobs: a divergence of ~50 (independent rows, T = 0.7, vocab 200k)
// comes from float32 sums that hold ~7 digits, and errors of 1.2e-5 were seen there.
function check(result, pair, rows, vocab, options, what, rtol = 1e-6) {
  const ref = refDivergence(pair.wp, pair.wq, rows, vocab, options);
  assertClose(result.values, ref, { atol: 2e-5, rtol, what });
  for (const v of result.values) assert.ok(v >= 0, `${what}: ${v} < 0 (seed ${runSeed})`);
  if (options.direction === 'js') for (const v of result.values) assert.ok(v <= LN2, `${what}: JS ${v} > ln 2`);
}

describe('klDivergence matches the float64 reference', () => {
  const r = rng();
  for (const [pType, qType] of [...dtypes.map((d) => [d, d]), ['bfloat16', 'float32'], ['float32', 'float16'], ['float16', 'bfloat16']]) {
    for (const vocab of [1, 7, 4096, 151936, 200000]) {
      for (const rows of [0, 1, vocab > 5000 ? 3 : 33]) {
        test(`${pType} x ${qType} rows ${rows} vocab ${vocab}`, () => {
          for (const direction of directions) {
            const temperature = [0.7, 1, 2][r.int(3)];
            const pair = logitsPair(r, rows, vocab, pType, qType, { sharedNegInf: vocab > 1 ? 0.05 : 0, noise: r.next() < 0.5 ? 1 : null });
            const result = klDivergenceSync(pair.p, pair.q, { direction, temperature });
            assert.equal(result.values.length, rows);
            assert.equal(result.spanValues, undefined);
            check(result, pair, rows, vocab, { direction, temperature }, `${direction} T=${temperature}`);
          }
        });
      }
    }
  }
});

describe('properties', () => {
  const r = rng();
  test('identical inputs give 0 (KL exactly, JS to 1e-6) in every direction, even across dtypes', () => {
    for (const dtype of dtypes) {
      const pair = logitsPair(r, 4, 30000, dtype, dtype, { sharedNegInf: 0.1 });
      const wideAsF32 = { data: Float32Array.from(pair.wp), rows: 4, vocab: 30000, dtype: 'float32' };
      for (const direction of directions) {
        for (const q of [pair.p, wideAsF32]) {
          for (const v of klDivergenceSync(pair.p, q, { direction, temperature: 0.8 }).values) {
            if (direction === 'js') assert.ok(v >= 0 && v <= 1e-6, `${dtype} ${direction}: ${v}`);
            else assert.equal(v, 0, `${dtype} ${direction}`);
          }
        }
      }
    }
  });

  test('reverse(p, q) is forward(q, p) exactly; symmetric is their sum; JS is symmetric and <= ln 2', () => {
    const pair = logitsPair(r, 9, 5000, 'bfloat16', 'float32', { noise: null, scale: 6 });
    const fwd = klDivergenceSync(pair.p, pair.q).values;
    const rev = klDivergenceSync(pair.p, pair.q, { direction: 'reverse' }).values;
    assert.deepEqual(rev, klDivergenceSync(pair.q, pair.p).values);
    const sym = klDivergenceSync(pair.p, pair.q, { direction: 'symmetric' }).values;
    assertClose(sym, Float64Array.from(fwd, (f, i) => f + rev[i]), { atol: 2e-5, what: 'symmetric' });
    const js = klDivergenceSync(pair.p, pair.q, { direction: 'js' }).values;
    assertClose(js, klDivergenceSync(pair.q, pair.p, { direction: 'js' }).values, { atol: 1e-6, what: 'JS symmetry' });
    for (const v of js) assert.ok(v > 0.1 && v <= LN2, `JS ${v}`);
  });

  test('disjoint supports: JS is ln 2, KL is +Infinity', () => {
    const p = { data: new Float32Array([0, 1, -Infinity, -Infinity]), rows: 1, vocab: 4 };
    const q = { data: new Float32Array([-Infinity, -Infinity, 2, 0]), rows: 1, vocab: 4 };
    assert.ok(Math.abs(klDivergenceSync(p, q, { direction: 'js' }).values[0] - LN2) < 1e-6);
    for (const direction of ['forward', 'reverse', 'symmetric']) assert.equal(klDivergenceSync(p, q, { direction }).values[0], Infinity);
  });
});

describe('-Infinity entries', () => {
  test('p = -inf adds nothing; q = -inf under p > 0 makes the forward KL +Infinity', () => {
    // row 0: p masks entry 2 (P = 0 there): forward finite, reverse infinite
    // row 1: q masks entry 0 where P > 0: forward infinite, reverse finite
    // row 2: both mask entry 3: both finite
    const p = { data: new Float32Array([1, 2, -Infinity, 0.5, 1, 2, 3, 0.5, 3, 1, 0, -Infinity]), rows: 3, vocab: 4 };
    const q = { data: new Float32Array([2, 1, 0.5, 0, -Infinity, 1, 2, 3, 1, 3, 0, -Infinity]), rows: 3, vocab: 4 };
    const wide = (l) => l.data;
    for (const direction of directions) {
      const got = klDivergenceSync(p, q, { direction }).values;
      const ref = refDivergence(wide(p), wide(q), 3, 4, { direction });
      assertClose(got, ref, { atol: 2e-5, what: direction });
    }
    assert.ok(Number.isFinite(klDivergenceSync(p, q).values[0]));
    assert.equal(klDivergenceSync(p, q).values[1], Infinity);
    assert.equal(klDivergenceSync(p, q, { direction: 'reverse' }).values[0], Infinity);
    assert.ok(Number.isFinite(klDivergenceSync(p, q, { direction: 'reverse' }).values[1]));
  });

  test('an infinite entry far into a long row (past the first block and thread piece) is found', () => {
    const vocab = 151936;
    const p = { data: new Float32Array(2 * vocab).fill(0.25), rows: 2, vocab };
    const q = { data: new Float32Array(2 * vocab).fill(0.25), rows: 2, vocab };
    q.data[vocab + 150001] = -Infinity;
    const start = backends().cpu.threads;
    try {
      for (const threads of [1, 4]) {
        configure({ threads });
        const got = klDivergenceSync(p, q).values;
        assert.equal(got[0], 0);
        assert.equal(got[1], Infinity);
      }
    } finally {
      configure({ threads: start });
    }
  });

  test('a P that underflows float32 relative to the row max counts as 0', () => {
    // exp(-200) is below float32's range: that entry's q = -inf contributes nothing
    const p = { data: new Float32Array([0, -200, 1]), rows: 1, vocab: 3 };
    const q = { data: new Float32Array([0, -Infinity, 1]), rows: 1, vocab: 3 };
    assert.ok(klDivergenceSync(p, q).values[0] < 1e-6);
  });
});

describe('extreme values', () => {
  const r = rng();
  for (const dtype of dtypes) {
    test(`${dtype}: |logit| up to 1e4 and offsets of +-1e4`, () => {
      for (const offset of [0, 1e4, -1e4]) {
        for (const direction of directions) {
          const pair = logitsPair(r, 4, 3000, dtype, dtype, { scale: offset ? 20 : 3000, offset, noise: offset ? 2 : 500, sharedNegInf: 0.2 });
          for (const temperature of [0.3, 1]) {
            const result = klDivergenceSync(pair.p, pair.q, { direction, temperature });
            check(result, pair, 4, 3000, { direction, temperature }, `${dtype} ${direction} offset ${offset} T=${temperature}`, 1e-6);
          }
        }
      }
    });
  }

  test('vocab 1: every divergence is 0 (JS to 1e-7: its log2(1 + u) is a series)', () => {
    const p = { data: new Float32Array([-1e4, 0, 3.5]), rows: 3, vocab: 1 };
    const q = { data: new Float32Array([7, 1e4, -2]), rows: 3, vocab: 1 };
    for (const direction of ['forward', 'reverse', 'symmetric']) assert.deepEqual([...klDivergenceSync(p, q, { direction }).values], [0, 0, 0]);
    for (const v of klDivergenceSync(p, q, { direction: 'js' }).values) assert.ok(v >= 0 && v < 1e-7, `${v}`);
  });

  test('uniform p against a one-hot-ish q: log(vocab) - ...: matches the closed form', () => {
    const vocab = 151936;
    const p = { data: new Float32Array(vocab).fill(3), rows: 1, vocab };
    const qData = new Float32Array(vocab).fill(0);
    qData[17] = 10;
    const q = { data: qData, rows: 1, vocab };
    const zq = Math.exp(10) + (vocab - 1);
    // KL(U || Q) = -log(vocab) - mean log Q
    const meanLogQ = (10 - Math.log(zq) + (vocab - 1) * (0 - Math.log(zq))) / vocab;
    assert.ok(Math.abs(klDivergenceSync(p, q).values[0] - (-Math.log(vocab) - meanLogQ)) < 2e-5);
  });
});

// The one-sweep blocks (kl_divergence_kernel.h) compute against the maxima of the blocks before and
// fall back to two sweeps when a logit runs past them; late maxima on either side, lanes that start
// all -Infinity, |logits| ~ 1e4, and a q = -Infinity under p > 0 met inside a one-sweep block.
describe('one-sweep blocks: late maxima on either side, late -Infinity, on every ISA and thread split', () => {
  const r = rng();
  const vocab = 151936, rows = 4;
  const widen = (data, dtype) => (dtype === 'float32' ? data : dtype === 'bfloat16' ? fromBFloat16(data) : fromFloat16(data));
  const narrow = (f, dtype) => (dtype === 'float32' ? f : dtype === 'bfloat16' ? toBFloat16(f) : toFloat16(f));
  for (const dtype of dtypes) {
    test(dtype, () => {
      const fp = new Float32Array(rows * vocab), fq = new Float32Array(rows * vocab);
      for (let i = 0; i < fp.length; i++) {
        fp[i] = r.normal();
        fq[i] = fp[i] + 0.5 * r.normal();
      }
      fp[100000] = 120; // p's max far into row 0 (2^(120 log2(e) / 0.6) overflows without the fallback)
      fq[120000] = 100; // q's max further still
      for (let k = 0; k < 20; k++) fq[vocab + 5000 * k + 3] = 2 * k; // q's max climbs block after block
      fp.fill(-Infinity, 2 * vocab, 2 * vocab + 6000); // p lanes with no max until block 6
      fq.fill(-Infinity, 2 * vocab, 2 * vocab + 6000);
      for (let j = 0; j < vocab; j++) {
        fp[3 * vocab + j] = 1e4 + (j % 7) * 0.5 + (j > 100000 ? 3 : 0);
        fq[3 * vocab + j] = 1e4 + (j % 5) * 0.5;
      }
      const p = { data: narrow(fp, dtype), rows, vocab, dtype }, q = { data: narrow(fq, dtype), rows, vocab, dtype };
      const wp = widen(p.data, dtype), wq = widen(q.data, dtype);
      onEveryIsaAndSplit((isa, threads) => {
        for (const direction of ['forward', 'reverse', 'symmetric']) {
          for (const temperature of [0.6, 1]) {
            const got = klDivergenceSync(p, q, { direction, temperature }).values;
            const ref = refDivergence(wp, wq, rows, vocab, { direction, temperature });
            assertClose(got, ref, { atol: 2e-5, rtol: 1e-5, what: `${dtype} ${isa} threads ${threads} ${direction} T=${temperature}` });
          }
        }
        const late = { ...q, data: q.data.slice() };
        late.data[2 * vocab + 140001] = dtype === 'float32' ? -Infinity : narrow(new Float32Array([-Infinity]), dtype)[0];
        assert.equal(klDivergenceSync(p, late).values[2], Infinity, `${dtype} ${isa} threads ${threads}: q = -inf under p > 0`);
      });
    });
  }
});

describe('spans and reduce', () => {
  const r = rng();
  test('per-span mean and sum of the per-row values (float64 sums), spans in any order', () => {
    const pair = logitsPair(r, 12, 999, 'float32', 'bfloat16');
    const spans = new Int32Array([5, 9, 0, 1, 9, 12, 1, 5]);
    for (const reduce of ['mean', 'sum']) {
      for (const direction of directions) {
        const res = klDivergenceSync(pair.p, pair.q, { direction, spans, reduce });
        assert.equal(res.spanValues.length, 4);
        assertClose(res.spanValues, refSpans(res.values, spans, reduce), { atol: 1e-6, rtol: 1e-6, what: `${direction} ${reduce}` });
        check(res, pair, 12, 999, { direction }, `${direction} rows`);
      }
    }
  });

  test("reduce 'sum' allows empty spans (0); no spans: no spanValues", () => {
    const pair = logitsPair(r, 3, 10, 'float32', 'float32');
    const res = klDivergenceSync(pair.p, pair.q, { spans: new Int32Array([1, 1, 0, 3]), reduce: 'sum' });
    assert.equal(res.spanValues[0], 0);
    assert.ok(Math.abs(res.spanValues[1] - (res.values[0] + res.values[1] + res.values[2])) < 1e-5);
    assert.equal(klDivergenceSync(pair.p, pair.q, { reduce: 'sum' }).spanValues, undefined);
  });

  test('zero rows with zero spans', () => {
    const empty = { data: new Float32Array(0), rows: 0, vocab: 5 };
    const res = klDivergenceSync(empty, empty, { spans: new Int32Array(0) });
    assert.equal(res.values.length, 0);
    assert.equal(res.spanValues.length, 0);
  });
});

describe('async, ISAs, threads', () => {
  const r = rng();
  test('async equals sync bit for bit', async () => {
    for (const direction of directions) {
      const pair = logitsPair(r, 7, 40000, 'bfloat16', 'float16');
      const spans = new Int32Array([0, 3, 3, 7]);
      const sync = klDivergenceSync(pair.p, pair.q, { direction, temperature: 0.9, spans });
      const async = await klDivergence(pair.p, pair.q, { direction, temperature: 0.9, spans });
      assert.deepEqual(async, sync);
    }
  });

  const order = ['scalar', 'avx2', 'avx512'];
  const available = order.slice(0, order.indexOf(backends().cpu.detectedIsa) + 1);
  // Sums run in a different order per ISA and thread count; KL = E_P[d] + log(sq/sp) cancels
  // terms of size ~1, so results agree to float32 rounding of those terms: 5e-6, a quarter of the
  // reference tolerance.
  test(`ISAs ${available.join(', ')} agree to 5e-6 and match the reference`, () => {
    const start = backends().cpu;
    try {
      for (const [pType, qType] of [['float32', 'float32'], ['bfloat16', 'bfloat16'], ['float16', 'float16'], ['bfloat16', 'float32'], ['float32', 'float16']]) {
        for (const [rows, vocab] of [[2, 151936], [20, 1000], [5, 37]]) {
          const pair = logitsPair(r, rows, vocab, pType, qType, { sharedNegInf: 0.1 });
          for (const direction of directions) {
            const results = available.map((isa) => {
              configure({ isa });
              return klDivergenceSync(pair.p, pair.q, { direction, temperature: 0.9 }).values;
            });
            for (let k = 1; k < results.length; k++)
              assertClose(results[k], results[0], { atol: 5e-6, rtol: 1e-6, what: `${available[k]} vs scalar ${direction} ${pType} x ${qType}` });
            check({ values: results[results.length - 1] }, pair, rows, vocab, { direction, temperature: 0.9 }, `${pType} x ${qType} ${direction}`);
          }
        }
      }
    } finally {
      configure({ isa: start.isa });
    }
  });

  test('1 thread and many threads agree (rows across threads, or split within a row)', () => {
    const start = backends().cpu.threads;
    try {
      for (const [rows, vocab] of [[1, 200000], [2, 151936], [300, 500]]) {
        const pair = logitsPair(r, rows, vocab, 'bfloat16', 'bfloat16');
        for (const direction of directions) {
          configure({ threads: 1 });
          const one = klDivergenceSync(pair.p, pair.q, { direction }).values;
          configure({ threads: 7 });
          const many = klDivergenceSync(pair.p, pair.q, { direction }).values;
          assertClose(many, one, { atol: 5e-6, rtol: 1e-6, what: `threads ${direction}` });
          check({ values: many }, pair, rows, vocab, { direction }, `threads ${direction}`);
        }
      }
    } finally {
      configure({ threads: start });
    }
  });
});

describe('CUDA backend', () => {
  const cuda = backends().cuda;
  test('matches the reference on every dtype pair and direction', { skip: cuda ? false : 'no CUDA device in this process' }, () => {
    const r = rng();
    for (const [pType, qType] of [...dtypes.map((d) => [d, d]), ['bfloat16', 'float32']]) {
      for (const [rows, vocab] of [[1, 151936], [70, 32000], [3, 7]]) {
        const pair = logitsPair(r, rows, vocab, pType, qType, { sharedNegInf: 0.05 });
        for (const direction of directions) {
          const gpu = klDivergenceSync(pair.p, pair.q, { direction, backend: 'cuda', temperature: 0.8 });
          check(gpu, pair, rows, vocab, { direction, temperature: 0.8 }, `cuda ${pType} x ${qType} ${direction}`);
        }
      }
    }
  });

  test('q = -inf under p > 0 is +Infinity; NaN names its input and row', { skip: cuda ? false : 'no CUDA device in this process' }, () => {
    const p = { data: new Float32Array([1, 2, 3, 4, 1, 2, 3, 4]), rows: 2, vocab: 4 };
    const q = { data: new Float32Array([1, 2, 3, 4, 1, -Infinity, 3, 4]), rows: 2, vocab: 4 };
    assert.deepEqual([...klDivergenceSync(p, q, { backend: 'cuda' }).values], [0, Infinity]);
    q.data[6] = NaN;
    assert.throws(() => klDivergenceSync(p, q, { backend: 'cuda', direction: 'reverse' }), (e) => e.argument === 'q' && e.index === 1);
  });
});

// Regressions of test/RELIABILITY.md findings 2 and 6, on every ISA.
describe('extreme logits: rows of -FLT_MAX, and q = 0 in float32 under p > 0', () => {
  test('identical rows of -FLT_MAX have divergence 0 (as tokenLogprobs treats them)', () => {
    onEveryIsa((isa) => {
      const p = { data: new Float32Array([-FLT_MAX, -FLT_MAX, -Infinity]), rows: 1, vocab: 3 };
      assert.equal(klDivergenceSync(p, p, { temperature: 3 }).values[0], 0, isa);
    });
  });

  test('a q logit that sits FLT_MAX * T below its row max gives +Infinity, also past a 1e30 shift', () => {
    onEveryIsa((isa) => {
      const p = { data: new Float32Array([0, 0]), rows: 1, vocab: 2 };
      const q = { data: new Float32Array([0, -3e38]), rows: 1, vocab: 2 };
      for (const direction of ['forward', 'symmetric']) assert.equal(klDivergenceSync(p, q, { temperature: 0.25, direction }).values[0], Infinity, `${isa} ${direction}`);
      assert.equal(klDivergenceSync(q, p, { temperature: 0.25, direction: 'reverse' }).values[0], Infinity, `${isa} reverse`);
      // and where the piece with the far q sits in an earlier block than the row max (long rows)
      const vocab = 4096;
      const longP = { data: new Float32Array(vocab), rows: 1, vocab };
      const longQ = { data: new Float32Array(vocab).fill(-3e38).fill(0, 2048), rows: 1, vocab };
      assert.equal(klDivergenceSync(longP, longQ, { temperature: 0.25 }).values[0], Infinity, `${isa} long row`);
      // a q logit far below, but whose probability is still > 0, stays finite
      assert.ok(Number.isFinite(klDivergenceSync(p, { data: new Float32Array([0, -80]), rows: 1, vocab: 2 }).values[0]), isa);
    });
  });
});
