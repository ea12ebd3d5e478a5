// Every reward-pool call settles, always: close() right after submitting drains, a stopped or dead
// worker strands no queued call, workers that cannot start reject the calls, an abort storm leaves
// nothing pending; and hostile arguments (a Proxy, a throwing getter, an error whose getters throw)
// give typed errors through the pool. Each test has a timeout, so a call that never settles fails
// the test instead of stalling it; the cases that once ended the process with an unsettled await
// (exit 13) run in a child process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { codes, createRewardPool, tokenLogprobsSync } from '../dist/index.js';
import { assertSameBits, flags, rejection, release, rewardsUrl, started } from './helpers/pool.mjs';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'infogain-pool-settle-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const small = () => ({ logits: { data: Float32Array.from({ length: 40 }, (_, i) => Math.sin(i)), rows: 4, vocab: 10 }, targets: new Int32Array([1, 2, 3, 4]) });
const outcomes = (settled) => settled.map((s) => (s.status === 'fulfilled' ? `ok ${s.value}` : s.reason?.code));

/** Runs an ES module script in a child node with `flags`; its stdout is one JSON line. */
function child(script, nodeFlags = []) {
  const file = join(scratch, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeFlags, file], { timeout: 60000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }),
    );
  });
}

describe('every call settles', { timeout: 60000 }, () => {
  test('close() right after submitting, before any worker is up, runs every call (it drains)', async () => {
    const pool = createRewardPool({ threads: 2 });
    const { logits, targets } = small();
    const calls = [pool.run(rewardsUrl, 'f1', ['a b', 'a']), pool.run(rewardsUrl, 'sumLater', [[1, 2], 5]), pool.tokenLogprobs(logits, targets)];
    const closing = pool.close();
    assert.equal((await rejection(pool.run(rewardsUrl, 'f1', ['a', 'a']))).code, codes.poolClosed);
    const [f1, sum, lp] = await Promise.all(calls);
    assert.deepEqual([f1, sum], [2 / 3, 3]);
    assertSameBits(lp, tokenLogprobsSync(logits, targets), 'drained kernel call');
    await closing;
    assert.deepEqual(pool.stats().threads, 0);
    assert.equal(pool.close(), closing, 'close() twice: the same promise');
  });

  test('a running call aborted: its worker is stopped, and the calls queued behind it still run', async () => {
    const pool = createRewardPool({ threads: 1 });
    try {
      const gate = flags(), c = new AbortController();
      const running = pool.with({ signal: c.signal }).run(rewardsUrl, 'block', [gate]);
      await started(gate);
      const queued = [1, 2, 3].map((k) => pool.run(rewardsUrl, 'sumLater', [[k], 0]));
      assert.equal(pool.stats().queueSize, 3);
      c.abort();
      assert.equal((await rejection(running)).name, 'AbortError');
      assert.deepEqual(await Promise.all(queued), [1, 2, 3]);
      const s = pool.stats();
      assert.deepEqual([s.queueSize, s.running, s.completed, s.failed], [0, 0, 3, 1]);
    } finally {
      await pool.destroy();
    }
  });

  test('a worker that runs out of heap in a user module: ERR_INFOGAIN_WORKER, and the queued calls still run', async () => {
    // a child with a small heap (workers inherit it); before the fix the queued calls never
    // settled and the child exited 13 (an unsettled top-level await)
    const { code, stdout, stderr } = await child(`
      import { createRewardPool } from ${JSON.stringify(dist)};
      const pool = createRewardPool({ threads: 1 });
      const calls = [pool.run(${JSON.stringify(rewardsUrl)}, 'exhaustHeap'), ...[1, 2, 3].map((k) => pool.run(${JSON.stringify(rewardsUrl)}, 'sumLater', [[k], 0]))];
      const settled = await Promise.allSettled(calls);
      const s = pool.stats();
      await pool.close();
      console.log(JSON.stringify({ settled: settled.map((x) => x.status === 'fulfilled' ? x.value : [x.reason.code, x.reason.cause?.code]), s }));
    `, ['--max-old-space-size=64']);
    assert.equal(code, 0, `child exited ${code}: ${stderr}`);
    const { settled, s } = JSON.parse(stdout);
    assert.deepEqual(settled, [[codes.worker, 'ERR_WORKER_OUT_OF_MEMORY'], 1, 2, 3]);
    assert.deepEqual([s.queueSize, s.running, s.completed, s.failed], [0, 0, 3, 1]);
  });

  test('workers that cannot start: every call rejects with ERR_INFOGAIN_WORKER naming the cause, none waits forever', async () => {
    // a preload that throws in worker threads only (workers inherit the parent's execArgv)
    const preload = join(scratch, 'no-workers.cjs');
    writeFileSync(preload, "if (!require('node:worker_threads').isMainThread) throw new Error('this worker cannot start');\n");
    const { code, stdout, stderr } = await child(`
      import { createRewardPool } from ${JSON.stringify(dist)};
      const pool = createRewardPool({ threads: 2 });
      const settled = await Promise.allSettled([1, 2, 3, 4, 5].map(() => pool.run(${JSON.stringify(rewardsUrl)}, 'f1', ['a', 'a'])));
      const s = pool.stats();
      await pool.close();
      console.log(JSON.stringify({ settled: settled.map((x) => x.status === 'fulfilled' ? x.value : [x.reason.code, x.reason.cause?.message]), s }));
    `, ['-r', preload]);
    assert.equal(code, 0, `child exited ${code}: ${stderr}`);
    const { settled, s } = JSON.parse(stdout);
    assert.deepEqual(settled, new Array(5).fill([codes.worker, 'this worker cannot start']));
    assert.deepEqual([s.queueSize, s.running, s.failed], [0, 0, 5]);
  });

  test('an abort storm: 20,000 calls, half with AbortSignal.timeout(0), twenty aborted while they run: all settle', async () => {
    const pool = createRewardPool({ threads: 2, maxQueue: 20000 });
    try {
      const calls = [], stopped = [];
      let gate, c;
      for (let i = 0; i < 20000; i++) {
        if (i % 2) {
          calls.push(pool.with({ signal: AbortSignal.timeout(0) }).run(rewardsUrl, 'f1', ['a b', 'a']));
        } else if (i % 2000 < 4) {
          // two calls that block both workers, aborted once both run: both workers are stopped at
          // once (before the fix, nothing restarted a worker and the rest of the queue was stranded)
          if (i % 2000 === 0) (gate = flags()), (c = new AbortController());
          calls.push(pool.with({ signal: c.signal }).run(rewardsUrl, 'block', [gate]));
          stopped.push(i);
          if (i % 2000 === 2) {
            const [g, controller] = [gate, c];
            (async () => {
              while (Atomics.load(g, 0) < 2) await new Promise((resolve) => setTimeout(resolve, 2));
              controller.abort();
            })();
          }
        } else {
          calls.push(pool.run(rewardsUrl, 'f1', ['a b', 'a']));
        }
      }
      const settled = await Promise.allSettled(calls);
      settled.forEach((s, i) => {
        if (stopped.includes(i)) assert.equal(s.reason?.code, codes.aborted, `call ${i}`);
        else if (i % 2 === 0) assert.equal(s.status, 'fulfilled', `call ${i}: ${s.reason?.message}`);
        else if (s.status === 'rejected') assert.equal(s.reason.code, codes.aborted, `call ${i}: ${s.reason.message}`);
      });
      const s = pool.stats();
      assert.deepEqual([s.queueSize, s.running, s.completed + s.failed], [0, 0, 20000]);
      assert.equal(s.failed, settled.filter((x) => x.status === 'rejected').length);
    } finally {
      await pool.destroy();
    }
  });

  test('destroy() while close() drains: the waiting calls reject with ERR_INFOGAIN_POOL_CLOSED and close() resolves', async () => {
    const pool = createRewardPool({ threads: 1 });
    const gate = flags();
    const running = rejection(pool.run(rewardsUrl, 'block', [gate]));
    await started(gate);
    const queued = rejection(pool.run(rewardsUrl, 'f1', ['a', 'a']));
    const closing = pool.close();
    await pool.destroy();
    assert.equal((await running).code, codes.poolClosed);
    assert.equal((await queued).code, codes.poolClosed);
    await closing;
    release(gate);
  });
});

