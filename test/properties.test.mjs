// Property tests of the bad-input contract at the TypeScript boundary (fast-check): random shapes,
// dtypes, typed-array kinds, detached, shared and offset buffers, spans and group layouts. Every call
// either returns the float64 reference's result or throws the typed error the documented rules
// (docs/*.md) predict, naming the argument and the first bad index; caller buffers are never written.
// INFOGAIN_SEED replays a run; INFOGAIN_PROPERTY_RUNS sets the runs per property (default 200).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import './helpers/poison.mjs';
import * as ig from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import { refGroupAdvantages } from './helpers/advantages-reference.mjs';
import { refDivergence, refLogRatio, refSpans } from './helpers/divergence-reference.mjs';
import { runSeed } from './helpers/random.mjs';
import { refTokenLogprobs } from './helpers/reference.mjs';

const params = { seed: runSeed, numRuns: Number(process.env.INFOGAIN_PROPERTY_RUNS ?? 200), endOnFailure: true, includeErrorInReport: true };
const FLT_MAX = 3.4028234663852886e38;

// ---- where a typed array lives: its own buffer, a SharedArrayBuffer, the middle of a larger
// buffer, or a buffer transferred away (detached)
const placements = ['plain', 'shared', 'offset', 'detached'];
function place(Ctor, values, how) {
  const n = values.length, bytes = Ctor.BYTES_PER_ELEMENT;
  if (how === 'shared') return new Ctor(new SharedArrayBuffer(n * bytes)).fill(0).map((_, i) => values[i]);
  if (how === 'offset') {
    const v = new Ctor(new ArrayBuffer((n + 3) * bytes), 2 * bytes, n);
    v.set(values);
    return v;
  }
  const v = Ctor.from(values);
  if (how === 'detached') {
    structuredClone(v.buffer, { transfer: [v.buffer] });
    detached.add(v);
  }
  return v;
}
const detached = new WeakSet();  // (Node 20 has no ArrayBuffer.prototype.detached)
const isDetached = (v) => detached.has(v);
/** A copy of every byte of the buffers behind the views (the whole buffer: nothing around a view may change either). */
function snapshot(views) {
  return views.map((v) => (ArrayBuffer.isView(v) && !isDetached(v) ? new Uint8Array(v.buffer.slice(0)) : null));
}
function assertUnchanged(views, before, what) {
  views.forEach((v, i) => {
    if (before[i]) assert.deepEqual(new Uint8Array(v.buffer.slice(0)), before[i], `${what}: an input buffer was written`);
  });
}

/** Calls fn; asserts it throws exactly `expected` ({ Class, code, argument, index? }) or returns. */
function outcome(fn, expected, what) {
  let result, error;
  try {
    result = fn();
  } catch (e) {
    error = e;
  }
  if (!expected) {
    if (error) assert.fail(`${what}: expected a result, got ${error.name} ${error.code} (${error.argument}): ${error.message}`);
    return result;
  }
  assert.ok(error, `${what}: expected ${expected.Class.name} ${expected.code} on ${expected.argument}, got a result`);
  assert.ok(error instanceof expected.Class, `${what}: expected ${expected.Class.name}, got ${error.name}: ${error.message}`);
  assert.equal(error.code, expected.code, `${what}: code of "${error.message}"`);
  assert.equal(error.argument, expected.argument, `${what}: argument of "${error.message}"`);
  if (expected.index !== undefined) assert.equal(error.index, expected.index, `${what}: index of "${error.message}"`);
  return undefined;
}
const typeErr = (argument) => ({ Class: TypeError, code: 'ERR_INVALID_ARG_TYPE', argument });
const rangeErr = (code, argument, index) => ({ Class: RangeError, code, argument, index });

// ---- value generators
const logit = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: -640, max: 640 }).map((k) => k / 32) },
  { weight: 2, arbitrary: fc.constant(-Infinity) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -FLT_MAX, 1e4, -1e4) },
);
const logprob = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: -640, max: 0 }).map((k) => k / 32) },
  { weight: 1, arbitrary: fc.constantFrom(-Infinity, NaN, Infinity) },
);
const temperature = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(1, 0.5, 2, 3.5) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, NaN, Infinity, '1') },
);
function temperatureError(t) {
  if (typeof t !== 'number') return typeErr('temperature');
  return Number.isFinite(t) && t > 0 ? null : rangeErr('ERR_OUT_OF_RANGE', 'temperature');
}

/** Logits in a dtype: the values as the kernel sees them (16-bit rounding applied). */
function logitsOf(values, dtype, how) {
  const bits = dtype === 'float32' ? null : dtype === 'float16' ? ig.toFloat16(values) : ig.toBFloat16(values);
  const data = bits ? place(Uint16Array, bits, how) : place(Float32Array, values, how);
  const wide = bits ? ig.toFloat32(bits, dtype) : Float32Array.from(values);
  return { data, wide };
}

/**
 * The first row the kernels reject: NaN or +inf, no finite entry, or (tokenLogprobs, not the KL
 * kernels, which work on differences: docs/divergence.md) a largest logit that overflows / T.
 */
