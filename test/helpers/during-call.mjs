// Child-process scenarios of test/inputs-during-call.test.mjs: each one attacks the inputs of
// kernel calls while they run and would crash the process (SIGSEGV, heap corruption) if native code
// read memory the caller took away or changed. Each prints one line per check and exits 0.
// The children run with UV_THREADPOOL_SIZE=1, so holdThreadpool() decides when async calls start.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, read, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import * as ig from '../../dist/index.js';
import { kernelInputs, plain, resizable, shared } from './kernel-inputs.mjs';

/** Two results equal bit for bit (typed arrays by bytes, so NaN payloads count). */
export function assertSameBits(actual, expected, what) {
  if (ArrayBuffer.isView(expected)) {
    assert.ok(ArrayBuffer.isView(actual), `${what}: not a typed array`);
    const bytes = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    assert.ok(bytes(actual).equals(bytes(expected)), `${what}: differs from the result on untouched inputs`);
  } else if (expected !== null && typeof expected === 'object') {
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: keys`);
    for (const key of Object.keys(expected)) assertSameBits(actual[key], expected[key], `${what}.${key}`);
  } else {
    assert.ok(Object.is(actual, expected), `${what}: ${actual} !== ${expected}`);
  }
}

/**
 * Occupies the only libuv thread with a read of an empty FIFO until release(): async calls made
 * meanwhile queue behind it and start only after what the test does next.
 */
export function holdThreadpool() {
  const dir = mkdtempSync(join(tmpdir(), 'infogain-hold-'));
  const fifo = join(dir, 'hold');
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, 'r+');  // read-write: the open itself does not wait for a writer
  const done = new Promise((resolve) => read(fd, Buffer.alloc(1), 0, 1, null, resolve));
  return async () => {
    writeSync(fd, 'x');
    await done;
    closeSync(fd);
    rmSync(dir, { recursive: true });
  };
}

const expectedResults = () => {
  const inputs = kernelInputs(plain, 3);
  return Object.fromEntries(ig.poolKernels.map((k) => [k, ig[`${k}Sync`](...inputs[k]().args)]));
};

/** Every async kernel, each of its input buffers (resizable) shrunk to 0 bytes right after the call. */
export async function resizeAfterCall() {
  const expected = expectedResults();
  const inputs = kernelInputs(resizable, 3);
  const release = holdThreadpool();
  const calls = ig.poolKernels.map((k) => {
    const { args, integer, float } = inputs[k]();
    const promise = ig[k](...args);
    for (const a of [...integer, ...float]) a.buffer.resize(0);
    return [k, promise];
  });
  await release();
  for (const [k, promise] of calls) {
    assertSameBits(await promise, expected[k], k);
    console.log(`ok ${k}`);
  }
}

/** tokenLogprobs on 64 MiB of logits moved away (mode) and freed while the call waits to start. */
export async function moveAfterCall(mode) {
  const rows = 256, vocab = 65536;
  let data = new Float32Array(rows * vocab).map((_, i) => (i % 13) / 5);
  const targets = Int32Array.from({ length: rows }, (_, r) => (r * 31) % vocab);
  const expected = ig.tokenLogprobsSync({ data, rows, vocab }, targets);
  const release = holdThreadpool();
  const promise = ig.tokenLogprobs({ data, rows, vocab }, targets);
  let freed = false;
  const registry = new FinalizationRegistry(() => (freed = true));
  const buffer = data.buffer;
  if (mode === 'structuredClone') registry.register(structuredClone(buffer, { transfer: [buffer] }), 0);
  else if (mode === 'transfer') registry.register(buffer.transfer(), 0);
  else if (mode === 'postMessage') {
    const worker = new Worker('require("node:worker_threads").parentPort.once("message", () => process.exit(0))', { eval: true, execArgv: [] });
    worker.postMessage(buffer, [buffer]);
    await new Promise((resolve) => worker.once('exit', resolve));
    freed = true;  // the worker's heap, and the buffer with it, is gone
  }
  assert.equal(data.length, 0, 'the input is detached');
  data = null;
  for (let i = 0; i < 100 && !freed; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(freed, 'the moved buffer was collected');
  for (let i = 0; i < 5; i++) globalThis.gc();  // its memory returned to the allocator
  await release();
  assertSameBits(await promise, expected, mode);
  console.log(`ok ${mode}`);
}

/** The pool copies or moves the inputs when the call is made: shrinking them afterwards is harmless. */
export async function poolResizeAfterCall() {
  const expected = expectedResults();
  const inputs = kernelInputs(resizable, 3);
  const pool = ig.createRewardPool({ threads: 1 });
  try {
    for (const transfer of [false, true]) {
      const calls = ig.poolKernels.map((k) => {
        const { args, integer, float } = inputs[k]();
        const promise = pool.with({ transfer })[k](...args);
        for (const a of [...integer, ...float]) if (a.buffer.byteLength > 0) a.buffer.resize(0);  // moved ones are detached already
        return [k, promise];
      });
      for (const [k, promise] of calls) assertSameBits(await promise, expected[k], `pool ${k}`);
      console.log(`ok pool transfer=${transfer}`);
    }
  } finally {
    await pool.close();
  }
}

// Values that make a checked integer input dangerous to use: far past any length, negative, and
// ascending past every bound (offsets that still look ordered).
const hostile = [(i) => (i === 0 ? 0 : 2 ** 30), () => -(2 ** 30), (i) => i * 65536];

/** Async calls whose integer inputs (in a SharedArrayBuffer) the caller overwrites right after. */
export async function overwriteAfterCall() {
  const expected = expectedResults();
  for (const [p, pattern] of hostile.entries()) {
    const inputs = kernelInputs(shared, 3);
    const release = holdThreadpool();
    const calls = ig.poolKernels.map((k) => {
      const { args, integer } = inputs[k]();
      const promise = ig[k](...args);
      for (const a of integer) for (let i = 0; i < a.length; i++) a[i] = pattern(i);
      return [k, promise];
    });
    await release();
    for (const [k, promise] of calls) assertSameBits(await promise, expected[k], `${k} (pattern ${p})`);
    console.log(`ok pattern ${p}`);
  }
}

// The writer thread of hammer(): rewrites every input it was given, alternating the valid values and
// a hostile pattern (integers) or NaN / Infinity / +-3e38 (floats), until told to stop.
const writer = `
const { workerData } = require('node:worker_threads');
const { stop, integer, float } = workerData;
const validInteger = integer.map((a) => a.slice()), validFloat = float.map((a) => a.slice());
const hostile = [(i) => (i === 0 ? 0 : 2 ** 30), () => -(2 ** 30), (i) => i * 65536];
const bad = [NaN, Infinity, -Infinity, 3e38, -3e38];
for (let round = 0; Atomics.load(stop, 0) === 0; round++) {
  const pattern = hostile[round % hostile.length];
  integer.forEach((a, k) => { for (let i = 0; i < a.length; i++) a[i] = pattern(i); a.set(validInteger[k]); });
  float.forEach((a, k) => { for (let i = round % 7; i < a.length; i += 7) a[i] = bad[i % bad.length]; a.set(validFloat[k]); });
}
`;

/**
 * Every kernel, sync, async and through the pool (whose workers read shared inputs in place), and
 * ShapleyEstimator.observe, while a worker rewrites their shared inputs.
 */
export async function hammer(millisecondsPerKernel) {
  const inputs = kernelInputs(shared, 64);
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const names = [...ig.poolKernels, 'observe'];
  const prepared = names.map((k) => [k, inputs[k]()]);
  const integer = prepared.flatMap(([, p]) => p.integer), float = prepared.flatMap(([, p]) => p.float);
  const worker = new Worker(writer, { eval: true, execArgv: [], workerData: { stop, integer, float } });
  const pool = ig.createRewardPool({ threads: 2 });
  const outcome = { ok: 0, typedError: 0 };
  const settle = async (call) => {
    try {
      await call();
      outcome.ok++;
    } catch (e) {
      assert.ok(typeof e.code === 'string' && e.code.startsWith('ERR_') && e.code !== ig.codes.worker, `not a typed input error: ${e.stack}`);
      outcome.typedError++;
    }
  };
  try {
    for (const [k, p] of prepared) {
      const returned = outcome.ok;
      const end = performance.now() + millisecondsPerKernel;
      while (performance.now() < end) {
        if (k === 'observe') {
          const e = new ig.ShapleyEstimator({ players: 2, budget: 4 });
          e.nextBatch();
          await settle(() => e.observe(p.masks, p.values));
          continue;
        }
        await settle(() => ig[`${k}Sync`](...p.args));
        await Promise.all([settle(() => ig[k](...p.args)), settle(() => ig[k](...p.args)), settle(() => pool[k](...p.args))]);
      }
      assert.ok(outcome.ok > returned, `${k}: no call returned a result`);  // the writer lets some through
      console.log(`ok ${k}`);
    }
  } finally {
    Atomics.store(stop, 0, 1);
    await new Promise((resolve) => worker.once('exit', resolve));
    await pool.close();
  }
  console.log(`calls: ${outcome.ok} returned, ${outcome.typedError} typed errors`);
}

/**
 * Direct calls of the binding (no TypeScript layer in between) whose options object has a getter
 * that shrinks an input the binding already unpacked: a TypeError, never a read of unmapped memory.
 */
export async function getterDetach() {
  const { native } = await import('../../dist/native.js');
  const b = native();
  const logits = () => ({ data: resizable(Float32Array, Array.from({ length: 64 }, (_, i) => i % 5)), rows: 8, vocab: 8, dtype: 0 });
  const shrinking = (view, rest = {}) => ({ ...rest, get temperature() { view.buffer.resize(0); return 1; } });
  const calls = {
    tokenLogprobsSync: () => { const l = logits(); return [l, new Int32Array(8), shrinking(l.data), 'logits']; },
    klDivergenceSync: () => { const p = logits(); return [p, logits(), shrinking(p.data), 'p']; },
    logRatioSync: () => { const a = resizable(Float32Array, [-1, -2]); return [a, Float32Array.of(-1, -1), { get estimator() { a.buffer.resize(0); return 0; } }, 'logpA']; },
  };
  for (const [name, make] of Object.entries(calls)) {
    const [x, y, options, argument] = make();
    assert.throws(() => b[name](x, y, options), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE' && e.argument === argument);
    console.log(`ok ${name}`);
  }
}
