// The reward pool's control flow: user reward modules, AbortSignal, the bounded queue,
// close() and destroy(), and a worker that dies mid-call.
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { relative } from 'node:path';
import { describe, test } from 'node:test';

import { codes, createRewardPool, tokenLogprobsSync } from '../dist/index.js';
import { assertSameBits, flags, isDetachedView, rejection, release, rewardsCjsPath, rewardsPath, rewardsUrl, started } from './helpers/pool.mjs';

/** A pool for one test, closed (or destroyed) when the test ends. */
async function withPool(options, fn) {
  const pool = createRewardPool(options);
  try {
    await fn(pool);
  } finally {
    await pool.destroy();
  }
}

const small = () => ({ logits: { data: Float32Array.from({ length: 40 }, (_, i) => Math.cos(i)), rows: 4, vocab: 10 }, targets: new Int32Array([1, 2, 3, 4]) });

describe('user reward modules', () => {
  test('run(module, fn, args) settles with the awaited result; ESM and CommonJS; path, relative path, URL', async () => {
    await withPool({ threads: 2 }, async (pool) => {
      assert.equal(await pool.run(rewardsUrl, 'f1', ['the cat sat', 'the cat sat down']), (2 * 1 * 0.75) / 1.75);
      assert.equal(await pool.run(new URL(rewardsUrl), 'sumLater', [[1, 2, 3], 5]), 6);
      assert.equal(await pool.run(rewardsPath, 'f1', ['a', 'a']), 1);
      assert.equal(await pool.run(relative(process.cwd(), rewardsPath), 'f1', ['a', 'b']), 0);
      assert.equal(await pool.run(rewardsCjsPath, 'exactMatch', [' yes', 'yes ']), 1);
      assert.equal(await pool.run(pathToFileURL(rewardsCjsPath), 'exactMatch', ['yes', 'no']), 0);
    });
  });

  test('a module is loaded once per worker', async () => {
    await withPool({ threads: 2 }, async (pool) => {
      const replies = await Promise.all(Array.from({ length: 40 }, () => pool.run(rewardsUrl, 'evaluations')));
      assert.deepEqual(new Set(replies), new Set([1]));
      const threads = new Set(await Promise.all(Array.from({ length: 40 }, () => pool.run(rewardsUrl, 'whichThread'))));
      assert.ok(threads.size >= 1 && threads.size <= 2);
    });
  });

  test('a function that throws: a typed error naming module and function, the original as cause; the pool stays healthy', async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const e = await rejection(pool.run(rewardsUrl, 'fail', ['bad answer format']));
      assert.ok(e instanceof Error);
      assert.equal(e.code, codes.userModule);
      assert.equal(e.module, rewardsUrl);
      assert.equal(e.fn, 'fail');
      assert.match(e.message, /rewards\.mjs: fail threw RangeError: bad answer format/);
      assert.ok(e.cause instanceof RangeError);
      assert.equal(e.cause.code, 'ERR_MY_REWARD');
      assert.equal(e.cause.step, 3);
      assert.match(e.cause.stack, /rewards\.mjs/);
      const s = await rejection(pool.run(rewardsUrl, 'throwString'));
      assert.equal(s.code, codes.userModule);
      assert.match(s.message, /threw a plain string/);
      assert.equal(await pool.run(rewardsUrl, 'f1', ['x', 'x']), 1);
      const { logits, targets } = small();
      assertSameBits(await pool.tokenLogprobs(logits, targets), tokenLogprobsSync(logits, targets), 'after a failure');
      assert.equal(pool.stats().failed, 2);
      assert.equal(pool.stats().completed, 2);
    });
  });

  test('a missing module, a missing export, an unsendable result: typed errors', async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const missing = await rejection(pool.run('/nonexistent/reward.mjs', 'f1'));
      assert.equal(missing.code, codes.userModule);
      assert.match(missing.message, /could not be loaded/);
      const noExport = await rejection(pool.run(rewardsUrl, 'nope'));
      assert.equal(noExport.code, codes.userModule);
      assert.match(noExport.message, /nope is not an exported function/);
      const fnResult = await rejection(pool.run(rewardsUrl, 'returnsFunction'));
      assert.equal(fnResult.code, codes.userModule);
      assert.match(fnResult.message, /cannot be sent to another thread/);
      assert.equal(await pool.run(rewardsUrl, 'f1', ['x', 'x']), 1);
    });
  });

  test('bad run() arguments reject with typed errors', async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const cases = [
        [() => pool.run(42, 'f1'), TypeError, codes.invalidType, 'module'],
        [() => pool.run('https://example.com/r.mjs', 'f1'), RangeError, codes.outOfRange, 'module'],
        [() => pool.run(new URL('https://example.com/r.mjs'), 'f1'), RangeError, codes.outOfRange, 'module'],
        [() => pool.run('http://[not a url', 'f1'), RangeError, codes.outOfRange, 'module'],
        [() => pool.run(rewardsUrl, ''), TypeError, codes.invalidType, 'fn'],
        [() => pool.run(rewardsUrl, 'f1', 'a b'), TypeError, codes.invalidType, 'args'],
        [() => pool.run(rewardsUrl, 'f1', [() => 1]), TypeError, codes.invalidType, 'args'],
      ];
      for (const [call, Class, code, argument] of cases) {
        const e = await rejection(call());
        assert.ok(e instanceof Class, `${argument}: ${e}`);
        assert.equal(e.code, code);
        assert.equal(e.argument, argument);
      }
    });
  });

  test('an error a worker raises between calls is counted, not thrown at the caller; the pool goes on', async () => {
    // with Atomics off, an idle worker's event loop runs, so the stray timer fires between calls
    // (workers copy the environment when they start: on the first call)
    process.env.PISCINA_DISABLE_ATOMICS = '1';
    const pool = createRewardPool({ threads: 1 });
    try {
      const returned = pool.run(rewardsUrl, 'throwLater', [20]);
      delete process.env.PISCINA_DISABLE_ATOMICS;
      assert.equal(await returned, 'returned');
      for (let i = 0; pool.stats().workerErrors === 0 && i < 400; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(pool.stats().workerErrors, 1);
      assert.equal(await pool.run(rewardsUrl, 'f1', ['x', 'x']), 1);
    } finally {
      delete process.env.PISCINA_DISABLE_ATOMICS;
      await pool.destroy();
    }
  });

  test('a worker that exits mid-call: ERR_INFOGAIN_WORKER, and the pool replaces it', async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const e = await rejection(pool.run(rewardsUrl, 'exitWorker'));
      assert.equal(e.code, codes.worker);
      assert.match(e.message, /worker stopped/);
      assert.equal(await pool.run(rewardsUrl, 'f1', ['x', 'x']), 1);
    });
  });
});

