// infoGain (InfoPO), beliefGain (IGPO) and maskFeedback: hand-made cases computed here from the
// formulas, and random 'full'-mode cases against the float64 KL reference.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { backends, beliefGain, beliefGainSync, infoGain, infoGainSync, maskFeedback, scoredSpans, toBFloat16, fromBFloat16 } from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import { refDivergence } from './helpers/divergence-reference.mjs';
import { rng } from './helpers/random.mjs';

const i32 = (...v) => Int32Array.from(v);
const f32 = (...v) => Float32Array.from(v);
const close = (a, b, what, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** Expected rewards: IG_t / len(action t) on action t's tokens for each turn t in `gains`. */
function expectedRewards(length, turns, gains) {
  const rewards = new Float64Array(length), has = new Uint8Array(length);
  for (const [t, ig] of gains)
    for (let j = turns.actionStart[t]; j < turns.actionEnd[t]; j++) {
      rewards[j] = ig / (turns.actionEnd[t] - turns.actionStart[t]);
      has[j] = 1;
    }
  return { rewards, has };
}

function checkInfoGain(result, turns, gains, what) {
  const expectedGain = new Float64Array(turns.actionStart.length), expectedHas = new Uint8Array(turns.actionStart.length);
  for (const [t, ig] of gains) {
    expectedGain[t] = ig;
    expectedHas[t] = 1;
  }
  assertClose(result.gains, expectedGain, { atol: 1e-6, rtol: 1e-6, what: `${what} gains` });
  assert.deepEqual(result.hasGain, expectedHas, `${what} hasGain`);
  const { rewards, has } = expectedRewards(turns.length, turns, gains);
  assertClose(result.rewards, rewards, { atol: 1e-6, rtol: 1e-6, what: `${what} rewards` });
  assert.deepEqual(result.hasReward, has, `${what} hasReward`);
}

describe('infoGain: hand-made cases', () => {
  // turn 0: action [0,3) obs [3,6); turn 1: action [6,8), no feedback; turn 2 (last): action [8,11) obs [11,14)
  const turns = { length: 18, actionStart: i32(0, 6, 8), actionEnd: i32(3, 8, 11), obsStart: i32(3, 8, 11), obsEnd: i32(6, 8, 14) };

  test('only turn 0 earns a gain: the mean log-ratio over action 1, spread over action 0', async () => {
    assert.deepEqual(scoredSpans(turns), i32(6, 8));
    const input = { ...turns, logpReal: f32(-0.5, -1), logpMasked: f32(-2, -1.5) };
    const ig = (1.5 + 0.5) / 2;
    checkInfoGain(infoGainSync(input), turns, [[0, ig]], 'sync');
    checkInfoGain(await infoGain(input), turns, [[0, ig]], 'async');
  });

  test('a gain of exactly 0 is present (hasGain 1), not a sentinel; a negative gain stays negative', () => {
    checkInfoGain(infoGainSync({ ...turns, logpReal: f32(-1, -2), logpMasked: f32(-1, -2) }), turns, [[0, 0]], 'zero');
    checkInfoGain(infoGainSync({ ...turns, logpReal: f32(-3, -2), logpMasked: f32(-1, -1) }), turns, [[0, -1.5]], 'negative');
  });

  test('spans of length 1, rollouts: the last turn of each rollout gets none, even with turns after it', () => {
    // rollout 0: turns 0, 1; rollout 1: turns 2, 3 (no feedback), 4
    const t = {
      length: 12,
      actionStart: i32(0, 3, 5, 7, 9),
      actionEnd: i32(1, 4, 6, 8, 10),
      obsStart: i32(1, 4, 6, 8, 10),
      obsEnd: i32(3, 5, 7, 8, 12),
      rollouts: i32(0, 2, 5),
    };
    assert.deepEqual(scoredSpans(t), i32(3, 4, 7, 8));  // action 1 (for turn 0), action 3 (for turn 2)
    const res = infoGainSync({ ...t, logpReal: f32(-0.1, -0.7), logpMasked: f32(-0.4, -0.2) });
    checkInfoGain(res, t, [[0, 0.3], [2, -0.5]], 'length-1 spans');
  });

  test('single-turn rollouts: no gains, no scored tokens', () => {
    const t = { length: 6, actionStart: i32(0, 3), actionEnd: i32(2, 5), obsStart: i32(2, 5), obsEnd: i32(3, 6), rollouts: i32(0, 1, 2) };
    assert.equal(scoredSpans(t).length, 0);
    checkInfoGain(infoGainSync({ ...t, logpReal: f32(), logpMasked: f32() }), t, [], 'single turns');
    const none = { length: 0, actionStart: i32(), actionEnd: i32(), obsStart: i32(), obsEnd: i32(), logpReal: f32(), logpMasked: f32() };
    const res = infoGainSync(none);
    assert.equal(res.gains.length + res.rewards.length, 0);
  });

  test('masking the feedback flips the next action: sampled and full modes, from the formulas', () => {
    // turn 0: action [0,2) obs [2,5); turn 1: action [5,6), one token, id 0. The real context
    // prefers token 0, the masked one token 1.
    const t = { length: 6, actionStart: i32(0, 5), actionEnd: i32(2, 6), obsStart: i32(2, 6), obsEnd: i32(5, 6) };
    const real = [5, 0, 0], masked = [0, 5, 0];
    const logSoftmax = (x) => {
      const lse = Math.log(x.reduce((s, v) => s + Math.exp(v), 0));
      return x.map((v) => v - lse);
    };
    const lr = logSoftmax(real), lm = logSoftmax(masked);
    const sampledIG = lr[0] - lm[0];  // = 5: the sampled token is far less likely without the feedback
    checkInfoGain(infoGainSync({ ...t, logpReal: f32(lr[0]), logpMasked: f32(lm[0]) }), t, [[0, sampledIG]], 'sampled');
    const fullIG = lr.reduce((s, l, j) => s + Math.exp(l) * (l - lm[j]), 0);
    const res = infoGainSync({ ...t, mode: 'full', real: { data: f32(...real), rows: 1, vocab: 3 }, masked: { data: f32(...masked), rows: 1, vocab: 3 } });
    checkInfoGain(res, t, [[0, fullIG]], 'full');
    assert.ok(sampledIG > 4.9 && fullIG > 4);
  });
});

describe("infoGain 'full' mode: mean full-vocabulary KL over the same tokens", () => {
  const r = rng();
  // rollout 0: turns 0..2; rollout 1: turns 3, 4. Turn 1 has no feedback.
  const t = {
    length: 60,
    actionStart: i32(0, 10, 20, 33, 45),
    actionEnd: i32(4, 13, 26, 37, 50),
    obsStart: i32(4, 13, 26, 37, 50),
    obsEnd: i32(8, 13, 30, 41, 55),
    rollouts: i32(0, 3, 5),
  };
  const spans = scoredSpans(t);  // action 1 (turn 0), action 4 (turn 3)
  const rows = spans[1] - spans[0] + spans[3] - spans[2];

  test('bfloat16 logits, temperature, against the reference; async equals sync', async () => {
    assert.deepEqual(spans, i32(10, 13, 45, 50));
    const vocab = 4099;
    const f = (scale) => Float32Array.from({ length: rows * vocab }, () => scale * r.normal());
    const realF = f(3), maskedF = Float32Array.from(realF, (x) => x + r.normal());
    const real = { data: toBFloat16(realF), rows, vocab, dtype: 'bfloat16' };
    const masked = { data: toBFloat16(maskedF), rows, vocab, dtype: 'bfloat16' };
    const kl = refDivergence(fromBFloat16(real.data), fromBFloat16(masked.data), rows, vocab, { temperature: 0.7 });
    const mean = (a, b) => kl.slice(a, b).reduce((s, v) => s + v, 0) / (b - a);
    const input = { ...t, mode: 'full', real, masked, temperature: 0.7 };
    const res = infoGainSync(input);
    checkInfoGain(res, t, [[0, mean(0, 3)], [3, mean(3, 8)]], 'full');
    assert.deepEqual(await infoGain(input), res);
  });

  test('CUDA matches the CPU', { skip: backends().cuda ? false : 'no CUDA device in this process' }, () => {
    const vocab = 32000;
    const real = { data: Float32Array.from({ length: rows * vocab }, () => 2 * r.normal()), rows, vocab };
    const masked = { data: Float32Array.from(real.data, (x) => x + r.normal()), rows, vocab };
    const cpu = infoGainSync({ ...t, mode: 'full', real, masked, backend: 'cpu' });
    const gpu = infoGainSync({ ...t, mode: 'full', real, masked, backend: 'cuda' });
    assertClose(gpu.gains, cpu.gains, { atol: 2e-5, what: 'cuda gains' });
    assert.deepEqual(gpu.hasReward, cpu.hasReward);
  });
});

describe('beliefGain: hand-made cases', () => {
  // step 0 (prior): v = -1.5; step 1: -0.9 (one token); step 2: -0.4; step 3: -0.15
  const logprobs = f32(-2, -1, -0.9, -0.5, -0.4, -0.3, -0.2, -0.1);
  const spans = i32(0, 2, 2, 3, 3, 6, 6, 8);
  const v = [-1.5, -0.9, -0.4, -0.15];

  test("'prob' (default): exp(v_s) - exp(v_{s-1}); 'logprob': v_s - v_{s-1}; async equals sync", async () => {
    const prob = beliefGainSync({ logprobs, spans });
    assertClose(prob.beliefs, Float64Array.from(v), { atol: 1e-7, what: 'beliefs' });
    assert.deepEqual([...prob.hasGain], [0, 1, 1, 1]);
    assert.deepEqual([...prob.skipped], [0, 0, 0, 0]);
    [0, 1, 2, 3].forEach((s) => close(prob.gains[s], s ? Math.exp(v[s]) - Math.exp(v[s - 1]) : 0, `prob gain ${s}`));
    const log = beliefGainSync({ logprobs, spans, mode: 'logprob' });
    [0, 1, 2, 3].forEach((s) => close(log.gains[s], s ? v[s] - v[s - 1] : 0, `logprob gain ${s}`));
    assert.deepEqual(await beliefGain({ logprobs, spans, mode: 'logprob' }), log);
  });

  test('a NaN belief is skipped and reported; the next step compares with the last kept one', () => {
    const lp = logprobs.slice();
    lp[4] = NaN;  // step 2
    for (const mode of ['prob', 'logprob']) {
      const f = mode === 'prob' ? Math.exp : (x) => x;
      const res = beliefGainSync({ logprobs: lp, spans, mode });
      assert.ok(Number.isNaN(res.beliefs[2]));
      assert.deepEqual([...res.skipped], [0, 0, 1, 0]);
      assert.deepEqual([...res.hasGain], [0, 1, 0, 1]);
      close(res.gains[3], f(v[3]) - f(v[1]), `${mode}: step 3 against step 1`);
    }
  });

  test('-Infinity (and empty spans) make v non-finite: skipped too', () => {
    const lp = logprobs.slice();
    lp[2] = -Infinity;  // step 1
    const res = beliefGainSync({ logprobs: lp, spans: i32(0, 2, 2, 3, 3, 3, 6, 8) });  // step 2 empty
    assert.equal(res.beliefs[1], -Infinity);
    assert.ok(Number.isNaN(res.beliefs[2]));
    assert.deepEqual([...res.skipped], [0, 1, 1, 0]);
    assert.deepEqual([...res.hasGain], [0, 0, 0, 1]);
    close(res.gains[3], Math.exp(v[3]) - Math.exp(v[0]), 'step 3 against the prior');
  });

  test('a skipped prior leaves its rollout without gains; other rollouts and single-step rollouts', () => {
    const lp = f32(NaN, -1, -0.5, -2, -1, -3);
    // rollout 0: steps 0..2 (prior NaN); rollout 1: steps 3, 4; rollout 2: step 5 alone
    const res = beliefGainSync({ logprobs: lp, spans: i32(0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6), rollouts: i32(0, 3, 5, 6), mode: 'logprob' });
    assert.deepEqual([...res.skipped], [1, 0, 0, 0, 0, 0]);
    assert.deepEqual([...res.hasGain], [0, 0, 0, 0, 1, 0]);
    close(res.gains[4], 1, 'rollout 1');
    assert.deepEqual([...res.gains], [0, 0, 0, 0, 1, 0]);
  });

  test('spans in any order: each step reads its own tokens', () => {
    const res = beliefGainSync({ logprobs: f32(-1, -3), spans: i32(1, 2, 0, 1), mode: 'logprob' });
    assert.deepEqual([...res.beliefs], [-3, -1]);
    close(res.gains[1], 2, 'gain');
  });
});

describe('maskFeedback', () => {
  const ids = Int32Array.from({ length: 12 }, (_, i) => 100 + i);
  test('pads by repeating the placeholder\'s last id, truncates, keeps every other position', () => {
    const before = ids.slice();
    const out = maskFeedback(ids, i32(8, 10, 2, 6, 11, 11), i32(7, 8, 9));
    assert.deepEqual([...out], [100, 101, 7, 8, 9, 9, 106, 107, 7, 8, 110, 111]);
    assert.notEqual(out, ids);
    assert.deepEqual(ids, before, 'input untouched');
    assert.deepEqual(maskFeedback(ids, i32(3, 6), i32(1, 2, 3)), Int32Array.from([100, 101, 102, 1, 2, 3, 106, 107, 108, 109, 110, 111]));
    assert.deepEqual(maskFeedback(ids, i32(), i32(5)), ids);
  });
});