function firstBadRow(wide, rows, vocab, T, skip = () => false, overflowIsBad = true) {
  for (let r = 0; r < rows; r++) {
    if (skip(r)) continue;
    const row = wide.subarray(r * vocab, (r + 1) * vocab);
    const max = Math.max(...row);
    if (row.some((x) => Number.isNaN(x) || x === Infinity) || max === -Infinity || (overflowIsBad && !Number.isFinite(Math.fround(max / T)))) return r;
  }
  return -1;
}

// ---- spans (shared by the divergence kernels and beliefGain)
function spansArb(length) {
  return fc.array(fc.tuple(fc.integer({ min: -1, max: length + 1 }), fc.integer({ min: -1, max: length + 1 })), { maxLength: 4 });
}
/** The documented span rules: the error for the first bad span, or null. */
function spanError(pairs, length, nonEmpty, argument = 'spans') {
  for (let k = 0; k < pairs.length; k++) {
    const [s, e] = pairs[k];
    if (s < 0 || e > length || s > e || (nonEmpty && s === e)) return rangeErr('ERR_OUT_OF_RANGE', argument, k);
  }
  const order = pairs.map((_, k) => k).filter((k) => pairs[k][0] < pairs[k][1]);
  order.sort((a, b) => pairs[a][0] - pairs[b][0] || a - b);
  for (let i = 1; i < order.length; i++)
    if (pairs[order[i]][0] < pairs[order[i - 1]][1]) return rangeErr('ERR_OUT_OF_RANGE', argument, Math.max(order[i], order[i - 1]));
  return null;
}

describe('property: tokenLogprobs', () => {
  test('reference result or the predicted typed error; inputs unchanged', () => {
    const arb = fc
      .record({
        rows: fc.integer({ min: 0, max: 4 }),
        vocab: fc.integer({ min: 1, max: 9 }),
        dtype: fc.constantFrom('float32', 'float16', 'bfloat16'),
        how: fc.constantFrom(...placements),
        targetsHow: fc.constantFrom(...placements),
        temperature,
        ignore: fc.option(fc.constantFrom(-100, 0, 3), { nil: undefined }),
        extraData: fc.constantFrom(0, 0, 0, 0, 0, 0, 1),
        seed: fc.integer(),
      })
      .chain((c) =>
        fc.record({
          c: fc.constant(c),
          values: fc.array(logit, { minLength: c.rows * c.vocab + c.extraData, maxLength: c.rows * c.vocab + c.extraData }),
          targets: fc.array(fc.oneof({ weight: 15, arbitrary: fc.integer({ min: 0, max: c.vocab - 1 }) }, fc.constantFrom(-1, c.vocab, -100)), {
            minLength: c.rows,
            maxLength: c.rows,
          }),
        }),
      );
    fc.assert(
      fc.property(arb, ({ c, values, targets }) => {
        const { data, wide } = logitsOf(values, c.dtype, c.how);
        const t = place(Int32Array, targets, c.targetsHow);
        const options = { temperature: c.temperature, entropy: true, ...(c.ignore === undefined ? {} : { ignoreIndex: c.ignore }) };
        const skip = (r) => targets[r] === c.ignore;
        let expected = null;
        if (isDetached(data)) expected = typeErr('logits.data');
        else if (c.extraData) expected = rangeErr('ERR_INFOGAIN_SHAPE', 'logits.data');
        else if (isDetached(t)) expected = typeErr('targets');
        else expected = temperatureError(c.temperature);
        if (!expected) {
          const bad = targets.findIndex((x, r) => !skip(r) && (x < 0 || x >= c.vocab));
          if (bad >= 0) expected = rangeErr('ERR_OUT_OF_RANGE', 'targets', bad);
        }
        if (!expected) {
          const bad = firstBadRow(wide, c.rows, c.vocab, c.temperature, skip);
          if (bad >= 0) expected = rangeErr('ERR_INFOGAIN_NONFINITE', 'logits', bad);
        }
        const before = snapshot([data, t]);
        const result = outcome(() => ig.tokenLogprobsSync({ data, rows: c.rows, vocab: c.vocab, dtype: c.dtype }, t, options), expected, 'tokenLogprobs');
        assertUnchanged([data, t], before, 'tokenLogprobs');
        if (!result) return;
        const ref = refTokenLogprobs(wide, c.rows, c.vocab, targets.map((x, r) => (skip(r) ? 0 : x)), c.temperature);
        for (let r = 0; r < c.rows; r++) if (skip(r)) ref.logprobs[r] = ref.logsumexp[r] = ref.entropy[r] = 0;
        // float32 outputs: the reference rounded to float32 (-FLT_MAX / T is -Infinity there), and the
        // tolerance of test/logprobs.test.mjs (relative to |logsumexp| + |target logit / T|)
        for (const k of ['logprobs', 'logsumexp', 'entropy']) ref[k] = Float32Array.from(ref[k]);
        const scale = Float64Array.from(ref.logsumexp, (l, r) => 1 + Math.abs(l) + Math.abs(wide[r * c.vocab + targets[r]] / c.temperature || 0));
        assertClose(result.logprobs, ref.logprobs, { atol: 2e-5, rtol: 2e-6, scale, what: 'logprobs' });
        assertClose(result.logsumexp, ref.logsumexp, { atol: 2e-5, rtol: 2e-6, scale, what: 'logsumexp' });
        assertClose(result.entropy, ref.entropy, { atol: 2e-5, rtol: 2e-6, scale, what: 'entropy' });
      }),
      params,
    );
  });
});

