// tokenLogprobs against the float64 reference, across dtypes, shapes, extremes, ISAs and threads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { backends, configure, fromBFloat16, fromFloat16, toBFloat16, toFloat16, tokenLogprobs, tokenLogprobsSync } from '../dist/index.js';
import { native } from '../dist/native.js';
import { assertClose, assertTypedError } from './helpers/assert.mjs';
import { FLT_MAX, isasHere, onEveryIsa, onEveryIsaAndSplit } from './helpers/isa.mjs';
import { randomLogits, randomTargets, rng } from './helpers/random.mjs';
import { refTokenLogprobs } from './helpers/reference.mjs';

const dtypes = ['float32', 'float16', 'bfloat16'];

// The tolerance: 2e-5 absolute plus 1e-6 of |target logit| + |logsumexp| (float32 outputs).
function checkAgainstReference(result, wide, rows, vocab, targets, temperature, what) {
  const ref = refTokenLogprobs(wide, rows, vocab, targets, temperature);
  const scale = Float64Array.from(ref.logsumexp, (l, r) => Math.abs(l) + Math.abs(wide[r * vocab + targets[r]] / temperature));
  const lseScale = Float64Array.from(ref.logsumexp, (l) => Math.abs(l));
  assertClose(result.logprobs, ref.logprobs, { atol: 2e-5, rtol: 1e-6, scale, what: `${what} logprobs` });
  assertClose(result.logsumexp, ref.logsumexp, { atol: 2e-5, rtol: 1e-6, scale: lseScale, what: `${what} logsumexp` });
  if (result.entropy) assertClose(result.entropy, ref.entropy, { atol: 2e-5, rtol: 1e-6, scale, what: `${what} entropy` });
}

describe('tokenLogprobs matches the float64 reference', () => {
  const r = rng();
  for (const dtype of dtypes) {
    for (const vocab of [1, 7, 4096, 151936, 200000]) {
      for (const rows of [0, 1, vocab > 5000 ? 5 : 33]) {
        test(`${dtype} rows ${rows} vocab ${vocab}`, () => {
          for (const temperature of [0.3, 1, 2]) {
            const { logits, wide } = randomLogits(r, rows, vocab, dtype, { scale: 4, negInf: vocab > 1 ? 0.05 : 0 });
            const targets = randomTargets(r, rows, vocab, wide);
            const result = tokenLogprobsSync(logits, targets, { temperature, entropy: true });
            assert.equal(result.logprobs.length, rows);
            checkAgainstReference(result, wide, rows, vocab, targets, temperature, `${dtype} T=${temperature}`);
          }
        });
      }
    }
  }
});

describe('extreme values', () => {
  const r = rng();
  for (const dtype of dtypes) {
    test(`${dtype}: |logit| up to 1e4, offsets of +-1e4`, () => {
      for (const offset of [0, 1e4, -1e4]) {
        const { logits, wide } = randomLogits(r, 6, 3000, dtype, { scale: offset ? 20 : 3000, offset, negInf: 0.2 });
        const targets = randomTargets(r, 6, 3000, wide);
        for (const temperature of [0.3, 1]) {
          const result = tokenLogprobsSync(logits, targets, { temperature, entropy: true });
          checkAgainstReference(result, wide, 6, 3000, targets, temperature, `${dtype} offset ${offset}`);
        }
      }
    });
  }

  test('a row with one finite entry is a point mass; a -Infinity target has log-prob -Infinity', () => {
    const data = new Float32Array([-Infinity, 5, -Infinity, -Infinity, 1, 2, -Infinity, 3]);
    const res = tokenLogprobsSync({ data, rows: 2, vocab: 4 }, new Int32Array([1, 2]), { entropy: true });
    assert.equal(res.logprobs[0], 0);
    assert.equal(res.entropy[0], 0);
    assert.equal(res.logsumexp[0], 5);
    assert.equal(res.logprobs[1], -Infinity);
  });

  test('vocab 1: log-prob 0 and entropy 0 for any finite logit', () => {
    const data = new Float32Array([-1e4, 0, 3.5, 1e4]);
    const res = tokenLogprobsSync({ data, rows: 4, vocab: 1 }, new Int32Array(4), { entropy: true });
    assert.deepEqual([...res.logprobs], [0, 0, 0, 0]);
    assert.deepEqual([...res.entropy], [0, 0, 0, 0]);
    assert.deepEqual([...res.logsumexp], [...data]);
  });

  test('uniform rows have entropy log(vocab)', () => {
    const vocab = 151936;
    const res = tokenLogprobsSync({ data: new Float32Array(vocab).fill(7), rows: 1, vocab }, new Int32Array(1), { entropy: true });
    assert.ok(Math.abs(res.entropy[0] - Math.log(vocab)) < 2e-5, `${res.entropy[0]}`);
    assert.ok(Math.abs(res.logprobs[0] + Math.log(vocab)) < 2e-5);
  });
});

