// configure() while calls run (test/RELIABILITY.md, finding 13.11): a call runs under the instruction
// set and thread count in force when it was made, so one result never mixes two of them. The
// SIMD kernels round differently per ISA (about 5e-7), so a mixed result differs from both pure ones.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { backends, configure, klDivergence, klDivergenceSync, tokenLogprobs, tokenLogprobsSync } from '../dist/index.js';

const start = backends().cpu;
after(() => configure({ isa: start.isa, threads: start.threads }));
const isas = ['scalar', 'avx2', 'avx512'].slice(0, ['scalar', 'avx2', 'avx512'].indexOf(start.detectedIsa) + 1);
const [low, high] = [isas[0], isas.at(-1)];
const skip = isas.length < 2 && 'this CPU has only the scalar kernels';

const rows = 256, vocab = 32768;
const logits = { data: Float32Array.from({ length: rows * vocab }, (_, i) => Math.sin(i * 0.37) * 9), rows, vocab };
const other = { data: Float32Array.from({ length: rows * vocab }, (_, i) => Math.cos(i * 0.11) * 7), rows, vocab };
const targets = Int32Array.from({ length: rows }, (_, r) => (r * 977) % vocab);
const kernels = {
  tokenLogprobs: [tokenLogprobs, tokenLogprobsSync, [logits, targets, { entropy: true }]],
  klDivergence: [klDivergence, klDivergenceSync, [logits, other, {}]],
};

const bytes = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const same = (a, b) => Object.keys(b).every((k) => bytes(a[k]).equals(bytes(b[k])));

/** The result of `sync` on one ISA, for each ISA; the pure results must differ for the test to mean anything. */
function pureResults(sync, args) {
  const out = {};
  for (const isa of [low, high]) {
    configure({ isa, threads: 2 });
    out[isa] = sync(...args);
  }
  assert.ok(!same(out[low], out[high]), `${low} and ${high} give the same bits: nothing to detect`);
  return out;
}

describe('a call keeps the ISA and thread count it started with (finding 13.11)', { skip }, () => {
  for (const [name, [async, sync, args]] of Object.entries(kernels)) {
    test(`${name}: async, configure() toggled on the main thread while it runs`, async () => {
      const pure = pureResults(sync, args);
      for (const isa of [low, high]) {
        configure({ isa, threads: 2 });
        let done = false;
        const promise = async(...args).finally(() => (done = true));
        const flip = isa === low ? high : low;
        for (let i = 0; !done && i < 200; i++) {  // the event loop turns between bursts, so `done` updates
          const end = performance.now() + 2;
          for (let k = 0; performance.now() < end; k++) configure(k % 2 ? { isa, threads: 2 } : { isa: flip, threads: 1 });
          configure({ isa: flip, threads: 1 });
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.ok(same(await promise, pure[isa]), `${name} made under ${isa} is not the pure ${isa} result`);
      }
    });

    test(`${name}: sync, configure() toggled by a worker thread meanwhile`, async () => {
      const pure = pureResults(sync, args);
      const stop = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(
        `const { workerData: { stop, isas, url } } = require('node:worker_threads');
         const { configure } = require(url);
         for (let k = 0; Atomics.load(stop, 0) === 0; k++) configure({ isa: isas[k % 2], threads: 1 + (k % 2) });`,
        { eval: true, workerData: { stop, isas: [low, high], url: new URL('../dist/index.js', import.meta.url).pathname } },
      );
      await new Promise((resolve) => worker.once('online', resolve));
      try {
        const seen = new Set();
        for (let i = 0; i < 10; i++) {
          const r = sync(...args);
          const which = [low, high].find((isa) => same(r, pure[isa]));
          assert.ok(which, `${name} call ${i} matches neither pure result: it mixed instruction sets`);
          seen.add(which);
        }
      } finally {
        Atomics.store(stop, 0, 1);
        await new Promise((resolve) => worker.once('exit', resolve));
      }
    });
  }
});