describe('property: klDivergence with spans', () => {
  test('reference result or the predicted typed error; inputs unchanged', () => {
    const arb = fc
      .record({
        rows: fc.integer({ min: 0, max: 4 }),
        vocab: fc.integer({ min: 1, max: 8 }),
        qRows: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 1),
        pt: fc.constantFrom('float32', 'float16', 'bfloat16'),
        qt: fc.constantFrom('float32', 'float16', 'bfloat16'),
        pHow: fc.constantFrom(...placements),
        qHow: fc.constantFrom(...placements),
        direction: fc.constantFrom('forward', 'reverse', 'symmetric', 'js'),
        temperature,
        reduce: fc.constantFrom('mean', 'sum'),
      })
      .chain((c) =>
        fc.record({
          c: fc.constant(c),
          p: fc.array(logit, { minLength: c.rows * c.vocab, maxLength: c.rows * c.vocab }),
          q: fc.array(logit, { minLength: (c.rows + c.qRows) * c.vocab, maxLength: (c.rows + c.qRows) * c.vocab }),
          spans: fc.option(spansArb(c.rows), { nil: undefined }),
        }),
      );
    fc.assert(
      fc.property(arb, ({ c, p, q, spans }) => {
        const P = logitsOf(p, c.pt, c.pHow), Q = logitsOf(q, c.qt, c.qHow);
        const spanArray = spans && Int32Array.from(spans.flat());
        let expected = null;
        if (isDetached(P.data)) expected = typeErr('p.data');
        else if (isDetached(Q.data)) expected = typeErr('q.data');
        else if (c.qRows) expected = rangeErr('ERR_INFOGAIN_SHAPE', 'q');
        else expected = temperatureError(c.temperature) ?? (spans ? spanError(spans, c.rows, c.reduce === 'mean') : null);
        if (!expected) {
          for (let r = 0; r < c.rows && !expected; r++) {
            if (firstBadRow(P.wide.subarray(r * c.vocab), 1, c.vocab, c.temperature, undefined, false) === 0) expected = rangeErr('ERR_INFOGAIN_NONFINITE', 'p', r);
            else if (firstBadRow(Q.wide.subarray(r * c.vocab), 1, c.vocab, c.temperature, undefined, false) === 0) expected = rangeErr('ERR_INFOGAIN_NONFINITE', 'q', r);
          }
        }
        const inputs = [P.data, Q.data, spanArray];
        const before = snapshot(inputs);
        const options = { direction: c.direction, temperature: c.temperature, reduce: c.reduce, ...(spans ? { spans: spanArray } : {}) };
        const result = outcome(
          () => ig.klDivergenceSync({ data: P.data, rows: c.rows, vocab: c.vocab, dtype: c.pt }, { data: Q.data, rows: c.rows + c.qRows, vocab: c.vocab, dtype: c.qt }, options),
          expected,
          'klDivergence',
        );
        assertUnchanged(inputs, before, 'klDivergence');
        if (!result) return;
        // float32 semantics (docs/divergence.md): an entry whose distance to its row max, divided by T,
        // leaves float32 has probability 0; and the reference rounded to float32
        const zeroFar = (wide) =>
          wide.map((x, i) => {
            const row = wide.subarray(i - (i % c.vocab), i - (i % c.vocab) + c.vocab);
            return Math.fround((x - Math.max(...row)) / c.temperature) === -Infinity ? -Infinity : x;
          });
        const ref = Float32Array.from(
          refDivergence(zeroFar(P.wide), zeroFar(Q.wide), c.rows, c.vocab, { temperature: c.temperature, direction: c.direction }),
        );
        // float32 accumulation over a handful of entries whose logits reach 1e4 / T
        assertClose(result.values, ref, { atol: 1e-4, rtol: 1e-3, what: `klDivergence ${c.direction}` });
        if (spans) assertClose(result.spanValues, refSpans(result.values, spanArray, c.reduce), { atol: 1e-6, rtol: 1e-6, what: 'spanValues' });
      }),
      params,
    );
  });
});