describe('options', () => {
  const r = rng();
  test('ignoreIndex rows get 0 and are not read (NaN there is fine)', () => {
    const { logits, wide } = randomLogits(r, 8, 50, 'float32');
    const targets = randomTargets(r, 8, 50, wide);
    targets[2] = -100;
    targets[5] = -100;
    logits.data[2 * 50 + 3] = NaN;
    const res = tokenLogprobsSync(logits, targets, { ignoreIndex: -100, entropy: true });
    for (const k of ['logprobs', 'logsumexp', 'entropy']) {
      assert.equal(res[k][2], 0);
      assert.equal(res[k][5], 0);
    }
    const kept = [0, 1, 3, 4, 6, 7];
    const ref = refTokenLogprobs(wide, 8, 50, targets.map((t) => (t < 0 ? 0 : t)), 1);
    for (const i of kept) assert.ok(Math.abs(res.logprobs[i] - ref.logprobs[i]) < 2e-5);
  });

  test('entropy is absent unless asked for', () => {
    const res = tokenLogprobsSync({ data: new Float32Array(4), rows: 2, vocab: 2 }, new Int32Array(2));
    assert.equal(res.entropy, undefined);
  });

  test('async equals sync bit for bit', async () => {
    for (const dtype of dtypes) {
      const { logits, wide } = randomLogits(r, 17, 40000, dtype);
      const targets = randomTargets(r, 17, 40000, wide);
      const sync = tokenLogprobsSync(logits, targets, { entropy: true, temperature: 0.7 });
      const async = await tokenLogprobs(logits, targets, { entropy: true, temperature: 0.7 });
      for (const k of ['logprobs', 'logsumexp', 'entropy']) assert.deepEqual(async[k], sync[k]);
    }
  });

  test('many concurrent async calls all settle with correct results', async () => {
    const jobs = [];
    for (let i = 0; i < 64; i++) {
      const { logits, wide } = randomLogits(r, 3, 2000, dtypes[i % 3]);
      const targets = randomTargets(r, 3, 2000, wide);
      jobs.push(tokenLogprobs(logits, targets).then((res) => checkAgainstReference(res, wide, 3, 2000, targets, 1, `job ${i}`)));
    }
    await Promise.all(jobs);
  });

  test('outputs are fresh, transferable, JS-owned Float32Arrays', () => {
    const res = tokenLogprobsSync({ data: new Float32Array(6), rows: 3, vocab: 2 }, new Int32Array(3), { entropy: true });
    for (const k of ['logprobs', 'logsumexp', 'entropy']) {
      assert.ok(res[k] instanceof Float32Array);
      const copy = structuredClone(res[k], { transfer: [res[k].buffer] });
      assert.equal(res[k].byteLength, 0, `${k} buffer was transferred, not copied`);
      assert.equal(copy.length, 3);
    }
  });

  test('an onnxruntime-style Tensor is accepted (last dim = vocab)', () => {
    const { logits, wide } = randomLogits(r, 6, 11, 'float32');
    const targets = randomTargets(r, 6, 11, wide);
    const tensor = { dims: [2, 3, 11], type: 'float32', data: logits.data, location: 'cpu' };
    assert.deepEqual(tokenLogprobsSync(tensor, targets).logprobs, tokenLogprobsSync(logits, targets).logprobs);
  });
});

