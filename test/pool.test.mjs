// The reward pool's kernels: results bit for bit equal to the sync functions, typed errors that
// survive the trip from the worker, the transfer / copy / shared-memory contract, many calls at once.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import * as ig from '../dist/index.js';
import { codes, createRewardPool, poolKernels, tokenLogprobsSync } from '../dist/index.js';
import { kernels as table } from '../dist/pool/kernels.js';
import { assertTypedError } from './helpers/assert.mjs';
import { assertSameBits, isDetachedView, rejection, rewardsUrl, shared } from './helpers/pool.mjs';
import { randomLogits, randomTargets, rng, runSeed } from './helpers/random.mjs';

const dtypes = ['float32', 'float16', 'bfloat16'];
const pool = createRewardPool({ threads: 2 });
after(() => pool.close());

test('every registered kernel is a pool method', () => {
  // every kernel the package exports as an async function with a Sync twin is served by the pool
  const exported = Object.keys(ig).filter((k) => typeof ig[k] === 'function' && typeof ig[`${k}Sync`] === 'function');
  assert.deepEqual([...poolKernels].sort(), exported.sort());
  for (const name of poolKernels) {
    // the table's functions are the exported ones (not a copy that could drift)
    assert.deepEqual(table[name], [ig[name], ig[`${name}Sync`]], name);
    assert.equal(typeof pool[name], 'function');
    assert.equal(typeof pool.with({}).run, 'function');
  }
});

describe('pool results equal the sync results bit for bit', () => {
  const r = rng();
  const shapes = [[0, 7], [1, 1], [33, 7], [17, 4096], [5, 151936], [2, 200000]];
  for (const dtype of dtypes) {
    test(`${dtype}: copied, transferred and shared inputs, with options (seed ${runSeed})`, async () => {
      for (const [rows, vocab] of shapes) {
        const { logits, wide } = randomLogits(r, rows, vocab, dtype, { scale: 4, negInf: vocab > 1 ? 0.05 : 0 });
        const targets = randomTargets(r, rows, vocab, wide);
        for (const opts of [undefined, { entropy: true, temperature: 0.7 }, { entropy: true, ignoreIndex: targets[0] ?? 0 }]) {
          const what = `${dtype} [${rows}, ${vocab}] ${JSON.stringify(opts)}`;
          const expected = tokenLogprobsSync(logits, targets, opts);
          assertSameBits(await pool.tokenLogprobs(logits, targets, opts), expected, `${what} copied`);
          const sab = { ...logits, data: shared(logits.data) };
          assertSameBits(await pool.with({ transfer: true }).tokenLogprobs(sab, shared(targets), opts), expected, `${what} shared`);
          const own = { ...logits, data: logits.data.slice() };
          assertSameBits(await pool.with({ transfer: true }).tokenLogprobs(own, targets.slice(), opts), expected, `${what} transferred`);
        }
      }
    });
  }

  test('extremes: |logit| 1e4, -Infinity entries, a point-mass row; a Tensor-like input with a getter', async () => {
    for (const dtype of dtypes) {
      for (const offset of [0, 1e4, -1e4]) {
        const { logits, wide } = randomLogits(r, 6, 3000, dtype, { scale: offset ? 20 : 3000, offset, negInf: 0.2 });
        const targets = randomTargets(r, 6, 3000, wide);
        assertSameBits(await pool.tokenLogprobs(logits, targets, { entropy: true }), tokenLogprobsSync(logits, targets, { entropy: true }), `${dtype} ${offset}`);
      }
    }
    const data = new Float32Array([-Infinity, 5, -Infinity, -Infinity, 1, 2, -Infinity, 3]);
    const targets = new Int32Array([1, 0]);
    assertSameBits(await pool.tokenLogprobs({ data, rows: 2, vocab: 4 }, targets, { entropy: true }), tokenLogprobsSync({ data, rows: 2, vocab: 4 }, targets, { entropy: true }), 'point mass');
    // like an onnxruntime Tensor: `data` is a prototype getter, which structured clone would drop
    class Tensor {
      constructor(data, dims) {
        this.cpuData = data;
        this.dims = dims;
        this.type = 'float32';
      }
      get data() {
        return this.cpuData;
      }
    }
    const t = new Tensor(new Float32Array(12).map((_, i) => i / 5), [3, 4]);
    const tt = new Int32Array([0, 3, 2]);
    assertSameBits(await pool.tokenLogprobs(t, tt), tokenLogprobsSync(t, tt), 'tensor');
  });
});