describe('property: logRatio', () => {
  test('reference result or the predicted typed error; inputs unchanged', () => {
    const arb = fc.record({
      a: fc.array(logprob, { maxLength: 12 }),
      extra: fc.constantFrom(0, 0, 0, 0, 0, 0, 1),
      seedB: fc.array(logprob, { minLength: 13, maxLength: 13 }),
      aHow: fc.constantFrom(...placements),
      bHow: fc.constantFrom(...placements),
      estimator: fc.constantFrom('k1', 'k2', 'k3', 'abs', 'k4'),
      clamp: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, (c) => {
        const b = c.seedB.slice(0, c.a.length + c.extra);
        const A = place(Float32Array, c.a, c.aHow), B = place(Float32Array, b, c.bHow);
        let expected = null;
        if (isDetached(A)) expected = typeErr('logpA');
        else if (isDetached(B)) expected = typeErr('logpB');
        else if (c.extra) expected = rangeErr('ERR_INFOGAIN_SHAPE', 'logpB');
        else if (c.estimator === 'k4') expected = rangeErr('ERR_OUT_OF_RANGE', 'estimator');
        if (!expected) {
          const fa = Float32Array.from(c.a), fb = Float32Array.from(b);
          for (let i = 0; i < fa.length && !expected; i++) {
            const badA = Number.isNaN(fa[i]) || fa[i] === Infinity, badB = Number.isNaN(fb[i]) || fb[i] === Infinity;
            if (badA) expected = rangeErr('ERR_INFOGAIN_NONFINITE', 'logpA', i);
            else if (badB) expected = rangeErr('ERR_INFOGAIN_NONFINITE', 'logpB', i);
            else if (fa[i] === -Infinity && fb[i] === -Infinity) expected = rangeErr('ERR_INFOGAIN_NONFINITE', 'logpA', i);
          }
        }
        const before = snapshot([A, B]);
        const result = outcome(() => ig.logRatioSync(A, B, { estimator: c.estimator, clamp: c.clamp }), expected, 'logRatio');
        assertUnchanged([A, B], before, 'logRatio');
        if (!result) return;
        const ref = refLogRatio(Float32Array.from(c.a), Float32Array.from(b), c.estimator, c.clamp);
        assertClose(result.values, Float32Array.from(ref), { atol: 0, rtol: 0, what: `logRatio ${c.estimator}` });
      }),
      params,
    );
  });
});

describe('property: beliefGain spans and rollouts', () => {
  test('valid layouts give one value per step; bad spans and offsets the documented errors', () => {
    const arb = fc
      .record({ length: fc.integer({ min: 0, max: 8 }), how: fc.constantFrom(...placements) })
      .chain((c) =>
        fc.record({
          c: fc.constant(c),
          logprobs: fc.array(logprob, { minLength: c.length, maxLength: c.length }),
          spans: spansArb(c.length),
          rollouts: fc.option(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 4 }), { nil: undefined }),
          mode: fc.constantFrom('prob', 'logprob'),
        }),
      );
    fc.assert(
      fc.property(arb, ({ c, logprobs, spans, rollouts, mode }) => {
        const L = place(Float32Array, logprobs, c.how), S = Int32Array.from(spans.flat());
        const R = rollouts && Int32Array.from(rollouts);
        let expected = isDetached(L) ? typeErr('logprobs') : spanError(spans, c.length, false);
        if (!expected && R) {
          const steps = spans.length;
          if (R.length === 0) expected = rangeErr('ERR_INFOGAIN_SHAPE', 'rollouts');
          else if (R[0] !== 0) expected = rangeErr('ERR_OUT_OF_RANGE', 'rollouts', 0);
          else {
            const down = R.findIndex((x, k) => k > 0 && x < R[k - 1]);
            if (down >= 0) expected = rangeErr('ERR_OUT_OF_RANGE', 'rollouts', down);
            else if (R[R.length - 1] !== steps) expected = rangeErr('ERR_INFOGAIN_SHAPE', 'rollouts', R.length - 1);
          }
        }
        const inputs = [L, S, R];
        const before = snapshot(inputs);
        const result = outcome(() => ig.beliefGainSync({ logprobs: L, spans: S, rollouts: R, mode }), expected, 'beliefGain');
        assertUnchanged(inputs, before, 'beliefGain');
        if (!result) return;
        assert.equal(result.beliefs.length, spans.length);
        const wide = Float32Array.from(logprobs);
        spans.forEach(([s, e], k) => {
          const v = e > s ? wide.subarray(s, e).reduce((a, x) => a + x, 0) / (e - s) : NaN;
          assert.ok(Object.is(Math.fround(v), result.beliefs[k]) || Math.abs(v - result.beliefs[k]) <= 1e-6 * (1 + Math.abs(v)), `belief ${k}`);
          assert.equal(result.skipped[k], Number.isFinite(v) && Number.isFinite(mode === 'prob' ? Math.exp(v) : v) ? result.skipped[k] : 1);
        });
      }),
      params,
    );
  });
});