describe('every SIMD path and thread count agrees', () => {
  const r = rng();
  const order = ['scalar', 'avx2', 'avx512'];
  const available = order.slice(0, order.indexOf(backends().cpu.detectedIsa) + 1);

  test(`ISAs ${available.join(', ')} give the same results to 1e-6 of the row's scale`, () => {
    const start = backends().cpu;
    try {
      for (const dtype of dtypes) {
        for (const [rows, vocab] of [[3, 151936], [40, 1000], [5, 37]]) {
          const { logits, wide } = randomLogits(r, rows, vocab, dtype, { scale: 5, negInf: 0.1 });
          const targets = randomTargets(r, rows, vocab, wide);
          const results = available.map((isa) => {
            configure({ isa });
            assert.equal(backends().cpu.isa, isa);
            return tokenLogprobsSync(logits, targets, { entropy: true, temperature: 0.9 });
          });
          const scale = Float64Array.from(results[0].logsumexp, (l) => Math.abs(l) + 1);
          for (let k = 1; k < results.length; k++)
            for (const key of ['logprobs', 'logsumexp', 'entropy'])
              assertClose(results[k][key], results[0][key], { atol: 0, rtol: 1e-6, scale, what: `${available[k]} vs scalar ${key} ${dtype}` });
          checkAgainstReference(results[results.length - 1], wide, rows, vocab, targets, 0.9, dtype);
        }
      }
    } finally {
      configure({ isa: start.isa });
    }
  });

  test('1 thread and many threads agree (rows split across threads or within a row)', () => {
    const start = backends().cpu.threads;
    try {
      for (const [rows, vocab] of [[1, 200000], [2, 151936], [300, 500]]) {
        const { logits, wide } = randomLogits(r, rows, vocab, 'bfloat16');
        const targets = randomTargets(r, rows, vocab, wide);
        configure({ threads: 1 });
        const one = tokenLogprobsSync(logits, targets, { entropy: true });
        configure({ threads: 7 });
        const many = tokenLogprobsSync(logits, targets, { entropy: true });
        const scale = Float64Array.from(one.logsumexp, (l) => Math.abs(l) + 1);
        for (const key of ['logprobs', 'logsumexp', 'entropy'])
          assertClose(many[key], one[key], { atol: 0, rtol: 1e-6, scale, what: `threads ${key}` });
        checkAgainstReference(many, wide, rows, vocab, targets, 1, 'threads');
      }
    } finally {
      configure({ threads: start });
    }
  });
});

// Entropy is shift-invariant, so its error must not grow with |logits|: the tolerance here does not
// scale with them (the generic checks above allow 1e-6 of |logsumexp|, i.e. 2e-2 at 1e4, which hid a
// 1e-3 entropy error when pieces merged maxima already divided by T). Log-probs: 1e-6 of |log p| plus
// the rounding of (x_t - m) / T, not of |x_t| / T.
/** Runs fn(sweeps) with float32 rows in two sweeps per block, then in one (the default depends on the
 * CPU's vendor: softmax_stats.h), so one machine tests both; other dtypes always take one. */
function onBothFloat32Paths(dtype, fn) {
  if (dtype !== 'float32') return fn('one sweep');
  try {
    for (const [mode, sweeps] of [[0, 'two sweeps'], [1, 'one sweep']]) {
      native().setFloat32OneSweep(mode);
      fn(sweeps);
    }
  } finally {
    native().setFloat32OneSweep(-1);
  }
}

