// broadcastToTokens, reinforcePP and promedAdvantages against float64 references, on padded and
// packed layouts, with and without masks (and masks with holes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

import './helpers/poison.mjs';
import {
  backends,
  broadcastToTokens,
  broadcastToTokensSync,
  configure,
  promedAdvantages,
  promedAdvantagesSync,
  reinforcePP,
  reinforcePPSync,
} from '../dist/index.js';
import { layoutOf, refBroadcast, refPromed, refReinforcePP } from './helpers/advantages-reference.mjs';
import { assertClose } from './helpers/assert.mjs';
import { groupSizes, packedLayout, paddedLayout, raggedIds, randomScores } from './helpers/groups.mjs';
import { rng, runSeed } from './helpers/random.mjs';

const tol = { atol: 2e-6, rtol: 2e-6 };

/** Layouts of every kind over `rows` rows: padded with and without a mask (with holes), packed with and without one. */
function layouts(r, rows) {
  return {
    'padded, no mask': { columns: 1 + r.int(40) },
    'padded, right-padded mask': paddedLayout(r, rows, 33),
    'padded, mask with holes': paddedLayout(r, rows, 48, { holes: true }),
    'packed, no mask': packedLayout(r, rows, 0, 50),
    'packed, mask': packedLayout(r, rows, 1, 70, { masked: true }),
  };
}

function randomTokens(r, n) {
  return Float32Array.from({ length: n }, () => (r.next() < 0.2 ? 1 + r.normal() : 0.1 * r.normal()));
}

describe('broadcastToTokens', () => {
  const r = rng();
  for (const [what, layout] of Object.entries(layouts(r, 37))) {
    test(what, () => {
      const perSample = randomScores(r, 37, 'normal');
      const L = layoutOf(layout, 37);
      const got = broadcastToTokensSync(perSample, layout);
      assert.equal(got.length, L.tokens);
      assert.deepEqual([...got], [...refBroadcast(perSample, L)].map(Math.fround));
    });
  }

  test('2048 x 2048 with a mask, threads give the same bits, async equals sync', async () => {
    const rr = rng(runSeed + 1);
    const layout = paddedLayout(rr, 2048, 2048, { holes: true });
    const perSample = randomScores(rr, 2048, 'normal');
    const before = backends().cpu.threads;
    try {
      configure({ threads: 1 });
      const one = broadcastToTokensSync(perSample, layout);
      configure({ threads: 2 });
      assert.deepEqual(broadcastToTokensSync(perSample, layout), one);
      assert.deepEqual(await broadcastToTokens(perSample, layout), one);
      assert.deepEqual([...one.subarray(0, 4096)], [...refBroadcast(perSample, layoutOf(layout, 2048)).subarray(0, 4096)].map(Math.fround));
    } finally {
      configure({ threads: before });
    }
  });

  test('values are copied as they are (NaN included); masked tokens get 0', () => {
    const got = broadcastToTokensSync(new Float32Array([NaN, 2]), { columns: 2, mask: new Uint8Array([1, 0, 0, 1]) });
    assert.ok(Number.isNaN(got[0]));
    assert.deepEqual([...got.subarray(1)], [0, 0, 2]);
  });

  test('packed rows of length 0 are fine', () => {
    const got = broadcastToTokensSync(new Float32Array([1, 2, 3]), { offsets: new Int32Array([0, 0, 2, 2]) });
    assert.deepEqual([...got], [2, 2]);
  });
});