describe('property: groupAdvantages groupings', () => {
  test('ragged ids, sparse ids and group sizes: reference result or the predicted typed error', () => {
    const arb = fc
      .record({
        n: fc.integer({ min: 0, max: 10 }),
        how: fc.constantFrom(...placements),
        mode: fc.constantFrom('ids', 'sparse', 'size'),
        estimator: fc.constantFrom('grpo', 'drgrpo', 'rloo', 'reinforce++-baseline'),
        std: fc.constantFrom('unbiased', 'population'),
        groupSize: fc.integer({ min: 0, max: 4 }),
        // a std epsilon: >= 1e-300 keeps a group whose scores are all equal at 0 / eps = 0; 0 and
        // subnormals (0 / 0, an overflowing 1 / eps) are refused
        eps: fc.constantFrom(undefined, undefined, 1e-6, 1e-300, 0, 5e-324, -1),
        whitenEps: fc.constantFrom(undefined, undefined, 1e-8, 1e-300, 0),
      })
      .chain((c) =>
        fc.record({
          c: fc.constant(c),
          scores: fc.array(fc.oneof({ weight: 30, arbitrary: fc.integer({ min: -64, max: 64 }).map((k) => k / 8) }, fc.constantFrom(NaN, Infinity)), {
            minLength: c.n,
            maxLength: c.n,
          }),
          ids: fc.array(fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 3 }) }, fc.constant(-1)), { minLength: c.n, maxLength: c.n }),
        }),
      );
    fc.assert(
      fc.property(arb, ({ c, scores, ids }) => {
        const S = place(Float32Array, scores, c.how);
        const groupIds = c.mode === 'sparse' ? ids.map((g) => (g < 0 ? g : 1_000_000 + g * 7919)) : ids;
        const G = Int32Array.from(groupIds);
        const grouping = c.mode === 'size' ? { groupSize: c.groupSize } : { groups: G };
        let expected = isDetached(S) ? typeErr('scores') : null;
        if (!expected && c.mode === 'size') {
          if (c.groupSize < 1) expected = rangeErr('ERR_OUT_OF_RANGE', 'groupSize');
          else if (c.n % c.groupSize) expected = rangeErr('ERR_INFOGAIN_SHAPE', 'groupSize');
        }
        const effective = c.mode === 'size' ? scores.map((_, i) => Math.floor(i / Math.max(1, c.groupSize))) : groupIds;
        if (!expected && c.eps !== undefined && !(c.eps >= 1e-300)) expected = rangeErr('ERR_OUT_OF_RANGE', 'eps');
        if (!expected && c.whitenEps !== undefined && !(c.whitenEps >= 1e-300)) expected = rangeErr('ERR_OUT_OF_RANGE', 'whitenEps');
        if (!expected && c.n === 0) expected = rangeErr('ERR_INFOGAIN_SHAPE', 'scores');
        if (!expected) {
          const bad = scores.findIndex((x) => !Number.isFinite(x));
          if (bad >= 0) expected = rangeErr('ERR_INFOGAIN_NONFINITE', 'scores', bad);
        }
        if (!expected && c.mode !== 'size') {
          const bad = effective.findIndex((g) => g < 0);
          if (bad >= 0) expected = rangeErr('ERR_OUT_OF_RANGE', 'groups', bad);
        }
        if (!expected && c.estimator === 'reinforce++-baseline' && c.n < 2) expected = rangeErr('ERR_INFOGAIN_SHAPE', 'scores');
        const before = snapshot([S, G]);
        const eps = { ...(c.eps === undefined ? {} : { eps: c.eps }), ...(c.whitenEps === undefined ? {} : { whitenEps: c.whitenEps }) };
        const result = outcome(() => ig.groupAdvantagesSync(S, { ...grouping, estimator: c.estimator, std: c.std, ...eps }), expected, 'groupAdvantages');
        assertUnchanged([S, G], before, 'groupAdvantages');
        if (!result) return;
        assert.ok(result.advantages.every((x) => !Number.isNaN(x)), 'no NaN: a constant group gets 0, whatever eps');
        const ref = refGroupAdvantages(Float32Array.from(scores), effective, { estimator: c.estimator, std: c.std, ...eps });
        assertClose(result.advantages, ref.advantages, { atol: 1e-4, rtol: 1e-4, what: `groupAdvantages ${c.estimator}` });
        assert.deepEqual([...result.groups.ids], ref.groups.ids);
        assert.deepEqual([...result.groups.count], ref.groups.count);
      }),
      params,
    );
  });
});

// Every kernel of the API, with arguments drawn from anything (wrong kinds, wrong lengths, NaN,
// detached buffers, nested garbage): a result or a typed error with a code, never a crash or a
// plain Error, and no input written.
// (the pool's table, lib/pool/kernels.ts: every kernel of the API with a Sync twin)
const kernels = ig.poolKernels.map((name) => `${name}Sync`);
const typedKinds = [Float32Array, Float64Array, Int32Array, Uint32Array, Uint16Array, Uint8Array];
const anyTyped = fc
  .record({ kind: fc.constantFrom(...typedKinds), values: fc.array(fc.integer({ min: -3, max: 8 }), { maxLength: 6 }), how: fc.constantFrom(...placements) })
  .map(({ kind, values, how }) => place(kind, values, how));
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { weight: 4, arbitrary: anyTyped },
    { weight: 1, arbitrary: anyTyped.map((v) => new Proxy(v, {})) },  // passes instanceof, is no typed array
    { weight: 2, arbitrary: fc.constantFrom(0, 1, 2, -1, 0.5, NaN, Infinity, 2 ** 31, 'float32', 'js', 'k3', true, null, undefined) },
    { weight: 2, arbitrary: fc.dictionary(fc.constantFrom('data', 'rows', 'vocab', 'dtype', 'ids', 'logprobs', 'k', 'groups', 'groupSize', 'columns', 'offsets', 'mask', 'spans', 'length', 'actionStart', 'actionEnd', 'obsStart', 'obsEnd', 'scores', 'intrinsic', 'present', 'outcome', 'gains', 'gainOffsets', 'gainEnds', 'entropy', 'advantage', 'stepOffsets', 'rewards', 'references', 'temperature', 'direction', 'backend', 'candidateLogits', 'candidates', 'steps', 'rollouts', 'labels', 'logits', 'qhat', 'uncertainty', 'alpha', 'method', 'entropies', 'delimiters', 'tokens', 'delimiter', 'correctness'), tie('value'), { maxKeys: 5 }) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
  ),
})).value;