describe('hostile arguments reach the caller as typed errors', { timeout: 60000 }, () => {
  const pool = createRewardPool({ threads: 1 });

  test('a Proxy around a typed array: the ...Sync error (ERR_INVALID_ARG_TYPE naming the argument), not ERR_INFOGAIN_WORKER', async () => {
    const { logits, targets } = small();
    for (const transfer of [false, true]) {
      const e = await rejection(pool.with({ transfer }).tokenLogprobs({ ...logits, data: new Proxy(logits.data.slice(), {}) }, targets.slice()));
      assert.ok(e instanceof TypeError, e.message);
      assert.equal(e.code, codes.invalidType);
      assert.equal(e.argument, 'logits.data');
      const t = await rejection(pool.with({ transfer }).tokenLogprobs(logits, new Proxy(targets.slice(), {})));
      assert.deepEqual([t.code, t.argument], [codes.invalidType, 'targets']);
    }
    const r = await rejection(pool.run(rewardsUrl, 'describeArgs', [new Proxy(new Float32Array(2), {})]));
    assert.deepEqual([r.constructor, r.code, r.argument], [TypeError, codes.invalidType, 'args']);
    const b = await rejection(pool.run(rewardsUrl, 'describeArgs', [new Proxy(new ArrayBuffer(8), {})]));
    assert.deepEqual([b.code, b.argument], [codes.invalidType, 'args']);
  });

  test('a getter that throws: the method returns a promise that rejects with the getter\'s error, it never throws', async () => {
    const { logits, targets } = small();
    const hostile = { ...logits, get data() { throw new Error('data getter'); } };
    let promise;
    assert.doesNotThrow(() => (promise = pool.tokenLogprobs(hostile, targets)));
    assert.equal((await rejection(promise)).message, 'data getter');
    const trap = () => { throw new Error('trap'); };
    assert.doesNotThrow(() => (promise = pool.run(rewardsUrl, 'f1', [new Proxy({}, { ownKeys: trap })])));
    assert.equal((await rejection(promise)).message, 'trap');
    assert.doesNotThrow(() => (promise = pool.with({ transfer: true }).klDivergence(logits, hostile)));
    assert.equal((await rejection(promise)).message, 'data getter');
    assert.equal(pool.stats().running, 0);
  });

  test('a user error whose message and name getters throw, and a thrown Proxy: ERR_INFOGAIN_USER_MODULE', async () => {
    const e = await rejection(pool.run(rewardsUrl, 'throwHostileError'));
    assert.equal(e.code, codes.userModule);
    assert.equal(e.fn, 'throwHostileError');
    assert.match(e.message, /its message could not be read/);
    const p = await rejection(pool.run(rewardsUrl, 'throwProxy'));
    assert.equal(p.code, codes.userModule);
    assert.equal(await pool.run(rewardsUrl, 'f1', ['x', 'x']), 1, 'the pool goes on');
  });

  test('a call option given to the method: ERR_INFOGAIN_UNKNOWN_OPTION pointing at pool.with()', async () => {
    const { logits, targets } = small();
    const c = new AbortController();
    for (const opts of [{ signal: c.signal }, { transfer: true }]) {
      const e = await rejection(pool.tokenLogprobs(logits, targets, opts));
      assert.equal(e.code, codes.unknownOption);
      assert.match(e.message, /pool\.with\(\{ (signal|transfer)/);
    }
    const typo = await rejection(pool.with({}).groupAdvantages(new Float32Array(4), { groupSize: 2, estimater: 'rloo' }));
    assert.deepEqual([typo.code, typo.argument, typo.suggestion], [codes.unknownOption, 'estimater', 'estimator']);
    assert.throws(() => pool.with({ signl: c.signal }), (x) => x.code === codes.unknownOption && x.suggestion === 'signal');
    assert.throws(() => createRewardPool({ thread: 2 }), (x) => x.code === codes.unknownOption && x.suggestion === 'threads');
    await pool.close();
  });
});
