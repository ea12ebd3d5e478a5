// What a caller does to a call's inputs while the call runs must never crash the process
// (test/RELIABILITY.md, findings 13.1 and 13.2; native/node/call_inputs.h has the rules):
// - async calls: input buffers detached (resized to 0, moved by structuredClone, postMessage or
//   ArrayBuffer.prototype.transfer, then freed) before the call reads them;
// - SharedArrayBuffer inputs: integer inputs overwritten with hostile values right after an async
//   call, and every input rewritten by another thread while sync and async calls run.
// Each scenario runs in a child process (test/helpers/during-call.mjs), so a crash fails the test
// instead of killing the suite.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

import { poolKernels } from '../dist/index.js';

const helpers = new URL('./helpers/during-call.mjs', import.meta.url).href;

function child(call, { flags = [], threadpool = 1, timeout = 120_000 } = {}) {
  const script = `import * as s from ${JSON.stringify(helpers)}; await s.${call};`;
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout,
    env: { ...process.env, UV_THREADPOOL_SIZE: String(threadpool) },
  });
  const output = `${r.stdout}\n${r.stderr}`.trim();
  assert.equal(r.signal, null, `the child was killed by ${r.signal}:\n${output}`);
  assert.equal(r.status, 0, `the child exited with ${r.status}:\n${output}`);
  return r.stdout;
}

describe('async calls own their inputs until they settle (finding 13.1)', () => {
  test('every async kernel: input buffers resized to 0 right after the call', () => {
    const out = child('resizeAfterCall()');
    assert.equal(out.match(/^ok /gm)?.length, poolKernels.length, out);
  });

  for (const mode of ['structuredClone', 'postMessage', 'transfer']) {
    test(`tokenLogprobs: 64 MiB of logits moved away by ${mode} and freed before the call starts`, () => {
      const flags = ['--expose-gc'];
      // Node 20 has ArrayBuffer.prototype.transfer behind a V8 flag; later versions ship it
      if (mode === 'transfer' && !ArrayBuffer.prototype.transfer) flags.push('--harmony-rab-gsab-transfer');
      assert.match(child(`moveAfterCall('${mode}')`, { flags }), new RegExp(`^ok ${mode}$`, 'm'));
    });
  }

  test('sync calls of the binding: an input shrunk by a getter while the arguments are read is a TypeError', () => {
    assert.equal(child('getterDetach()').match(/^ok /gm)?.length, 3);
  });

  test('the pool: inputs shrunk right after the call (it copies or moves them when the call is made)', () => {
    assert.match(child('poolResizeAfterCall()', { threadpool: 4 }), /ok pool transfer=true/);
  });
});

describe('SharedArrayBuffer inputs written during a call never corrupt memory (finding 13.2)', () => {
  test('every async kernel: integer inputs overwritten with hostile values right after the call give the untouched result', () => {
    const out = child('overwriteAfterCall()');
    assert.equal(out.match(/^ok pattern/gm)?.length, 3, out);
  });

  test('every kernel (sync, async, the pool) and ShapleyEstimator.observe, while a worker rewrites the inputs', () => {
    const out = child('hammer(150)', { threadpool: 4 });
    assert.equal(out.match(/^ok /gm)?.length, poolKernels.length + 1, out);  // and observe
  });
});