function typedViews(x, out = [], depth = 0) {
  if (ArrayBuffer.isView(x)) out.push(x);
  else if (x && typeof x === 'object' && depth < 4) for (const v of Object.values(x)) typedViews(v, out, depth + 1);
  return out;
}

describe('property: any arguments to any kernel', () => {
  for (const name of kernels) {
    test(name, () => {
      fc.assert(
        fc.property(fc.array(anyValue, { maxLength: 4 }), (args) => {
          const views = typedViews(args);
          const before = snapshot(views);
          try {
            ig[name](...args);
          } catch (e) {
            assert.ok(e instanceof TypeError || e instanceof RangeError, `${name}: ${e?.name}: ${e?.message}`);
            assert.match(String(e.code), /^ERR_/, `${name}: code of ${e.message}`);
            assert.equal(typeof e.argument, 'string', `${name}: argument of ${e.message}`);
          }
          assertUnchanged(views, before, name);
        }),
        { ...params, numRuns: Math.max(50, params.numRuns) },
      );
    });
  }
});

// ---- unknown option keys (a misspelt option was a silent default)
const { editDistance } = await import('../dist/validate.js');
/** Sync kernels whose options (or input) object is an argument: valid arguments, where the object is, its keys. */
const optionTables = [
  ['tokenLogprobsSync', () => [{ data: new Float32Array(8), rows: 2, vocab: 4 }, new Int32Array(2), {}], 2, ['temperature', 'entropy', 'ignoreIndex', 'backend']],
  ['klDivergenceSync', () => [{ data: new Float32Array(8), rows: 2, vocab: 4 }, { data: new Float32Array(8), rows: 2, vocab: 4 }, {}], 2, ['direction', 'temperature', 'backend', 'spans', 'reduce']],
  ['logRatioSync', () => [new Float32Array(3), new Float32Array(3), {}], 2, ['estimator', 'clamp', 'spans', 'reduce']],
  ['groupAdvantagesSync', () => [new Float32Array(4), { groupSize: 2 }], 1, ['groups', 'groupSize', 'estimator', 'std', 'eps', 'singleton', 'normalizeByStd', 'whitenEps', 'tokenCounts']],
  ['reinforcePPSync', () => [new Float32Array(4), { columns: 2 }, {}], 2, ['gamma', 'maskGaps', 'whitenEps']],
  ['broadcastToTokensSync', () => [new Float32Array(2), { columns: 2 }], 1, ['columns', 'offsets', 'mask']],
  ['beliefGainSync', () => [{ logprobs: new Float32Array(2), spans: Int32Array.of(0, 2) }], 0, ['logprobs', 'spans', 'rollouts', 'mode']],
  ['sarRewardsSync', () => [new Float32Array(2), new Float32Array(2), {}], 2, ['useLog', 'useDenominator', 'useComparison', 'clipValue']],
  ['shapleyExactSync', () => [new Float64Array(4), {}], 1, ['index', 'backend']],
];
const edit = fc.record({ kind: fc.constantFrom('insert', 'delete', 'substitute', 'swap', 'case'), at: fc.nat(), ch: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_') });
function mutate(key, { kind, at, ch }) {
  const i = at % key.length;
  if (kind === 'insert') return key.slice(0, i) + ch + key.slice(i);
  if (kind === 'delete') return key.slice(0, i) + key.slice(i + 1);
  if (kind === 'substitute') return key.slice(0, i) + ch + key.slice(i + 1);
  if (kind === 'swap' && i + 1 < key.length) return key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
  return key.slice(0, i) + key[i].toUpperCase() + key.slice(i + 1);
}

describe('property: unknown option keys', () => {
  test('a misspelt key (one edit) is ERR_INFOGAIN_UNKNOWN_OPTION naming a valid key at most as far; any other unknown key is refused too', () => {
    const arb = fc.record({
      table: fc.constantFrom(...optionTables),
      key: fc.nat(),
      edit,
      other: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { freq: 3, nil: undefined }),
    });
    fc.assert(
      fc.property(arb, ({ table: [name, build, at, keys], key, edit: e, other }) => {
        const original = keys[key % keys.length];
        const typo = other ?? mutate(original, e);
        if (keys.includes(typo) || typo === '__proto__') return;  // not a typo (or not an own key)
        const args = build();
        args[at] = { ...args[at], [typo]: 1 };
        let error;
        try {
          ig[name](...args);
        } catch (x) {
          error = x;
        }
        assert.ok(error, `${name}: { ${JSON.stringify(typo)} } was accepted`);
        assert.equal(error.code, 'ERR_INFOGAIN_UNKNOWN_OPTION', `${name}: ${error.message}`);
        assert.equal(error.argument, typo);
        if (error.suggestion !== undefined) assert.ok(keys.includes(error.suggestion), error.message);
        if (other === undefined && original.length >= 4 && e.kind !== 'swap') {
          assert.ok(error.suggestion !== undefined, `${name}: no suggestion for ${typo} (from ${original})`);
          const d = (k) => editDistance(typo.toLowerCase(), k.toLowerCase());
          assert.ok(d(error.suggestion) <= d(original) || error.suggestion.toLowerCase().startsWith(typo.toLowerCase()), `${typo}: suggested ${error.suggestion}, ${original} is nearer`);
        }
      }),
      params,
    );
  });
});

// ---- the reward pool against the ...Sync functions, on any arguments (Proxies, getters, detached
// and shared buffers, nested garbage): the method never throws, and it settles as the Sync call does
const throwingGetter = fc.constantFrom('data', 'rows', 'groupSize', 'temperature', 'spans').map((key) => {
  const o = { data: new Float32Array(4), rows: 1, vocab: 4 };
  Object.defineProperty(o, key, { enumerable: true, get: () => { throw new Error(`getter ${key}`); } });
  return o;
});
const hostileValue = fc.oneof(
  { weight: 6, arbitrary: anyValue },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('data', 'rows', 'vocab', 'groupSize', 'columns'), anyValue, { maxKeys: 3 }).map((o) => new Proxy(o, {})) },
  { weight: 1, arbitrary: throwingGetter },
);
// (a Proxy of a plain object reaches the worker as a plain copy: the error's description of the
// value, 'got a Proxy', may read 'got Object' there)
const outcomeOf = (e) => (e === undefined ? 'result' : `${e.constructor?.name} ${e.code} ${e.argument} ${e.index} ${e.message.replace(/, got .*$/, ', got …')}`);

