// The bad-input contract of the advantages family: typed errors naming the argument and the first
// bad index, sync throws and async rejects, caller buffers untouched, the process never crashes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';

import './helpers/poison.mjs';
import * as ig from '../dist/index.js';
import { native } from '../dist/native.js';
import { assertRejects, assertTypedError } from './helpers/assert.mjs';

const f32 = (...v) => new Float32Array(v);
const i32 = (...v) => new Int32Array(v);
const u8 = (...v) => new Uint8Array(v);
const T = TypeError, R = RangeError;
const type = 'ERR_INVALID_ARG_TYPE', range = 'ERR_OUT_OF_RANGE', shape = 'ERR_INFOGAIN_SHAPE', nonFinite = 'ERR_INFOGAIN_NONFINITE';

// [what, function name, () => arguments, class, code, argument, index]
const scores = () => f32(1, 2, 3, 4);
const g2 = () => ({ groupSize: 2 });
const infopo = (over = {}) => ({ scores: f32(1, 0), intrinsic: f32(0.1, 0, 0.2, 0), present: u8(1, 0, 1, 0), layout: { columns: 2 }, groupSize: 2, ...over });
const igpo = (over = {}) => ({ outcome: f32(1, 0), gains: f32(0.2), gainOffsets: i32(0, 1, 1), gainEnds: i32(1), layout: { columns: 4 }, groupSize: 2, ...over });
const empg = (over = {}) => ({ entropy: f32(1, 2, 3), advantage: f32(1, -1), stepOffsets: i32(0, 2, 3), ...over });
const par = (over = {}) => ({ rewards: f32(1, 2), references: f32(0, 1, 2, 3), ...over });