describe('reinforcePP', () => {
  const r = rng(runSeed + 2);
  for (const [what, layout] of Object.entries(layouts(r, 29))) {
    test(`${what}: bridge (the return crosses masked tokens) and reset (verl's loop)`, () => {
      const L = layoutOf(layout, 29);
      const rewards = randomTokens(r, L.tokens);
      for (const gamma of [1, 0.9, 0.5, 0]) {
        for (const maskGaps of ['bridge', 'reset']) {
          const got = reinforcePPSync(rewards, layout, { gamma, maskGaps });
          const ref = refReinforcePP(rewards, L, { gamma, maskGaps });
          assertClose(got.returns, ref.returns, { atol: 1e-5, rtol: 2e-6, what: `${what} returns gamma ${gamma} ${maskGaps}` });
          assertClose(got.advantages, ref.advantages, { atol: 1e-5, rtol: 2e-6, what: `${what} advantages gamma ${gamma} ${maskGaps}` });
        }
      }
    });
  }

  test('hand case: one row [0, 1 | 2], reward at the end, gamma 0.5', () => {
    // returns: 0 + 0.5 * 1 = 0.5, 1; row 2: 2. mean 7/6; unbiased var of [0.5, 1, 2]
    const got = reinforcePPSync(new Float32Array([0, 1, 2, 0]), { columns: 2 }, { gamma: 0.5 });
    assert.deepEqual([...got.returns], [0.5, 1, 2, 0]);
    const v = [0.5, 1, 2, 0], m = 3.5 / 4, sd = Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / 3 + 1e-8);
    assertClose(got.advantages, v.map((x) => (x - m) / sd), { atol: 1e-6, what: 'whitened' });
  });

  test('a masked observation inside a sequence: bridge keeps the discount chain, reset (verl) cuts it', () => {
    // tokens: action, action, [obs], action(reward 1)
    const layout = { columns: 4, mask: new Uint8Array([1, 1, 0, 1]) };
    const rewards = new Float32Array([0, 0, 123, 1]);  // a masked token's value is never read
    assert.deepEqual([...reinforcePPSync(rewards, layout, { gamma: 0.5 }).returns], [0.25, 0.5, 0, 1]);
    assert.deepEqual([...reinforcePPSync(rewards, layout, { gamma: 0.5, maskGaps: 'reset' }).returns], [0, 0, 0, 1]);
  });

  test('threads give the same bits; async equals sync', async () => {
    const rr = rng(runSeed + 3);
    const layout = paddedLayout(rr, 700, 300, { holes: true });
    const rewards = randomTokens(rr, 700 * 300);
    const before = backends().cpu.threads;
    try {
      configure({ threads: 1 });
      const one = reinforcePPSync(rewards, layout, { gamma: 0.99 });
      configure({ threads: 2 });
      assert.deepEqual(reinforcePPSync(rewards, layout, { gamma: 0.99 }), one);
      assert.deepEqual(await reinforcePP(rewards, layout, { gamma: 0.99 }), one);
    } finally {
      configure({ threads: before });
    }
  });
});