/** tokenLogprobs' entropy and log-probs at the tolerances above, on every ISA, thread split and block path. */
function checkOnEveryIsaAndSplit(logits, targets, temperature, ref, label, check = () => {}) {
  const entropyScale = Float64Array.from(ref.entropy, (e) => Math.abs(e));
  const lpScale = Float64Array.from(ref.logprobs, (l) => Math.abs(l) + 1);
  onBothFloat32Paths(logits.dtype, (sweeps) => onEveryIsaAndSplit((isa, threads) => {
    const res = tokenLogprobsSync(logits, targets, { temperature, entropy: true });
    const what = `${label} ${isa} threads ${threads} ${sweeps} T=${temperature}`;
    assertClose(res.entropy, ref.entropy, { atol: 1e-5, rtol: 1e-5, scale: entropyScale, what: `${what} entropy` });
    assertClose(res.logprobs, ref.logprobs, { atol: 2e-5, rtol: 2e-6, scale: lpScale, what: `${what} logprobs` });
    check(res, what);
  }));
}

describe('|logits| ~ 1e4 on every ISA and thread split: entropy and log-probs do not degrade', () => {
  const r = rng();
  for (const dtype of dtypes) {
    test(`${dtype}: ISAs ${isasHere().join(', ')}, 1 and 2 threads, vocab 1 / 3000 / 200000, -inf entries`, () => {
      for (const [rows, vocab] of [[4, 1], [3, 3000], [2, 200000]]) {
        for (const [offset, spread] of [[1e4, 1], [1e4, 3], [1e4, 20], [-1e4, 20], [-1e4, 3]]) {
          const { logits, wide } = randomLogits(r, rows, vocab, dtype, { scale: spread, offset, negInf: vocab > 1 ? 0.1 : 0 });
          const targets = randomTargets(r, rows, vocab, wide);
          for (const temperature of [0.3, 0.7, 1, 2])
            checkOnEveryIsaAndSplit(logits, targets, temperature, refTokenLogprobs(wide, rows, vocab, targets, temperature),
              `${dtype} vocab ${vocab} offset ${offset} spread ${spread}`);
        }
      }
    });
  }
});

// The one-sweep blocks (softmax_stats_kernel.h) compute against the max of the blocks before and
// fall back to two sweeps when a logit runs more than kAheadLimit (1 base-2 unit) past it; these rows exercise the
// fallback, lanes that start all -Infinity, and NaN / +Infinity met inside a one-sweep block.
describe('one-sweep blocks: late maxima, late -Infinity runs, late NaN / +Infinity, on every ISA', () => {
  const r = rng();
  const vocab = 151936;
  function rows(dtype) {
    const f = new Float32Array(5 * vocab);
    for (let i = 0; i < f.length; i++) f[i] = r.normal();
    f[0 * vocab + 100000] = 120; // far past the first blocks' max: fallback
    for (let k = 0; k < 20; k++) f[1 * vocab + 5000 * k + 7] = 3 * k; // the max climbs by 3 nats block after block
    f.fill(-Infinity, 2 * vocab, 2 * vocab + 5000); // lanes with no reference until block 5
    f[2 * vocab + 140000] = 60;
    for (let j = 0; j < vocab; j++) f[3 * vocab + j] = 1e4 + (j % 3) + (j > 120000 ? 40 : 0); // |logits| 1e4, late jump
    for (let j = 0; j < vocab; j++) f[4 * vocab + j] = -1e4 - (j % 5) * 0.25;
    const data = dtype === 'float32' ? f : dtype === 'bfloat16' ? toBFloat16(f) : toFloat16(f);
    const wide = dtype === 'float32' ? f : dtype === 'bfloat16' ? fromBFloat16(data) : fromFloat16(data);
    return { logits: { data, rows: 5, vocab, dtype }, wide };
  }
  for (const dtype of dtypes) {
    test(dtype, () => {
      const { logits, wide } = rows(dtype);
      const targets = Int32Array.from([100000, 95007, 140000, 130000, 17]);
      const nonfinite = (what) => {
        for (const [bad, code] of [[NaN, 'NaN'], [Infinity, '+Infinity']]) {
          const data = logits.data.slice(0, vocab);
          const at = 150001;
          if (dtype === 'float32') data[at] = bad;
          else data[at] = dtype === 'bfloat16' ? toBFloat16(new Float32Array([bad]))[0] : toFloat16(new Float32Array([bad]))[0];
          assert.throws(() => tokenLogprobsSync({ data, rows: 1, vocab, dtype }, new Int32Array(1)), (e) =>
            e instanceof RangeError && e.code === 'ERR_INFOGAIN_NONFINITE' && e.message.includes(code) && e.message.includes(`column ${at}`), `${what} ${code}`);
        }
      };
      for (const temperature of [0.5, 1]) {
        const ref = refTokenLogprobs(wide, 5, vocab, targets, temperature);
        checkOnEveryIsaAndSplit(logits, targets, temperature, ref, dtype, (res, what) => {
          assertClose(res.logsumexp, ref.logsumexp, { atol: 2e-5, rtol: 2e-7, what: `${what} logsumexp` });
          nonfinite(what);
        });
      }
    });
  }
});