describe('validation errors arrive with the sync error class, code, argument, index and message', () => {
  const good = () => ({ data: Float32Array.from({ length: 12 }, (_, i) => i / 3), rows: 3, vocab: 4, dtype: 'float32' });
  const targets = () => new Int32Array([0, 1, 2]);
  const nanRow = () => {
    const l = good();
    l.data[2 * 4 + 1] = NaN;
    return l;
  };
  const detached = () => {
    const l = good();
    structuredClone(l.data.buffer, { transfer: [l.data.buffer] });
    return l;
  };
  const cases = [
    ['logits not an object', () => [42, targets()]],
    ['logits a function', () => [() => 1, targets()]],
    ['rows not an integer', () => [{ ...good(), rows: 2.5 }, targets()]],
    ['data length != rows * vocab', () => [{ ...good(), data: new Float32Array(11) }, targets()]],
    ['Float64Array data', () => [{ ...good(), data: new Float64Array(12) }, targets()]],
    ['detached data', () => [detached(), targets()]],
    ['targets too short', () => [good(), new Int32Array(2)]],
    ['target out of range at index 2', () => [good(), new Int32Array([0, 1, 4])]],
    ['temperature 0', () => [good(), targets(), { temperature: 0 }]],
    ['options not an object', () => [good(), targets(), 'fast']],
    ['unknown backend', () => [good(), targets(), { backend: 'tpu' }]],
    ['NaN logit in row 2 (raised by the native kernel)', () => [nanRow(), targets()]],
  ];
  for (const [what, args] of cases) {
    test(what, async () => {
      let expected;
      try {
        tokenLogprobsSync(...args());
      } catch (e) {
        expected = e;
      }
      assert.ok(expected, 'the sync call throws');
      for (const transfer of [false, true]) {
        const a = args();
        const before = a.map((x) => (ArrayBuffer.isView(x?.data) && x.data.length ? x.data.slice() : ArrayBuffer.isView(x) ? x.slice() : undefined));
        const got = await rejection(pool.with({ transfer }).tokenLogprobs(...a));
        assert.equal(got.constructor, expected.constructor, `${what}: class (${got.message})`);
        for (const key of ['name', 'code', 'argument', 'index', 'message']) assert.equal(got[key], expected[key], `${what}: ${key}`);
        if (!transfer)
          a.forEach((x, i) => before[i] && assert.deepEqual(ArrayBuffer.isView(x) ? x : x.data, before[i], 'a copied input is untouched'));
      }
    });
  }
});

