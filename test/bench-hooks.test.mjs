// The benchmarks' read floor (native/core/bandwidth.cpp) must read every byte with every strategy:
// a strategy that skipped data would be faster than any kernel and the floor would not be one.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { native } from '../dist/native.js';

test('every read strategy reads every byte (a flipped bit anywhere changes its checksum)', () => {
  const b = native();
  const strategies = b.readStrategies();
  assert.ok(strategies.length >= 1 && strategies.every((s) => typeof s === 'string' && s.length > 0));
  const size = 3 * 2 ** 20 + 777; // pieces of 1 MiB and 256 KiB, a ragged last piece and a tail
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 24;
  // the checksum is the low 32 bits of a 64-bit xor: flip bytes in the low half of their word
  const positions = [0, 1, 3, 8, 511, 512, 4096, 2 ** 18, 2 ** 18 + 8, 2 ** 20 - 8, 2 ** 20, 2 ** 20 + 64, 2 * 2 ** 20 + 3, size - 777, size - 10, size - 1]
    .map((p) => p - (p % 8 < 4 ? 0 : 4));
  for (let k = 0; k < strategies.length; k++) {
    const base = b.readPass(data, k);
    for (const p of positions) {
      data[p] ^= 0x10;
      assert.notEqual(b.readPass(data, k), base, `${strategies[k]}: byte ${p} not read`);
      data[p] ^= 0x10;
    }
    assert.equal(b.readPass(data, k), base, `${strategies[k]}: not deterministic`);
  }
  assert.throws(() => b.readPass(data, strategies.length), (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE');
});