describe('AbortSignal', () => {
  test('aborted before the call: AbortError, the task never runs', async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const f = flags(), c = new AbortController();
      c.abort(new Error('changed my mind'));
      const e = await rejection(pool.with({ signal: c.signal }).run(rewardsUrl, 'count', [f]));
      assert.equal(e.name, 'AbortError');
      assert.equal(e.code, codes.aborted);
      assert.equal(e.cause.message, 'changed my mind');
      assert.equal(await pool.run(rewardsUrl, 'count', [f]), 1, 'only the second call ran');
    });
  });

  test('aborted while queued: AbortError at once, the task never runs', async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const gate = flags(), f = flags(), c = new AbortController();
      const blocker = pool.run(rewardsUrl, 'block', [gate]);
      await started(gate);
      const queued = pool.with({ signal: c.signal }).run(rewardsUrl, 'count', [f]);
      assert.equal(pool.stats().queueSize, 1);
      c.abort();
      assert.equal((await rejection(queued)).name, 'AbortError');
      assert.equal(pool.stats().queueSize, 0);
      release(gate);
      assert.equal(await blocker, 'released');
      assert.equal(Atomics.load(f, 0), 0, 'the aborted task never ran');
    });
  });

  test('many calls queued on one signal: one listener on it (no leak warning), all abort at once, the rest still run', async () => {
    await withPool({ threads: 1, maxQueue: 64 }, async (pool) => {
      const warnings = [];
      const onWarning = (w) => warnings.push(w.name);
      process.on('warning', onWarning);
      try {
        const gate = flags(), c = new AbortController();
        const blocker = pool.run(rewardsUrl, 'block', [gate]);
        await started(gate);
        const shared = Array.from({ length: 30 }, () => pool.with({ signal: c.signal }).run(rewardsUrl, 'count', [flags()]));
        const other = pool.run(rewardsUrl, 'count', [flags()]);
        assert.equal(pool.stats().queueSize, 31);
        c.abort();
        for (const call of shared) assert.equal((await rejection(call)).name, 'AbortError');
        assert.equal(pool.stats().queueSize, 1);
        release(gate);
        assert.equal(await blocker, 'released');
        await other;
        await new Promise((resolve) => setImmediate(resolve));  // warnings are emitted on the next tick
        assert.deepEqual(warnings.filter((n) => n === 'MaxListenersExceededWarning'), []);
      } finally {
        process.off('warning', onWarning);
      }
    });
  });

  test('aborted while running: the worker is stopped, AbortError, the pool goes on', async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const gate = flags(), c = new AbortController();
      const running = pool.with({ signal: c.signal }).run(rewardsUrl, 'block', [gate]);
      await started(gate);
      const t0 = Date.now();
      c.abort();
      assert.equal((await rejection(running)).name, 'AbortError');
      assert.ok(Date.now() - t0 < 5000, 'rejected without waiting for the task');
      assert.equal(await pool.run(rewardsUrl, 'f1', ['x', 'x']), 1);
    });
  });

  test('large kernel calls aborted mid-computation, in a loop: the worker is stopped mid-kernel, nothing crashes', async () => {
    await withPool({ threads: 2 }, async (pool) => {
      const rows = 128, vocab = 151936;
      const data = new Float32Array(new SharedArrayBuffer(rows * vocab * 4));
      for (let i = 0; i < data.length; i += 97) data[i] = Math.sin(i);
      const targets = new Int32Array(new SharedArrayBuffer(rows * 4));
      for (let i = 0; i < 12; i++) {
        const c = new AbortController();
        const p = pool.with({ signal: c.signal }).tokenLogprobs({ data, rows, vocab }, targets, { entropy: true });
        setTimeout(() => c.abort(), 2 + (i % 4) * 8);
        const outcome = await p.then(() => 'finished', (e) => e.name);
        assert.ok(outcome === 'finished' || outcome === 'AbortError', outcome);
      }
      const expected = tokenLogprobsSync({ data, rows, vocab }, targets, { entropy: true });
      assertSameBits(await pool.tokenLogprobs({ data, rows, vocab }, targets, { entropy: true }), expected, 'after the aborts');
    });
  });
});

