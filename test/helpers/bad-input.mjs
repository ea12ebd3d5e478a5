// One row of a bad-input table: the Sync form throws the typed error (its argument and first bad
// index) and writes none of its inputs; the async form rejects with the same class and code.
import assert from 'node:assert/strict';

import * as ig from '../../dist/index.js';
import { assertRejects, assertTypedError } from './assert.mjs';

/** Typed arrays among the arguments and one level into the objects among them. */
function views(args) {
  return args.flatMap((x) => (ArrayBuffer.isView(x) ? [x] : x && typeof x === 'object' ? Object.values(x).filter(ArrayBuffer.isView) : []));
}

export async function checkBadInput(name, args, Class, code, argument, index) {
  const a = args();
  const inputs = views(a), before = inputs.map((v) => v.slice());
  const e = assertTypedError(() => ig[`${name}Sync`](...a), Class, code, argument);
  if (index !== undefined) assert.equal(e.index, index, `index of: ${e.message}`);
  inputs.forEach((v, k) => assert.deepEqual(v, before[k], 'input untouched'));
  await assertRejects(ig[name](...args()), Class, code);
}