const cases = [
  // groupAdvantages
  ['scores a plain array', 'groupAdvantages', () => [[1, 2], g2()], T, type, 'scores'],
  ['scores a Float64Array', 'groupAdvantages', () => [new Float64Array(4), g2()], T, type, 'scores'],
  ['empty scores', 'groupAdvantages', () => [f32(), { groups: i32() }], R, shape, 'scores'],
  ['a NaN score', 'groupAdvantages', () => [f32(1, NaN, 3, NaN), g2()], R, nonFinite, 'scores', 1],
  ['an infinite score', 'groupAdvantages', () => [f32(1, 2, Infinity, 4), g2()], R, nonFinite, 'scores', 2],
  ['groups shorter than scores', 'groupAdvantages', () => [scores(), { groups: i32(0, 0, 1) }], R, shape, 'groups'],
  ['a negative group id', 'groupAdvantages', () => [scores(), { groups: i32(0, 3, -1, -2) }], R, range, 'groups', 2],
  ['non-integer group ids (a Float64Array)', 'groupAdvantages', () => [scores(), { groups: new Float64Array([0, 0.5, 1, 1]) }], T, type, 'groups'],
  ['group ids in a Float32Array', 'groupAdvantages', () => [scores(), { groups: new Float32Array(4) }], T, type, 'groups'],
  ['groupSize not an integer', 'groupAdvantages', () => [scores(), { groupSize: 2.5 }], R, range, 'groupSize'],
  ['groupSize 0', 'groupAdvantages', () => [scores(), { groupSize: 0 }], R, range, 'groupSize'],
  ['groupSize not dividing the samples', 'groupAdvantages', () => [scores(), { groupSize: 3 }], R, shape, 'groupSize'],
  ['both groups and groupSize', 'groupAdvantages', () => [scores(), { groups: i32(0, 0, 1, 1), groupSize: 2 }], R, range, 'groupSize'],
  ['no grouping', 'groupAdvantages', () => [scores(), {}], T, type, 'groups'],
  ['no options (so no grouping)', 'groupAdvantages', () => [scores()], T, type, 'groups'],
  ['options not an object', 'groupAdvantages', () => [scores(), 'grpo'], T, type, 'options'],
  ['an unknown estimator', 'groupAdvantages', () => [scores(), { groupSize: 2, estimator: 'ppo' }], R, range, 'estimator'],
  ['an unknown std', 'groupAdvantages', () => [scores(), { groupSize: 2, std: 'sample' }], R, range, 'std'],
  ['an unknown singleton rule', 'groupAdvantages', () => [scores(), { groupSize: 2, singleton: 'zero' }], R, range, 'singleton'],
  ['a negative eps', 'groupAdvantages', () => [scores(), { groupSize: 2, eps: -1e-6 }], R, range, 'eps'],
  ['a NaN eps', 'groupAdvantages', () => [scores(), { groupSize: 2, eps: NaN }], R, range, 'eps'],
  ['normalizeByStd not a boolean', 'groupAdvantages', () => [scores(), { groupSize: 2, normalizeByStd: 1 }], T, type, 'normalizeByStd'],
  ['pass@k with a lone sample', 'groupAdvantages', () => [scores(), { groups: i32(0, 0, 0, 5), estimator: 'passk' }], R, shape, 'groups', 3],
  ['reinforce++-baseline on one sample', 'groupAdvantages', () => [f32(1), { groupSize: 1, estimator: 'reinforce++-baseline' }], R, shape, 'scores'],
  ['tokenCounts of the wrong length', 'groupAdvantages', () => [scores(), { groupSize: 2, tokenCounts: i32(1, 2) }], R, shape, 'tokenCounts'],
  ['a negative token count', 'groupAdvantages', () => [scores(), { groupSize: 2, estimator: 'reinforce++-baseline', tokenCounts: i32(1, 2, -3, 4) }], R, range, 'tokenCounts', 2],
  // rlpAdvantages
  ['rlp: lengths that disagree', 'rlpAdvantages', () => [scores(), f32(1, 2), g2()], R, shape, 'baseline'],
  ['rlp: a NaN baseline', 'rlpAdvantages', () => [scores(), f32(0, 0, NaN, 0), g2()], R, nonFinite, 'baseline', 2],
  ['rlp: finite inputs whose difference overflows float32', 'rlpAdvantages', () => [f32(0, 3e38, 0, 0), f32(0, -3e38, 0, 0), g2()], R, nonFinite, 'withThought', 1],
  ['rlp: one thought at a position', 'rlpAdvantages', () => [scores(), f32(0, 0, 0, 0), { groups: i32(0, 1, 1, 1) }], R, shape, 'groups', 0],
  // broadcastToTokens
  ['no layout', 'broadcastToTokens', () => [f32(1, 2)], T, type, 'layout'],
  ['empty perSample', 'broadcastToTokens', () => [f32(), { columns: 2 }], R, shape, 'layout'],
  ['columns 0', 'broadcastToTokens', () => [f32(1, 2), { columns: 0 }], R, range, 'layout.columns'],
  ['columns not an integer', 'broadcastToTokens', () => [f32(1, 2), { columns: 1.5 }], R, range, 'layout.columns'],
  ['a mask of the wrong length', 'broadcastToTokens', () => [f32(1, 2), { columns: 2, mask: u8(1, 1, 1) }], R, shape, 'layout.mask'],
  ['a mask in an Int8Array', 'broadcastToTokens', () => [f32(1, 2), { columns: 2, mask: new Int8Array(4) }], T, type, 'layout.mask'],
  ['a mask value of 2', 'broadcastToTokens', () => [f32(1, 2), { columns: 2, mask: u8(1, 0, 2, 1) }], R, range, 'layout.mask', 2],
  ['offsets of the wrong length', 'broadcastToTokens', () => [f32(1, 2), { offsets: i32(0, 2) }], R, shape, 'layout.offsets'],
  ['offsets going backwards', 'broadcastToTokens', () => [f32(1, 2, 3), { offsets: i32(0, 4, 2, 5) }], R, range, 'layout.offsets', 2],
  ['offsets not starting at 0', 'broadcastToTokens', () => [f32(1), { offsets: i32(1, 3) }], R, range, 'layout.offsets', 0],
  ['both columns and offsets', 'broadcastToTokens', () => [f32(1), { columns: 2, offsets: i32(0, 2) }], R, range, 'layout.columns'],
  // reinforcePP
  ['tokens that are not whole rows', 'reinforcePP', () => [f32(1, 2, 3), { columns: 2 }], R, shape, 'layout.columns'],
  ['gamma above 1', 'reinforcePP', () => [f32(1, 2), { columns: 2 }, { gamma: 1.5 }], R, range, 'gamma'],
  ['an unknown maskGaps', 'reinforcePP', () => [f32(1, 2), { columns: 2 }, { maskGaps: 'skip' }], R, range, 'maskGaps'],
  ['a NaN reward on a valid token', 'reinforcePP', () => [f32(1, 2, NaN, 0), { columns: 2, mask: u8(1, 1, 1, 0) }], R, nonFinite, 'tokenRewards', 2],
  ['one valid token to whiten', 'reinforcePP', () => [f32(1, 2), { columns: 2, mask: u8(1, 0) }], R, shape, 'layout'],
  // promedAdvantages
  ['promed: groups for the wrong number of rows', 'promedAdvantages', () => [{ rewards: f32(1, 2, 3, 4), layout: { columns: 2 }, groups: i32(0, 0, 0) }], R, shape, 'groups'],
  ['promed: a NaN reward', 'promedAdvantages', () => [{ rewards: f32(1, NaN, 3, 4), layout: { columns: 2 }, groupSize: 2 }], R, nonFinite, 'rewards', 1],
  ['promed: input a typed array', 'promedAdvantages', () => [f32(1)], T, type, 'input'],
  // infopoAdvantages
  ['infopo: intrinsic of the wrong length', 'infopoAdvantages', () => [infopo({ intrinsic: f32(0.1) })], R, shape, 'intrinsic'],
  ['infopo: no presence mask', 'infopoAdvantages', () => [infopo({ present: undefined })], T, type, 'present'],
  ['infopo: a NaN intrinsic reward where present', 'infopoAdvantages', () => [infopo({ intrinsic: f32(0.1, 0, NaN, 0) })], R, nonFinite, 'intrinsic', 2],
  ['infopo: a NaN score', 'infopoAdvantages', () => [infopo({ scores: f32(NaN, 0) })], R, nonFinite, 'scores', 0],
  ['infopo: temperature 0', 'infopoAdvantages', () => [infopo(), { temperature: 0 }], R, range, 'temperature'],
  ['infopo: beta Infinity', 'infopoAdvantages', () => [infopo(), { beta: Infinity }], R, range, 'beta'],
  ['infopo: a negative group id', 'infopoAdvantages', () => [infopo({ groupSize: undefined, groups: i32(0, -4) })], R, range, 'groups', 1],
  ['infopo: input a typed array', 'infopoAdvantages', () => [f32(1)], T, type, 'input'],
  // igpoAdvantages
  ['igpo: gainOffsets of the wrong length', 'igpoAdvantages', () => [igpo({ gainOffsets: i32(0, 1) })], R, shape, 'gainOffsets'],
  ['igpo: gainOffsets going backwards', 'igpoAdvantages', () => [igpo({ gains: f32(0.2, 0.1), gainEnds: i32(1, 0), gainOffsets: i32(0, 2, 1) })], R, range, 'gainOffsets', 2],
  ['igpo: gainOffsets not ending at the gains', 'igpoAdvantages', () => [igpo({ gainOffsets: i32(0, 0, 0) })], R, shape, 'gainOffsets', 2],
  ['igpo: gainEnds not increasing', 'igpoAdvantages', () => [igpo({ gains: f32(0.2, 0.1), gainEnds: i32(1, 1), gainOffsets: i32(0, 2, 2) })], R, range, 'gainEnds', 1],
  ['igpo: a gain ending on the last valid token', 'igpoAdvantages', () => [igpo({ gainEnds: i32(3) })], R, range, 'gainEnds', 0],
  ['igpo: a row with no valid token', 'igpoAdvantages', () => [igpo({ layout: { columns: 4, mask: u8(1, 1, 1, 1, 0, 0, 0, 0) } })], R, shape, 'layout', 1],
  ['igpo: a NaN gain', 'igpoAdvantages', () => [igpo({ gains: f32(NaN) })], R, nonFinite, 'gains', 0],
  ['igpo: an unknown normalization', 'igpoAdvantages', () => [igpo(), { normalization: 'both' }], R, range, 'normalization'],
  ['igpo: a negative gamma', 'igpoAdvantages', () => [igpo(), { gamma: -0.1 }], R, range, 'gamma'],
  // empgAdvantages
  ['empg: stepOffsets not ending at the steps', 'empgAdvantages', () => [empg({ stepOffsets: i32(0, 1, 2) })], R, shape, 'stepOffsets', 2],
  ['empg: no steps', 'empgAdvantages', () => [empg({ entropy: f32(), stepOffsets: i32(0, 0, 0) })], R, shape, 'entropy'],
  ['empg: an unknown final normalization', 'empgAdvantages', () => [empg(), { finalNormalization: 'whiten' }], R, range, 'finalNormalization'],
  ['empg: standardize with a total weight below 2', 'empgAdvantages', () => [empg({ stepTokens: i32(1, 0, 0) }), { finalNormalization: 'standardize' }], R, shape, 'stepTokens'],
  ['empg: a NaN entropy', 'empgAdvantages', () => [empg({ entropy: f32(1, NaN, 3) })], R, nonFinite, 'entropy', 1],
  // sarRewards
  ['sar: lengths that disagree', 'sarRewards', () => [f32(-1, -2), f32(-1)], R, shape, 'unconditioned'],
  ['sar: useComparison false with the denominator', 'sarRewards', () => [f32(-1), f32(-1), { useComparison: false }], R, range, 'useDenominator'],
  ['sar: a NaN log-prob', 'sarRewards', () => [f32(-1, NaN), f32(-1, -1)], R, nonFinite, 'conditioned', 1],
  // parRewards
  ['par: references not a whole number per sample', 'parRewards', () => [par({ references: f32(0, 1, 2) })], R, shape, 'references'],
  ['par: a sample with no reference', 'parRewards', () => [par({ referenceOffsets: i32(0, 0, 4) })], R, shape, 'referenceOffsets', 0],
  ['par: maxReferences 0', 'parRewards', () => [par(), { maxReferences: 0 }], R, range, 'maxReferences'],
  ['par: a negative length', 'parRewards', () => [par({ lengths: i32(10, -1) })], R, range, 'lengths', 1],
  // clipDeltaRewards
  ['clip: no eta', 'clipDeltaRewards', () => [f32(1, 2), i32(0, 2), { mode: 'clip' }], T, type, 'eta'],
  ['clip: stepOffsets not ending at the steps', 'clipDeltaRewards', () => [f32(1, 2), i32(0, 1), { mode: 'delta' }], R, shape, 'stepOffsets', 1],
  ['clip: an unknown mode', 'clipDeltaRewards', () => [f32(1, 2), i32(0, 2), { mode: 'both' }], R, range, 'mode'],
  // insightScores
  ['insight: alpha 0', 'insightScores', () => [f32(1, 0), f32(1, 1)], R, range, 'alpha', 1],
  ['insight: rollouts 0', 'insightScores', () => [f32(1), f32(1), { rollouts: 0 }], R, range, 'rollouts'],
  ['insight: weights of the wrong length', 'insightScores', () => [f32(1), f32(1), { weights: f32(1, 2) }], R, shape, 'weights'],
];

