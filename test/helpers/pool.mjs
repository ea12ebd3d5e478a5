// Helpers of the reward-pool tests.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

export const rewardsUrl = new URL('../fixtures/rewards.mjs', import.meta.url).href;
export const rewardsPath = fileURLToPath(rewardsUrl);
export const rewardsCjsPath = fileURLToPath(new URL('../fixtures/rewards.cjs', import.meta.url));

const bytes = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Two results with the same keys and every output array equal bit for bit. */
export function assertSameBits(actual, expected, what) {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: keys`);
  for (const key of Object.keys(expected)) {
    assert.equal(actual[key].constructor, expected[key].constructor, `${what}: ${key} type`);
    assert.ok(bytes(actual[key]).equals(bytes(expected[key])), `${what}: ${key} differs from the sync result`);
  }
}

/** The same typed array in a SharedArrayBuffer. */
export function shared(view) {
  const copy = new view.constructor(new SharedArrayBuffer(view.byteLength));
  copy.set(view);
  return copy;
}

/** Counters in shared memory: [starts, release]. */
export function flags() {
  return new Int32Array(new SharedArrayBuffer(8));
}

/** Resolves once flags[0] >= n (a blocking task has started). */
export async function started(f, n = 1) {
  for (let i = 0; Atomics.load(f, 0) < n; i++) {
    if (i > 2000) throw new Error('the task never started');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function release(f) {
  Atomics.store(f, 1, 1);
  Atomics.notify(f, 1);
}

export function isDetachedView(v) {
  return v.length === 0 && v.byteLength === 0 && v.buffer.byteLength === 0;
}

/** The error a promise rejects with (fails when it fulfils). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}