describe('property: the reward pool settles as the Sync call does', () => {
  test('any arguments to any pool kernel: never a synchronous throw, the same result or error', async () => {
    const pool = ig.createRewardPool({ threads: 2 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...kernels), fc.array(hostileValue, { maxLength: 4 }), async (name, args) => {
          let syncError;
          try {
            ig[name](...args);
          } catch (e) {
            syncError = e;
          }
          let promise;
          assert.doesNotThrow(() => (promise = pool[name.replace(/Sync$/, '')](...args)), `${name}: the pool method threw`);
          let poolError;
          try {
            await promise;
          } catch (e) {
            poolError = e;
          }
          // the pool reads every argument to copy it, the Sync function stops at the first bad one:
          // a throwing getter anywhere may be what the pool reports
          const getterFirst = poolError?.message?.startsWith('getter ') && outcomeOf(poolError) !== outcomeOf(syncError);
          if (!getterFirst) assert.equal(outcomeOf(poolError), outcomeOf(syncError), name);
        }),
        { ...params, numRuns: Math.max(100, params.numRuns) },
      );
      const s = pool.stats();
      assert.deepEqual([s.queueSize, s.running], [0, 0]);
    } finally {
      await pool.close();
    }
  });
});

// ---- every pool call settles: random mixes of calls, aborts (before, queued, running), a full
// queue and close() / destroy() at a random point
const rewardsUrl = new URL('./fixtures/rewards.mjs', import.meta.url).href;
describe('property: every reward pool call settles', () => {
  test('random calls, aborts and shutdowns: all settle with a result or a typed error; the counts add up', async () => {
    const call = fc.record({
      kind: fc.constantFrom('f1', 'busy', 'kernel', 'bad kernel', 'throws'),
      abort: fc.constantFrom('none', 'none', 'before', 'at once', 'soon'),
      ms: fc.integer({ min: 0, max: 15 }),
    });
    const arb = fc.record({
      threads: fc.integer({ min: 1, max: 2 }),
      maxQueue: fc.integer({ min: 0, max: 30 }),
      calls: fc.array(call, { minLength: 1, maxLength: 30 }),
      end: fc.constantFrom('close', 'destroy', 'close then destroy'),
      endAt: fc.nat(),
    });
    const allowed = new Set(['ABORT_ERR', 'ERR_INFOGAIN_QUEUE_FULL', 'ERR_INFOGAIN_POOL_CLOSED', 'ERR_OUT_OF_RANGE', 'ERR_INFOGAIN_USER_MODULE']);
    await fc.assert(
      fc.asyncProperty(arb, async ({ threads, maxQueue, calls, end, endAt }) => {
        const pool = ig.createRewardPool({ threads, maxQueue });
        const logits = { data: new Float32Array(8), rows: 2, vocab: 4 };
        const promises = [];
        let ending;
        calls.forEach((c, i) => {
          if (i === endAt % calls.length) ending = end === 'destroy' ? pool.destroy() : pool.close();
          const controller = new AbortController();
          if (c.abort === 'before') controller.abort();
          const p = pool.with({ signal: controller.signal });
          if (c.kind === 'f1') promises.push(p.run(rewardsUrl, 'f1', ['a b', 'a']));
          else if (c.kind === 'busy') promises.push(p.run(rewardsUrl, 'busy', [c.ms]));
          else if (c.kind === 'throws') promises.push(p.run(rewardsUrl, 'fail', ['no']));
          else promises.push(p.tokenLogprobs(logits, Int32Array.of(0, c.kind === 'kernel' ? 1 : 9)));
          if (c.abort === 'at once') controller.abort();
          if (c.abort === 'soon') setTimeout(() => controller.abort(), c.ms);
        });
        if (end === 'close then destroy') setTimeout(() => pool.destroy(), 5);
        let timer;
        const deadline = new Promise((resolve) => (timer = setTimeout(resolve, 30000, 'timeout')));
        const settled = await Promise.race([Promise.allSettled(promises), deadline]);
        assert.notEqual(settled, 'timeout', 'a call never settled');
        assert.notEqual(await Promise.race([ending, deadline]), 'timeout', 'close() / destroy() never settled');
        clearTimeout(timer);
        settled.forEach((s, i) => {
          if (s.status === 'rejected') assert.ok(allowed.has(s.reason?.code), `call ${i} (${calls[i].kind}): ${s.reason?.code} ${s.reason?.message}`);
          else assert.ok(calls[i].kind !== 'bad kernel' && calls[i].kind !== 'throws', `call ${i} should have failed`);
        });
        const st = pool.stats();
        assert.deepEqual([st.queueSize, st.running, st.completed + st.failed], [0, 0, calls.length]);
        await pool.destroy();
      }),
      { ...params, numRuns: Math.min(params.numRuns, 25) },
    );
  });
});