/** Deep copies of every typed array reachable from the arguments, to check they are untouched. */
function snapshot(args) {
  const out = [];
  const walk = (x) => {
    if (ArrayBuffer.isView(x)) out.push([x, x.slice()]);
    else if (x && typeof x === 'object') Object.values(x).forEach(walk);
  };
  args.forEach(walk);
  return out;
}

describe('advantages family: bad input throws typed errors (sync) and rejects (async)', () => {
  for (const [what, name, args, Class, code, argument, index] of cases) {
    test(`${name}: ${what}`, async () => {
      const a = args();
      const before = snapshot(a);
      const e = assertTypedError(() => ig[`${name}Sync`](...a), Class, code, argument);
      if (index !== undefined) assert.equal(e.index, index, e.message);
      await assertRejects(ig[name](...args()), Class, code);
      for (const [view, copy] of before) assert.deepEqual(view, copy, 'inputs untouched');
    });
  }

  test('NaN on masked tokens or absent intrinsic rewards is never read', () => {
    ig.reinforcePPSync(f32(1, 2, NaN, 0), { columns: 2, mask: u8(1, 1, 0, 1) });
    ig.infopoAdvantagesSync(infopo({ intrinsic: f32(0.1, NaN, 0.2, 0) }));
  });

  test('detached buffers are a TypeError', () => {
    const s = scores();
    structuredClone(s.buffer, { transfer: [s.buffer] });
    assertTypedError(() => ig.groupAdvantagesSync(s, g2()), TypeError, type, 'scores');
  });
});

