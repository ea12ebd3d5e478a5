// ShapleyEstimator's native memory (test/RELIABILITY.md, finding 13.6): reported to V8 so that
// dropped estimators are collected before they fill the machine, freed at once by dispose() /
// Symbol.dispose, and a disposed estimator is a typed error, never a crash. The memory scenarios run
// in child processes (test/helpers/estimator-memory.mjs) with an RSS bound.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

import { ShapleyEstimator, shapley } from '../dist/index.js';

const helpers = new URL('./helpers/estimator-memory.mjs', import.meta.url).href;

function child(call) {
  const script = `import * as s from ${JSON.stringify(helpers)}; await s.${call};`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 300_000 });
  const output = `${r.stdout}\n${r.stderr}`.trim();
  assert.equal(r.signal, null, `killed by ${r.signal}:\n${output}`);
  assert.equal(r.status, 0, `exit ${r.status}:\n${output}`);
  return r.stdout.match(/^rss (.*)$/m)[1].split(' ').map(Number);
}

function assertDisposed(fn) {
  assert.throws(fn, (e) => e instanceof Error && e.code === 'ERR_INFOGAIN_DISPOSED' && /disposed/.test(e.message));
}

describe('ShapleyEstimator.dispose', () => {
  test('every later use is ERR_INFOGAIN_DISPOSED; dispose() again does nothing', () => {
    const e = new ShapleyEstimator({ players: 3, budget: 8 });
    const masks = e.nextBatch(4);
    e.dispose();
    e.dispose();
    assertDisposed(() => e.nextBatch());
    assertDisposed(() => e.observe(masks, new Float64Array(masks.length)));
    assertDisposed(() => e.estimate());
    assertDisposed(() => e.pending);
    assertDisposed(() => e.done);
    assertDisposed(() => e.method);
  });

  test('[Symbol.dispose] is dispose (for `using`)', () => {
    assert.equal(typeof Symbol.dispose, 'symbol');
    const e = new ShapleyEstimator({ players: 3, budget: 8 });
    e[Symbol.dispose]();
    assertDisposed(() => e.estimate());
  });

  test('shapley() disposes the estimator it drives, after a result and after a throwing valueFn', async () => {
    const estimators = [];
    const original = ShapleyEstimator.prototype.dispose;
    ShapleyEstimator.prototype.dispose = function () {
      estimators.push(this);
      return original.call(this);
    };
    try {
      const r = await shapley(3, (masks) => Float64Array.from(masks, (m) => m.toString(2).split('1').length - 1), { budget: 8 });
      for (const phi of r.phi) assert.ok(Math.abs(phi - 1) < 1e-12, `phi ${r.phi}`);  // v = |S|: phi = 1 each
      await assert.rejects(shapley(3, () => { throw new Error('model down'); }, { budget: 8 }), /model down/);
    } finally {
      ShapleyEstimator.prototype.dispose = original;
    }
    assert.equal(estimators.length, 2);
    for (const e of estimators) assertDisposed(() => e.estimate());
  });
});

// ASan's allocator holds freed memory in quarantine: RSS says nothing about leaks there (test/sanitize.sh)
const skip = /libasan/.test(process.env.LD_PRELOAD ?? '') && "under ASan RSS measures the sanitizer's quarantine";

describe('dropped estimators do not pile up (no explicit GC)', { skip }, () => {
  test('100,000 created and dropped, each alive across event-loop turns: RSS flat', () => {
    // about 23 KB each, 2.3 GB in all; 5,000 alive at a time (115 MB)
    const [early, late] = child('createAndDrop(100000, 5000, 1536)');
    assert.ok(late - early < 64, `RSS grew from ${early} MB (20,000 estimators) to ${late} MB (100,000)`);
  });

  test('20,000 used and disposed in a synchronous loop (460 MB undisposed): RSS flat', () => {
    const [start, end] = child('useAndDispose(20000, 1536)');
    assert.ok(end - start < 64, `RSS grew from ${start} MB to ${end} MB`);
  });
});