// Without INFOGAIN_POISON_OUTPUTS the outputs arrive zeroed and the kernels skip the masked tokens
// (token_advantages.h): the same bits as the poisoned path above, which writes every token.
describe('zeroed outputs: masked tokens skipped, the same bits as writing them', () => {
  test('broadcastToTokens and reinforcePP, sync and async, every layout', async () => {
    const r = rng(runSeed + 9);
    const cases = Object.entries(layouts(r, 23)).map(([what, layout]) => {
      const L = layoutOf(layout, 23);
      return { what, layout, perSample: randomScores(r, 23, 'normal'), rewards: randomTokens(r, L.tokens) };
    });
    const bytes = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    const fromBytes = (Type, b64) => { const b = Buffer.from(b64, 'base64'); return new Type(b.buffer, b.byteOffset, b.byteLength / Type.BYTES_PER_ELEMENT); };
    const wire = cases.map((c) => ({
      what: c.what,
      columns: c.layout.columns,
      offsets: c.layout.offsets && bytes(c.layout.offsets),
      mask: c.layout.mask && bytes(c.layout.mask),
      perSample: bytes(c.perSample),
      rewards: bytes(c.rewards),
    }));
    const child = `
      const ig = require(${JSON.stringify(fileURLToPath(new URL('../dist/index.js', import.meta.url)))});
      const fromBytes = ${fromBytes.toString()};
      const bytes = ${bytes.toString()};
      (async () => {
        const out = [];
        for (const c of JSON.parse(require('fs').readFileSync(0, 'utf8'))) {
          const layout = c.columns !== undefined ? { columns: c.columns } : { offsets: fromBytes(Int32Array, c.offsets) };
          if (c.mask) layout.mask = fromBytes(Uint8Array, c.mask);
          const perSample = fromBytes(Float32Array, c.perSample), rewards = fromBytes(Float32Array, c.rewards);
          const rp = ig.reinforcePPSync(rewards, layout, { gamma: 0.9 }), ra = await ig.reinforcePP(rewards, layout, { gamma: 0.9 });
          out.push([ig.broadcastToTokensSync(perSample, layout), await ig.broadcastToTokens(perSample, layout),
                    rp.returns, rp.advantages, ra.returns, ra.advantages].map(bytes));
        }
        process.stdout.write(JSON.stringify(out));
      })();`;
    const env = { ...process.env };
    delete env.INFOGAIN_POISON_OUTPUTS;
    const run = spawnSync(process.execPath, ['-e', child], { input: JSON.stringify(wire), env, encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(run.status, 0, run.stderr);
    const got = JSON.parse(run.stdout);
    for (const [i, c] of cases.entries()) {
      const rp = reinforcePPSync(c.rewards, c.layout, { gamma: 0.9 });
      const want = [broadcastToTokensSync(c.perSample, c.layout), rp.returns, rp.advantages];
      const [bs, ba, rs, as, rsa, asa] = got[i].map((b) => fromBytes(Float32Array, b));
      for (const [name, a, b] of [['broadcast sync', bs, want[0]], ['broadcast async', ba, want[0]], ['returns sync', rs, want[1]],
        ['advantages sync', as, want[2]], ['returns async', rsa, want[1]], ['advantages async', asa, want[2]]])
        assert.deepEqual(a, b, `${c.what}: ${name}`);
    }
  });
});

describe('promedAdvantages', () => {
  const r = rng(runSeed + 4);
  for (const [what, make] of Object.entries({
    padded: (rows) => paddedLayout(r, rows, 40, { holes: true }),
    packed: (rows) => packedLayout(r, rows, 1, 60, { masked: true }),
  })) {
    test(`${what}: r - token mean of the group (groups of 1, 2, 64, unsorted ids)`, () => {
      const groups = raggedIds(r, groupSizes(r, 20));
      const layout = make(groups.length);
      const L = layoutOf(layout, groups.length);
      const rewards = randomTokens(r, L.tokens);
      const got = promedAdvantagesSync({ rewards, layout, groups });
      const ref = refPromed(rewards, L, [...groups]);
      assertClose(got.advantages, ref.advantages, { ...tol, what });
      assertClose(got.groups.mean, ref.mean, { ...tol, what: `${what} means` });
      assert.equal(got.groups.std, undefined);
    });
  }

  test('hand case: the mean is over tokens, not rollouts', () => {
    // group 0: rollout A = [3, 3, 3] (3 tokens), rollout B = [0] (1 token): token mean 9/4, not (3 + 0) / 2
    const layout = { offsets: new Int32Array([0, 3, 4]) };
    const got = promedAdvantagesSync({ rewards: new Float32Array([3, 3, 3, 0]), layout, groupSize: 2 });
    assert.deepEqual([...got.advantages], [0.75, 0.75, 0.75, -2.25]);
    assert.deepEqual([...got.groups.count], [4]);
  });

  test('all-equal rewards give exactly 0', () => {
    const layout = paddedLayout(r, 6, 10, { holes: true });
    const got = promedAdvantagesSync({ rewards: new Float32Array(60).fill(0.1), layout, groupSize: 3 });
    assert.ok(got.advantages.every((x) => x === 0));
  });

  test('async equals sync', async () => {
    const layout = paddedLayout(r, 8, 16);
    const rewards = randomTokens(r, 8 * 16);
    assert.deepEqual(await promedAdvantages({ rewards, layout, groupSize: 4 }), promedAdvantagesSync({ rewards, layout, groupSize: 4 }));
  });
});