describe('the advantages bindings check what they read, even when called directly', () => {
  const b = native();
  const direct = [
    ['groups shorter than scores', () => b.groupAdvantagesSync(f32(1, 2, 3), { groups: i32(0, 0) }, {}), R, shape],
    ['a negative group id', () => b.groupAdvantagesSync(f32(1, 2), { groups: i32(0, -1) }, {}), R, range],
    ['a bad estimator code', () => b.groupAdvantagesSync(f32(1, 2), { groupSize: 2 }, { estimator: 9 }), R, range],
    ['tokenCounts too short', () => b.groupAdvantagesSync(f32(1, 2), { groupSize: 2 }, { tokenCounts: i32(1) }), R, shape],
    ['offsets going backwards', () => b.broadcastToTokensSync(f32(1, 2), { offsets: i32(0, 9, 4) }), R, range],
    ['offsets ending below 0', () => b.broadcastToTokensSync(f32(1), { offsets: i32(0, -4) }), R, shape],
    ['a mask shorter than the tokens', () => b.broadcastToTokensSync(f32(1, 2), { columns: 3, mask: u8(1) }), R, shape],
    ['rows * columns beyond 2^31', () => b.broadcastToTokensSync(f32(1, 2, 3), { columns: 2 ** 30 }), R, range],
    ['intrinsic shorter than the tokens', () => b.infopoAdvantagesSync({ scores: f32(1, 0), intrinsic: f32(1), present: u8(1, 1, 1, 1) }, { columns: 2 }, { groupSize: 2 }, {}), R, shape],
    ['gainEnds past the row', () => b.igpoAdvantagesSync({ outcome: f32(1, 0), gains: f32(1), gainOffsets: i32(0, 1, 1), gainEnds: i32(99) }, { columns: 4 }, { groupSize: 2 }, {}), R, range],
    ['gainOffsets past the gains', () => b.igpoAdvantagesSync({ outcome: f32(1, 0), gains: f32(1), gainOffsets: i32(0, 7, 1), gainEnds: i32(0) }, { columns: 4 }, { groupSize: 2 }, {}), R, range],
    ['stepOffsets past the steps', () => b.empgAdvantagesSync({ entropy: f32(1), advantage: f32(1, 2), stepOffsets: i32(0, 5, 1) }, {}), R, range],
    ['referenceOffsets past the references', () => b.parRewardsSync({ rewards: f32(1), references: f32(1), referenceOffsets: i32(0, 8) }, {}), R, shape],
    ['clip stepOffsets past the rewards', () => b.clipDeltaRewardsSync(f32(1), i32(0, 6), {}), R, shape],
    ['an empty stepOffsets', () => b.clipDeltaRewardsSync(f32(1), i32(), {}), R, shape],
    ['a non-integer rollouts', () => b.insightScoresSync(f32(1), f32(1), { rollouts: 1.5 }), R, range],
  ];
  for (const [what, fn, Class, code] of direct) test(what, () => assertTypedError(fn, Class, code));
});