describe('transfer semantics', () => {
  const rows = 4, vocab = 50;
  const make = () => ({ data: Float32Array.from({ length: rows * vocab }, (_, i) => Math.sin(i * 0.37) * 3), rows, vocab });
  const targets = () => Int32Array.from({ length: rows }, (_, i) => i * 7);

  test('by default inputs are copied when the call is made: the caller may reuse them at once', async () => {
    const logits = make(), t = targets();
    const expected = tokenLogprobsSync(logits, t);
    const promise = pool.tokenLogprobs(logits, t);
    assert.equal(logits.data.length, rows * vocab);
    logits.data.fill(123);  // after the call returned: the pool computes on its copy
    t.fill(0);
    assertSameBits(await promise, expected, 'copied');
  });

  test('{ transfer: true } detaches the caller\'s buffers before the method returns', async () => {
    const logits = make(), t = targets();
    const expected = tokenLogprobsSync(logits, t);
    const promise = pool.with({ transfer: true }).tokenLogprobs(logits, t);
    assert.ok(isDetachedView(logits.data) && isDetachedView(t), 'detached when the method returns');
    assertSameBits(await promise, expected, 'transferred');
  });

  test('two views over one buffer both move, each keeping its place', async () => {
    const ab = new ArrayBuffer(4 * rows * vocab + 4 * rows + 8);
    const data = new Float32Array(ab, 8, rows * vocab);
    data.set(make().data);
    const t = new Int32Array(ab, 8 + 4 * rows * vocab, rows);
    t.set(targets());
    const expected = tokenLogprobsSync({ data, rows, vocab }, t);
    const promise = pool.with({ transfer: true }).tokenLogprobs({ data, rows, vocab }, t);
    assert.equal(ab.byteLength, 0);
    assertSameBits(await promise, expected, 'one buffer');
  });

  test('a transferred input stays detached when the call rejects; a refused call moves nothing', async () => {
    const logits = make(), bad = new Int32Array([0, 1, 2, vocab]);
    const e = await rejection(pool.with({ transfer: true }).tokenLogprobs(logits, bad));
    assert.equal(e.code, codes.outOfRange);
    assert.equal(e.index, 3);
    assert.ok(isDetachedView(logits.data) && isDetachedView(bad));
    const c = new AbortController();
    c.abort();
    const kept = make(), keptTargets = targets();
    assert.equal((await rejection(pool.with({ transfer: true, signal: c.signal }).tokenLogprobs(kept, keptTargets))).name, 'AbortError');
    assert.equal(kept.data.length, rows * vocab, 'an already aborted call leaves the buffers attached');
  });

  test('SharedArrayBuffer inputs are used in place and never detached', async () => {
    const logits = make(), t = targets();
    const expected = tokenLogprobsSync(logits, t);
    const sab = { ...logits, data: shared(logits.data) }, st = shared(t);
    assertSameBits(await pool.with({ transfer: true }).tokenLogprobs(sab, st), expected, 'shared');
    assert.equal(sab.data.length, rows * vocab);
    // the worker writes into the caller's memory: the same bytes, no copy
    const view = new Float64Array(new SharedArrayBuffer(8 * 16));
    assert.equal(await pool.run(rewardsUrl, 'fill', [view, 2.5]), 16);
    assert.deepEqual([...view], new Array(16).fill(2.5));
    const seen = await pool.run(rewardsUrl, 'describeArgs', [view, new Float32Array([4])]);
    assert.deepEqual(seen, [{ length: 16, shared: true, first: 2.5 }, { length: 1, shared: false, first: 4 }]);
  });

  test('views nested in objects and arrays are found: moved, copied or shared alike', async () => {
    const a = new Float32Array([1, 2, 3]), b = new Int32Array([7]), c = shared(new Float64Array([0.5]));
    const nested = { level: { list: [a, { deeper: b }], shared: c } };
    const seen = await pool.with({ transfer: true }).run(rewardsUrl, 'describeNested', [nested]);
    assert.deepEqual(seen, [{ length: 3, shared: false, first: 1 }, { length: 1, shared: false, first: 7 }, { length: 1, shared: true, first: 0.5 }]);
    assert.ok(isDetachedView(a) && isDetachedView(b), 'nested ArrayBuffer views moved');
    assert.equal(c.length, 1, 'shared memory stays');
    const d = new Float32Array([4]);
    assert.deepEqual(await pool.run(rewardsUrl, 'describeNested', [{ level: { list: [d, { deeper: d }], shared: c } }]),
      [{ length: 1, shared: false, first: 4 }, { length: 1, shared: false, first: 4 }, { length: 1, shared: true, first: 0.5 }]);
    assert.equal(d.length, 1, 'copied, not moved');
  });

  test('outputs come back transferred: the worker keeps no copy', async () => {
    const one = createRewardPool({ threads: 1 });
    try {
      const out = await one.run(rewardsUrl, 'makeOutput', [1000]);
      assert.equal(out.values.length, 1000);
      assert.equal(out.values[999], 1.5);
      assert.equal(await one.run(rewardsUrl, 'keptLength'), 0, 'the worker\'s array was detached by the transfer');
      const r = await one.tokenLogprobs(make(), targets(), { entropy: true });
      for (const v of Object.values(r)) assert.ok(v.buffer instanceof ArrayBuffer && !(v.buffer instanceof SharedArrayBuffer));
    } finally {
      await one.close();
    }
  });
});

