import assert from 'node:assert/strict';

import { runSeed } from './random.mjs';

/** Every element within atol + rtol * scale[i] of the reference; reports the worst one. */
export function assertClose(actual, expected, { atol, rtol = 0, scale, what }) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Object.is(a, e) || (a === e)) continue;
    if (Number.isNaN(a) || Number.isNaN(e)) assert.fail(`${what}[${i}]: got ${a}, expected ${e} (seed ${runSeed})`);
    const tol = atol + rtol * (scale ? scale[i] : Math.abs(e));
    const excess = Math.abs(a - e) - tol;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0)
    assert.fail(`${what}[${worst}]: got ${actual[worst]}, expected ${expected[worst]}, over tolerance by ${worstExcess} (seed ${runSeed})`);
}

/** A typed error with this class and code; returns it for more checks. */
export function assertTypedError(fn, Class, code, argument) {
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, `expected ${Class.name} ${code}, nothing was thrown`);
  assert.ok(caught instanceof Class, `expected ${Class.name}, got ${caught?.name}: ${caught?.message}`);
  assert.equal(caught.code, code, `code of: ${caught.message}`);
  if (argument !== undefined) assert.equal(caught.argument, argument, `argument of: ${caught.message}`);
  return caught;
}

export async function assertRejects(promise, Class, code) {
  let caught;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Class, `expected a rejection with ${Class.name}, got ${caught}`);
  assert.equal(caught.code, code);
  return caught;
}