// ---- rollout groups: a string or a safe integer, kept as given (1 and 1.0 are one JSON value)
describe('property: rollout groups keep their JSON value and type', () => {
  test('a string or an integer |n| <= 2^53 - 1 is kept (same value, same type); anything else is a line error', () => {
    const group = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.integer(),
      fc.constantFrom(2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 60, 1.5, -0, 1e21, true, null),
      fc.double({ noNaN: true }),
    );
    fc.assert(
      fc.property(group, fc.boolean(), (g, asFloatText) => {
        let text = JSON.stringify({ group: g, turns: [{ action: 'a' }], reward: 0 });
        // an integer written with a fraction: the same JSON value
        if (asFloatText && Number.isInteger(g) && Math.abs(g) < 1e15) text = text.replace(`"group":${JSON.stringify(g)}`, `"group":${JSON.stringify(g)}.0`);
        const parsedGroup = JSON.parse(text).group;
        const valid = typeof parsedGroup === 'string' || Number.isSafeInteger(parsedGroup);
        let r, error;
        try {
          r = ig.parseRollout(text, 7);
        } catch (e) {
          error = e;
        }
        if (!valid) {
          assert.ok(error instanceof ig.RolloutLineError, `${text}: accepted`);
          assert.equal(error.line, 7);
          return;
        }
        assert.ok(!error, `${text}: ${error?.message}`);
        assert.equal(typeof r.group, typeof parsedGroup);
        assert.ok(r.group === parsedGroup, `${text}: group ${r.group}`);
      }),
      params,
    );
  });
});

// ---- the output file of `infogain score`: openOutput on random targets
const { openOutput, OutputError } = await import('../dist/output.js');
const { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
describe('property: the output is written whole or not at all', () => {
  test('a missing directory, a directory, a path under a file: OutputError before anything is written; else exactly the lines, no temporary file; discard leaves the old file', async () => {
    const base = mkdtempSync(join(tmpdir(), 'infogain-output-property-'));
    try {
      const arb = fc.record({
        target: fc.constantFrom('new', 'existing', 'directory', 'missing dir', 'under a file'),
        lines: fc.array(fc.string({ maxLength: 20 }).map((x) => JSON.stringify(x) + '\n'), { maxLength: 50 }),
        discard: fc.boolean(),
      });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(arb, async ({ target, lines, discard }) => {
          const where = join(base, String(run++));
          mkdirSync(where);
          writeFileSync(join(where, 'file'), 'old\n');
          mkdirSync(join(where, 'dir'));
          const path = { new: 'out.jsonl', existing: 'file', directory: 'dir', 'missing dir': 'nope/out.jsonl', 'under a file': 'file/out.jsonl' }[target];
          const full = join(where, path);
          const before = readdirSync(where).sort();
          let output, error;
          try {
            output = openOutput(full);
          } catch (e) {
            error = e;
          }
          if (['directory', 'missing dir', 'under a file'].includes(target)) {
            assert.ok(error instanceof OutputError && error.message.includes(full), `${target}: ${error}`);
            assert.deepEqual(readdirSync(where).sort(), before, 'nothing created');
            return;
          }
          assert.ok(!error, String(error));
          if (discard) output.discard();
          else await output.commit(lines);
          const expected = discard ? (target === 'existing' ? 'old\n' : undefined) : lines.join('');
          const got = readdirSync(where).includes(path) ? readFileSync(full, 'utf8') : undefined;
          assert.equal(got, expected);
          assert.deepEqual(readdirSync(where).sort(), [...new Set([...before, ...(expected === undefined ? [] : [path])])].sort(), 'no temporary file left');
        }),
        params,
      );
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
