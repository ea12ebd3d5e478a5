// CUDA error paths: a failed device allocation or kernel launch is a typed error carrying CUDA's
// message, the device stays usable, and backend 'auto' falls back to the CPU. The failures are
// injected with INFOGAIN_CUDA_TEST_FAULT (native/cuda/device.cuh) in a child process, so these
// tests run only where a CUDA device is present; without one they are skipped.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { backends } from '../dist/index.js';

const hasDevice = backends().cuda !== null;
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Runs `body` (an async function body that returns JSON-able data) with the fault injected. */
function withFault(fault, body) {
  const script = `const ig = require(${JSON.stringify(dist)});
    (async () => { ${body} })().then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, INFOGAIN_CUDA_TEST_FAULT: fault } });
  return JSON.parse(out.toString());
}

// Error fields of a rejected call, or null.
const settle = `async (p) => p.then(() => null, (e) => ({ name: e.name, code: e.code, message: e.message }))`;

describe('CUDA failures', { skip: hasDevice ? false : 'no CUDA device' }, () => {
  test('an allocation failure is ERR_INFOGAIN_OUT_OF_MEMORY with the CUDA message; the next call succeeds', () => {
    const r = withFault('alloc:1', `
      const settle = ${settle};
      const p = { data: Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i)), rows: 4, vocab: 1024 };
      const q = { data: Float32Array.from({ length: 4096 }, (_, i) => Math.cos(i)), rows: 4, vocab: 1024 };
      const failed = await settle(ig.klDivergence(p, q, { backend: 'cuda' }));
      const again = Array.from((await ig.klDivergence(p, q, { backend: 'cuda' })).values);
      const cpu = Array.from(ig.klDivergenceSync(p, q, { backend: 'cpu' }).values);
      return { failed, again, cpu, cuda: ig.backends().cuda !== null };`);
    assert.equal(r.failed.name, 'Error');
    assert.equal(r.failed.code, 'ERR_INFOGAIN_OUT_OF_MEMORY');
    assert.match(r.failed.message, /cudaErrorMemoryAllocation/);
    assert.equal(r.cuda, true, 'the device stays in service');
    r.again.forEach((v, i) => assert.ok(Math.abs(v - r.cpu[i]) <= 1e-5 + 1e-5 * r.cpu[i]));
  });

  test("a launch failure is ERR_INFOGAIN_CUDA under 'cuda', and 'auto' falls back to the CPU", () => {
    const r = withFault('launch:2', `
      const settle = ${settle};
      const values = Float64Array.from({ length: 1 << 16 }, (_, m) => Math.sqrt(m));  // n = 16: 'auto' takes the GPU
      const failed = await settle(ig.shapleyExact(values, { backend: 'cuda' }));
      const auto = Array.from(await ig.shapleyExact(values));
      const cpu = Array.from(ig.shapleyExactSync(values, { backend: "cpu" }));
      const logits = { data: Float32Array.from({ length: 8 }, (_, i) => i), rows: 2, vocab: 4 };
      const lp = Array.from((await ig.tokenLogprobs(logits, new Int32Array([1, 2]), { backend: 'cuda' })).logprobs);
      return { failed, auto, cpu, lp };`);
    assert.equal(r.failed.code, 'ERR_INFOGAIN_CUDA');
    assert.match(r.failed.message, /cudaErrorLaunchOutOfResources/);
    r.auto.forEach((v, i) => assert.ok(Math.abs(v - r.cpu[i]) <= 1e-9 * (1 + Math.abs(r.cpu[i]))));
    assert.ok(Math.abs(r.lp[0] - (1 - Math.log(Math.exp(0) + Math.exp(1) + Math.exp(2) + Math.exp(3)))) < 1e-5);
  });
});