// Regression of test/RELIABILITY.md finding 7b.
describe('packed layouts: offsets out of order fail before any output is sized by the last one', () => {
  // Under a 3 GB address-space limit the 8 GiB output of offsets ending at 2^31 - 1 cannot be
  // allocated: only a check of the order before the allocation gives the typed error.
  const script = `
    const ig = require('./dist/index.js');
    const { native } = require('./dist/native.js');
    const offsets = new Int32Array([0, 5, 2, 2 ** 31 - 1]);
    for (const call of [() => ig.broadcastToTokensSync(new Float32Array(3), { offsets }),
                        () => native().broadcastToTokensSync(new Float32Array(3), { offsets })]) {
      try { call(); console.log('no error'); } catch (e) { console.log(e.name, e.code, e.argument, e.index); }
    }`;
  // (test/sanitize.sh preloads the ASan runtime, whose shadow memory alone needs terabytes of address space)
  const skip = /libasan/.test(process.env.LD_PRELOAD ?? '') && 'under ASan no address-space limit can hold';
  test('the TypeScript API and the binding both name layout.offsets[2], within 3 GB', { skip }, () => {
    const out = execFileSync('bash', ['-c', 'ulimit -v 3000000 && exec "$0" -e "$1"', process.execPath, script], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
    });
    assert.deepEqual(out.trim().split('\n'), Array(2).fill('RangeError ERR_OUT_OF_RANGE layout.offsets 2'));
  });
});

test('rlpAdvantages: finite inputs whose difference overflows float32 are named as that, not as a non-finite withThought', () => {
  assert.throws(() => ig.rlpAdvantagesSync(new Float32Array([0, 3e38, 0, 0]), new Float32Array([0, -3e38, 0, 0]), { groups: new Int32Array([0, 0, 1, 1]) }),
    (e) => e instanceof RangeError && e.code === 'ERR_INFOGAIN_NONFINITE' && e.index === 1 && /withThought\[1\] - baseline\[1\] overflows float32/.test(e.message));
});
