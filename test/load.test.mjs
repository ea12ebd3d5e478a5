// The loader and backends(): what loads, what is reported, and the error when nothing loads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { backends, configure } from '../dist/index.js';
import { assertTypedError } from './helpers/assert.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

test('require() and import both expose the API with the same functions', () => {
  const cjs = createRequire(import.meta.url)('../dist/index.js');
  for (const name of ['tokenLogprobs', 'tokenLogprobsSync', 'backends', 'configure', 'toBFloat16'])
    assert.equal(typeof cjs[name], 'function', name);
});

test('backends() reports the CPU and CUDA status', () => {
  const b = backends();
  assert.ok(['avx512', 'avx2', 'scalar'].includes(b.cpu.isa));
  assert.ok(Number.isInteger(b.cpu.threads) && b.cpu.threads >= 1);
  assert.equal(typeof b.cudaCompiled, 'boolean');
  if (b.cuda !== null) {
    assert.equal(typeof b.cuda.name, 'string');
    assert.ok(b.cuda.memoryBytes > 0);
  }
});

test('configure() changes and validates isa and threads', () => {
  const start = backends().cpu;
  try {
    assert.equal(configure({ threads: 3 }).cpu.threads, 3);
    assert.equal(configure({ isa: 'scalar' }).cpu.isa, 'scalar');
    assertTypedError(() => configure({ threads: 0 }), RangeError, 'ERR_OUT_OF_RANGE', 'threads');
    assertTypedError(() => configure({ isa: 'sse' }), RangeError, 'ERR_OUT_OF_RANGE', 'isa');
    if (start.detectedIsa !== 'avx512')
      assertTypedError(() => configure({ isa: 'avx512' }), RangeError, 'ERR_OUT_OF_RANGE', 'isa');
  } finally {
    configure({ isa: start.isa, threads: start.threads });
  }
});

test('INFOGAIN_ISA and INFOGAIN_THREADS set the starting values', () => {
  const out = execFileSync(process.execPath, ['-p', "JSON.stringify(require('./dist/index.js').backends().cpu)"], {
    cwd: root,
    env: { ...process.env, INFOGAIN_ISA: 'scalar', INFOGAIN_THREADS: '5' },
  });
  const cpu = JSON.parse(out);
  assert.equal(cpu.isa, 'scalar');
  assert.equal(cpu.threads, 5);
});

/** The error of loading a copy of dist/ (no local build, no prebuilt binary beside it) with
 * $INFOGAIN_NATIVE_PATH set to `addon` (written with `contents` first, when given). */
function loadErrorOfCopy(addon, contents) {
  const dir = mkdtempSync(join(tmpdir(), 'infogain-load-'));
  try {
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    if (contents !== undefined) writeFileSync(join(dir, addon), contents);
    const script = `try { require('./dist/index.js').backends() } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`;
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: dir,
      env: { ...process.env, INFOGAIN_NATIVE_PATH: join(dir, addon) },
    });
    return JSON.parse(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a binary that is found but does not load is listed with the reason', () => {
  const { code, message } = loadErrorOfCopy('broken.node', 'not an ELF file');
  assert.equal(code, 'ERR_INFOGAIN_LOAD');
  assert.match(message, /INFOGAIN_NATIVE_PATH: .*broken\.node \((invalid ELF header|.*too short)/);
});

test('when no binary loads, one error lists every attempt and how to build', () => {
  const { code, message } = loadErrorOfCopy('nothing-here.node');
  assert.equal(code, 'ERR_INFOGAIN_LOAD');
  assert.match(message, /INFOGAIN_NATIVE_PATH: .*nothing-here\.node \(not found\)/);
  assert.match(message, /local build: .*build\/Release\/infogain\.node \(not found\)/);
  assert.match(message, /local node-gyp build: .*native\/build\/Release\/infogain\.node \(not found\)/);
  assert.match(message, /prebuilt binary: .*prebuilds\/.*infogain\.node \(not found\)/);
  assert.match(message, /glibc >= 2\.31/);
  assert.match(message, /cmake-js compile --out build/);
  assert.match(message, /node-gyp rebuild --directory=native/);
});

test('the addon loads and computes in a worker thread', async () => {
  const { Worker } = await import('node:worker_threads');
  const code = `
    const { parentPort } = require('node:worker_threads');
    const ig = require(${JSON.stringify(join(root, 'dist/index.js'))});
    const r = ig.tokenLogprobsSync({ data: new Float32Array([0, Math.log(3)]), rows: 1, vocab: 2 }, new Int32Array([1]));
    parentPort.postMessage(r.logprobs[0]);`;
  const w = new Worker(code, { eval: true });
  const value = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.ok(Math.abs(value - Math.log(0.75)) < 1e-6);
  await w.terminate();
});
