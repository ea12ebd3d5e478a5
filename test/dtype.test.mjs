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

/** x rounded to nearest even among the 16-bit values `values` (sorted, finite, from allBits), by float64 arithmetic. */
function nearestEven(x, sorted) {
  let lo = 0, hi = sorted.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].v <= x) lo = mid;
    else hi = mid;
  }
  const a = sorted[lo], b = sorted[hi], da = x - a.v, db = b.v - x;
  return da < db || (da === db && (a.bits & 1) === 0) ? a.bits : b.bits;
}

for (const [name, to, from] of [['float16', toFloat16, fromFloat16], ['bfloat16', toBFloat16, fromBFloat16]]) {
  test(`${name}: float64 numbers round once, to nearest even (no float32 rounding in between)`, () => {
    const wide = from(allBits);
    const sorted = [];
    for (let h = 0; h < 65536; h++) if (Number.isFinite(wide[h]) && !Object.is(wide[h], -0)) sorted.push({ v: wide[h], bits: h });
    sorted.sort((a, b) => a.v - b.v);
    const maxFinite = sorted[sorted.length - 1].v;
    // halfway points between neighbours, nudged by 2^-40 relative either way (float32 cannot hold
    // the nudge: rounding to float32 first lands on the halfway point, then on the even side)
    let checked = 0;
    for (let k = 0; k + 1 < sorted.length; k += 7) {
      const [a, b] = [sorted[k], sorted[k + 1]];
      if (a.v <= 0 || b.v > maxFinite / 2) continue;
      const half = (a.v + b.v) / 2;
      for (const x of [half * (1 + 2 ** -40), half * (1 - 2 ** -40), half]) {
        assert.equal(to([x])[0], nearestEven(x, sorted), `${name} of ${x}`);
        assert.equal(to([-x])[0], nearestEven(-x, sorted), `${name} of ${-x}`);
        checked++;
      }
    }
    assert.ok(checked > 2000, `${checked} points`);
  });
}

test('the conversions take numbers only: a string, BigInt, hole or undefined is a TypeError naming its index', () => {
  for (const to of [toFloat16, toBFloat16]) {
    for (const [values, index] of [[[1, '2'], 1], [[1n], 0], [[0, 1, undefined], 2], [[1, , 2], 1], [[Symbol('x')], 0]]) {
      assert.throws(() => to(values), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE' && e.argument === 'values' && e.index === index);
    }
    assert.deepEqual(to([NaN, -0, 1]).length, 3);  // NaN and -0 are numbers
  }
});