test('1000 concurrent mixed calls all settle with the sync result or error', async () => {
  const r = rng();
  const busy = createRewardPool({ threads: 2, maxQueue: 1000 });
  try {
    const calls = [];
    for (let i = 0; i < 1000; i++) {
      const kind = i % 5;
      if (kind === 4) {
        const words = ['a', 'b', 'c', 'd'].slice(0, 1 + (i % 4)).join(' ');
        calls.push({ promise: busy.run(rewardsUrl, 'f1', [words, 'a b c d']), expect: (v) => assert.equal(v, (2 * (1 + (i % 4))) / (1 + (i % 4) + 4)) });
        continue;
      }
      const dtype = dtypes[i % 3], rows = r.int(16), vocab = 1 + r.int(3000);
      const { logits, wide } = randomLogits(r, rows, vocab, dtype, { scale: 3 });
      const targets = randomTargets(r, rows, vocab, wide);
      if (kind === 3 && rows > 0) {
        targets[rows - 1] = vocab;  // bad input
        calls.push({ promise: busy.tokenLogprobs(logits, targets), expect: null, index: rows - 1 });
        continue;
      }
      const expected = tokenLogprobsSync(logits, targets, { entropy: kind === 1 });
      const promise = kind === 2
        ? busy.with({ transfer: true }).tokenLogprobs(logits, targets, { entropy: false })
        : busy.tokenLogprobs({ ...logits, data: kind === 1 ? shared(logits.data) : logits.data }, targets, { entropy: kind === 1 });
      calls.push({ promise, expect: (v) => assertSameBits(v, expected, `call ${i}`) });
    }
    const settled = await Promise.allSettled(calls.map((c) => c.promise));
    settled.forEach((s, i) => {
      const c = calls[i];
      if (c.expect) {
        assert.equal(s.status, 'fulfilled', `call ${i}: ${s.reason?.message}`);
        c.expect(s.value);
      } else {
        assert.equal(s.status, 'rejected', `call ${i}`);
        assert.ok(s.reason instanceof RangeError);
        assert.equal(s.reason.code, codes.outOfRange);
        assert.equal(s.reason.index, c.index);
      }
    });
    const stats = busy.stats();
    assert.equal(stats.completed + stats.failed, 1000);
    assert.equal(stats.failed, calls.filter((c) => !c.expect).length);
    assert.equal(stats.queueSize, 0);
    assert.equal(stats.running, 0);
    assert.ok(stats.utilization > 0 && stats.utilization <= 1, `utilization ${stats.utilization}`);
    assert.ok(stats.threads >= 1 && stats.threads <= 2);
  } finally {
    await busy.close();
  }
});

test('pool and call options are validated with typed errors', () => {
  assertTypedError(() => createRewardPool({ threads: 0 }), RangeError, codes.outOfRange, 'threads');
  assertTypedError(() => createRewardPool({ threads: 1.5 }), RangeError, codes.outOfRange, 'threads');
  assertTypedError(() => createRewardPool({ maxQueue: -1 }), RangeError, codes.outOfRange, 'maxQueue');
  assertTypedError(() => createRewardPool({ idleTimeout: '1s' }), TypeError, codes.invalidType, 'idleTimeout');
  assertTypedError(() => createRewardPool(3), TypeError, codes.invalidType, 'options');
  assertTypedError(() => pool.with({ signal: { aborted: false } }), TypeError, codes.invalidType, 'signal');
  assertTypedError(() => pool.with({ transfer: 1 }), TypeError, codes.invalidType, 'transfer');
});