test('stats: utilization counts the time workers spend on calls', async () => {
  const created = performance.now();
  await withPool({ threads: 1 }, async (pool) => {
    assert.equal(pool.stats().utilization, 0);
    assert.equal(await pool.run(rewardsUrl, 'busy', [300]), 300);
    const { utilization, completed, failed, queueSize, running } = pool.stats();
    const lowest = 300 / (performance.now() - created);
    assert.ok(utilization >= lowest && utilization <= 1, `utilization ${utilization}, at least ${lowest}`);
    assert.deepEqual({ completed, failed, queueSize, running }, { completed: 1, failed: 0, queueSize: 0, running: 0 });
  });
});

describe('backpressure, close and destroy', () => {
  test('a full queue rejects with ERR_INFOGAIN_QUEUE_FULL and moves nothing; the queued calls complete', async () => {
    await withPool({ threads: 1, maxQueue: 2 }, async (pool) => {
      const gate = flags();
      const blocker = pool.run(rewardsUrl, 'block', [gate]);
      await started(gate);
      const queued = [pool.run(rewardsUrl, 'f1', ['a', 'a']), pool.run(rewardsUrl, 'f1', ['a', 'b'])];
      assert.equal(pool.stats().queueSize, 2);
      const { logits, targets } = small();
      const full = await rejection(pool.with({ transfer: true }).tokenLogprobs(logits, targets));
      assert.equal(full.code, codes.queueFull);
      assert.ok(!isDetachedView(logits.data) && !isDetachedView(targets), 'a refused call leaves the buffers attached');
      const stats = pool.stats();
      assert.equal(stats.queueSize, 2);
      assert.equal(stats.running, 1);
      release(gate);
      assert.deepEqual(await Promise.all([blocker, ...queued]), ['released', 1, 0]);
      assertSameBits(await pool.tokenLogprobs(logits, targets), tokenLogprobsSync(logits, targets), 'after the queue drained');
    });
  });

  test('maxQueue 0: a call waits for no one; it runs when a worker is free, else it is refused', async () => {
    await withPool({ threads: 1, maxQueue: 0 }, async (pool) => {
      const gate = flags();
      const blocker = pool.run(rewardsUrl, 'block', [gate]);
      await started(gate);
      assert.equal((await rejection(pool.run(rewardsUrl, 'f1', ['a', 'a']))).code, codes.queueFull);
      release(gate);
      assert.equal(await blocker, 'released');
      assert.equal(await pool.run(rewardsUrl, 'f1', ['a', 'a']), 1);
    });
  });

  test('close() refuses new calls and drains queued and running ones', async () => {
    const pool = createRewardPool({ threads: 1 });
    const gate = flags();
    const blocker = pool.run(rewardsUrl, 'block', [gate]);
    await started(gate);
    const queued = pool.run(rewardsUrl, 'sumLater', [[1, 2], 1]);
    const closing = pool.close();
    assert.equal((await rejection(pool.run(rewardsUrl, 'f1', ['a', 'a']))).code, codes.poolClosed);
    release(gate);
    assert.equal(await blocker, 'released');
    assert.equal(await queued, 3);
    await closing;
    assert.equal(pool.stats().threads, 0);
  });

  test('destroy() stops at once: running and queued calls reject with ERR_INFOGAIN_POOL_CLOSED', async () => {
    const pool = createRewardPool({ threads: 1 });
    const gate = flags();
    const running = pool.run(rewardsUrl, 'block', [gate]);
    await started(gate);
    const queued = rejection(pool.run(rewardsUrl, 'f1', ['a', 'a']));
    const stopped = rejection(running);
    await pool.destroy();
    assert.equal((await stopped).code, codes.poolClosed);
    assert.equal((await queued).code, codes.poolClosed);
    assert.equal((await rejection(pool.run(rewardsUrl, 'f1', ['a', 'a']))).code, codes.poolClosed);
    assert.equal(pool.stats().threads, 0);
  });
});