describe('CUDA backend', () => {
  const cuda = backends().cuda;
  test('matches the CPU on every dtype', { skip: cuda ? false : 'no CUDA device in this process' }, () => {
    const r = rng();
    for (const dtype of dtypes) {
      for (const [rows, vocab] of [[1, 151936], [70, 32000], [3, 7]]) {
        const { logits, wide } = randomLogits(r, rows, vocab, dtype, { negInf: 0.05 });
        const targets = randomTargets(r, rows, vocab, wide);
        const gpu = tokenLogprobsSync(logits, targets, { entropy: true, backend: 'cuda', temperature: 0.8 });
        checkAgainstReference(gpu, wide, rows, vocab, targets, 0.8, `cuda ${dtype}`);
      }
    }
  });
});

// Regressions of test/RELIABILITY.md finding 2 (the row max taken as a -FLT_MAX sentinel), on every ISA.
describe('extreme logits: a row whose largest logit is -FLT_MAX, a largest logit that overflows at T', () => {
  test('softmax of equal -FLT_MAX logits is uniform at any temperature', () => {
    onEveryIsa((isa) => {
      for (const temperature of [2, 14.5, 1]) {
        const data = new Float32Array([-FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX, -Infinity]);
        const r = tokenLogprobsSync({ data, rows: 2, vocab: 3 }, new Int32Array([1, 0]), { temperature, entropy: true });
        const m = Math.fround(-FLT_MAX / temperature);
        assert.ok(Math.abs(r.logprobs[0] - Math.log(1 / 3)) < 1e-6, `${isa} T=${temperature}: ${r.logprobs[0]}`);
        assert.ok(Math.abs(r.logprobs[1] - Math.log(1 / 2)) < 1e-6, `${isa} T=${temperature}: ${r.logprobs[1]}`);
        assert.ok(Math.abs(r.logsumexp[0] - (m + Math.log(3))) <= Math.abs(m) * 1e-6, `${isa} T=${temperature}: ${r.logsumexp[0]}`);
        assert.ok(Math.abs(r.entropy[0] - Math.log(3)) < 1e-6, `${isa} T=${temperature}: ${r.entropy[0]}`);
      }
    });
  });

  test('a largest logit that overflows once divided by the temperature is ERR_INFOGAIN_NONFINITE naming its row', () => {
    onEveryIsa((isa) => {
      for (const [data, row] of [
        [new Float32Array([0, 1, 3e38, 0]), 1],
        [new Float32Array([-3e38, -Infinity, 0, 1]), 0],
      ]) {
        const e = assertTypedError(
          () => tokenLogprobsSync({ data, rows: 2, vocab: 2 }, new Int32Array([0, 0]), { temperature: 0.25 }),
          RangeError,
          'ERR_INFOGAIN_NONFINITE',
          'logits',
        );
        assert.equal(e.index, row, isa);
      }
    });
  });
});
