// Regression tests for the bugs fuzzing and the property tests found (test/RELIABILITY.md lists
// each finding and its fix). Every ISA the CPU has is checked where the bug lived in a SIMD kernel.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';

import { ShapleyEstimator, backends, configure, klDivergenceSync, shapleyExactSync, tokenLogprobsSync } from '../dist/index.js';
import { assertTypedError } from './helpers/assert.mjs';

const FLT_MAX = 3.4028234663852886e38;
const detected = backends().cpu.detectedIsa;
const isas = ['scalar', 'avx2', 'avx512'].slice(0, ['scalar', 'avx2', 'avx512'].indexOf(detected) + 1);
after(() => configure({ isa: detected }));

describe('tokenLogprobs: a row whose largest logit is -FLT_MAX (finding 2)', () => {
  for (const isa of isas) {
    test(`${isa}: softmax of equal -FLT_MAX logits is uniform at any temperature`, () => {
      configure({ isa });
      for (const temperature of [2, 14.5, 1]) {
        const data = new Float32Array([-FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX, -Infinity]);
        const r = tokenLogprobsSync({ data, rows: 2, vocab: 3 }, new Int32Array([1, 0]), { temperature, entropy: true });
        const m = Math.fround(-FLT_MAX / temperature);
        assert.ok(Math.abs(r.logprobs[0] - Math.log(1 / 3)) < 1e-6, `T=${temperature}: ${r.logprobs[0]}`);
        assert.ok(Math.abs(r.logprobs[1] - Math.log(1 / 2)) < 1e-6, `T=${temperature}: ${r.logprobs[1]}`);
        assert.ok(Math.abs(r.logsumexp[0] - (m + Math.log(3))) <= Math.abs(m) * 1e-6, `T=${temperature}: ${r.logsumexp[0]}`);
        assert.ok(Math.abs(r.entropy[0] - Math.log(3)) < 1e-6);
      }
    });

    test(`${isa}: a largest logit that overflows once divided by the temperature is ERR_INFOGAIN_NONFINITE`, () => {
      configure({ isa });
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
        assert.equal(e.index, row);
      }
    });
  }
});

describe('klDivergence agrees with tokenLogprobs on -FLT_MAX rows', () => {
  for (const isa of isas) {
    test(`${isa}: identical rows of -FLT_MAX have divergence 0`, () => {
      configure({ isa });
      const p = { data: new Float32Array([-FLT_MAX, -FLT_MAX, -Infinity]), rows: 1, vocab: 3 };
      assert.equal(klDivergenceSync(p, p, { temperature: 3 }).values[0], 0);
    });
  }
});

describe('ShapleyEstimator binding: integer options above 2^31 (finding 8)', () => {
  const base = { players: 3, method: 1, budget: 8, seed: 1, tolerance: 0, cache: true, sizes: 0, maxPermutations: 50, minPermutations: 3, promedTolerance: 0.01, truncation: 0.01 };
  for (const [key, value] of [['players', 2 ** 32 + 3], ['method', 2 ** 32 + 1], ['sizes', 2 ** 32], ['maxPermutations', 2 ** 32], ['minPermutations', 2 ** 33 + 2]]) {
    test(`${key} = ${value} is out of range, not wrapped to ${value % 2 ** 32}`, async () => {
      const { native } = await import('../dist/native.js');
      const Estimator = native().ShapleyEstimator;
      assertTypedError(() => new Estimator({ ...base, [key]: value }), RangeError, 'ERR_OUT_OF_RANGE', key);
      assert.ok(new Estimator(base));
    });
  }
});

describe('klDivergence: q = 0 in float32 under p > 0 is +Infinity, also past a 1e30 shift (finding 6)', () => {
  for (const isa of isas) {
    test(`${isa}: a q logit that sits FLT_MAX * T below its row max`, () => {
      configure({ isa });
      const p = { data: new Float32Array([0, 0]), rows: 1, vocab: 2 };
      const q = { data: new Float32Array([0, -3e38]), rows: 1, vocab: 2 };
      for (const direction of ['forward', 'symmetric']) assert.equal(klDivergenceSync(p, q, { temperature: 0.25, direction }).values[0], Infinity);
      assert.equal(klDivergenceSync(q, p, { temperature: 0.25, direction: 'reverse' }).values[0], Infinity);
      // and where the piece with the far q sits in an earlier block than the row max (long rows)
      const vocab = 4096;
      const longP = { data: new Float32Array(vocab), rows: 1, vocab };
      const longQ = { data: new Float32Array(vocab).fill(-3e38).fill(0, 2048), rows: 1, vocab };
      assert.equal(klDivergenceSync(longP, longQ, { temperature: 0.25 }).values[0], Infinity);
      // a q logit far below, but whose probability is still > 0, stays finite
      assert.ok(Number.isFinite(klDivergenceSync(p, { data: new Float32Array([0, -80]), rows: 1, vocab: 2 }).values[0]));
    });
  }
});

describe('packed layouts: offsets out of order fail before any output is sized by the last one (finding 7b)', () => {
  // Under a 3 GB address-space limit the 8 GiB output of offsets ending at 2^31 - 1 cannot be
  // allocated: only a check of the order before the allocation gives the typed error.
  const script = `
    const ig = require('./dist/index.js');
    const { native } = require('./dist/native.js');
    const offsets = new Int32Array([0, 5, 2, 2 ** 31 - 1]);
    for (const call of [() => ig.broadcastToTokensSync(new Float32Array(3), { offsets }),
                        () => native().broadcastToTokensSync(new Float32Array(3), { offsets })]) {
      try { call(); console.log('no error'); } catch (e) { console.log(e.name, e.code, e.argument, e.index); }
    }`;
  // (test/sanitize.sh preloads the ASan runtime, whose shadow memory alone needs terabytes of address space)
  const skip = /libasan/.test(process.env.LD_PRELOAD ?? '') && 'under ASan no address-space limit can hold';
  test('the TypeScript API and the binding both name layout.offsets[2], within 3 GB', { skip }, () => {
    const out = execFileSync('bash', ['-c', 'ulimit -v 3000000 && exec "$0" -e "$1"', process.execPath, script], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
    });
    assert.deepEqual(out.trim().split('\n'), Array(2).fill('RangeError ERR_OUT_OF_RANGE layout.offsets 2'));
  });
});

describe('ShapleyEstimator: the plan ends once every coalition has been asked for (finding 7a)', () => {
  // Before, with cache: false every unit made of cached coalitions was still paid against the
  // budget, so nextBatch worked through a budget of 2^25 calls (seconds) handing out nothing new.
  const table = new Float64Array([0.5, 1.5, -1, 3]);
  for (const method of ['permutation', 'antithetic', 'orthogonal', 'stratified', 'kernel', 'svarm', 'regression-adjusted', 'auto']) {
    test(`${method}: 2 players, cache: false, budget 2^25 - 1: exact after a handful of calls`, () => {
      const est = new ShapleyEstimator({ players: 2, method, budget: 2 ** 25 - 1, seed: 7, cache: false });
      for (let masks; (masks = est.nextBatch(1 << 20)).length; ) est.observe(masks, Float64Array.from(masks, (m) => table[m]));
      const e = est.estimate();
      assert.ok(est.done && e.exact, `${method}: done ${est.done}, exact ${e.exact}`);
      assert.ok(e.calls < 1000, `${method}: ${e.calls} calls paid for coalitions already asked`);
      assert.deepEqual([...e.phi], [...shapleyExactSync(table)]);
    });
  }
});
