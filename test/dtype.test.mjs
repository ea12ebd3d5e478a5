// float32 <-> float16 / bfloat16 conversions, checked exhaustively over all 65536 bit patterns.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fromBFloat16, fromFloat16, toBFloat16, toFloat16 } from '../dist/index.js';

const allBits = Uint16Array.from({ length: 65536 }, (_, i) => i);

test('float16: every finite value round-trips exactly, NaN stays NaN', () => {
  const wide = fromFloat16(allBits);
  const back = toFloat16(wide);
  for (let h = 0; h < 65536; h++) {
    if (Number.isNaN(wide[h])) assert.ok(Number.isNaN(fromFloat16(back.subarray(h, h + 1))[0]));
    else assert.equal(back[h], h, `bits ${h.toString(16)}`);
  }
  assert.equal(fromFloat16(Uint16Array.of(0x3c00))[0], 1);
  assert.equal(fromFloat16(Uint16Array.of(0x0001))[0], 2 ** -24);
  assert.equal(fromFloat16(Uint16Array.of(0x7bff))[0], 65504);
});

test('float16: rounding to nearest even, overflow to inf, underflow to 0', () => {
  const ulp1 = 2 ** -10;
  assert.equal(toFloat16([1 + ulp1 / 2])[0], 0x3c00);  // tie -> even (1.0)
  assert.equal(toFloat16([1 + (3 * ulp1) / 2])[0], 0x3c02);  // tie -> even (1 + 2 ulp)
  assert.equal(toFloat16([1 + ulp1 * 0.51])[0], 0x3c01);
  assert.equal(toFloat16([65520])[0], 0x7c00);
  assert.equal(toFloat16([-1e6])[0], 0xfc00);
  assert.equal(toFloat16([2 ** -26])[0], 0);
  assert.equal(toFloat16([2 ** -25 * 1.01])[0], 1);
  assert.equal(toFloat16([-Infinity])[0], 0xfc00);
});

test('bfloat16: every value round-trips; rounding to nearest even', () => {
  const wide = fromBFloat16(allBits);
  const back = toBFloat16(wide);
  for (let h = 0; h < 65536; h++) if (!Number.isNaN(wide[h])) assert.equal(back[h], h);
  assert.equal(toBFloat16([1 + 2 ** -8])[0], 0x3f80);  // tie -> even
  assert.equal(toBFloat16([1 + 3 * 2 ** -8])[0], 0x3f82);
  assert.ok(Number.isNaN(fromBFloat16(toBFloat16([NaN]))[0]));
  assert.equal(fromBFloat16(toBFloat16([-Infinity]))[0], -Infinity);
});
