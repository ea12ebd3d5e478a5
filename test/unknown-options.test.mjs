// A misspelt option is an error, never a silent default: every function that takes an options or
// input object rejects an unknown key with ERR_INFOGAIN_UNKNOWN_OPTION, naming the key and the
// nearest valid one. The table below is checked for completeness against the package's own type
// declarations: a new exported function with an options or input parameter must get a row.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as ig from '../dist/index.js';

const { codes } = ig;
const f32 = (n, v = 0) => new Float32Array(n).fill(v);
const logits = () => ({ data: Float32Array.from({ length: 8 }, (_, i) => i / 8), rows: 2, vocab: 4 });
const side = () => ({ ids: Int32Array.of(0, 1), logprobs: Float32Array.of(-1, -2), k: 2 });
const turns = () => ({ length: 4, actionStart: Int32Array.of(0), actionEnd: Int32Array.of(2), obsStart: Int32Array.of(2), obsEnd: Int32Array.of(4) });
const fakeSource = { tokenizer: { encode: () => new Int32Array(0) }, vocab: 4, score: async () => [] };

/**
 * name: [valid arguments, index of the object argument, a misspelt key, the key it should suggest].
 * Functions with a Sync twin are tried in both forms.
 */
const rows = {
  tokenLogprobs: [() => [logits(), new Int32Array(2), {}], 2, 'temprature', 'temperature'],
  klDivergence: [() => [logits(), logits(), {}], 2, 'directon', 'direction'],
  logRatio: [() => [f32(3), f32(3), {}], 2, 'estimater', 'estimator'],
  topkKL: [() => [side(), side(), {}], 2, 'reduse', 'reduce'],
  'topkKL (side)': [() => [side(), side()], 1, 'sampledLogprob', 'sampledLogprobs', 'topkKL'],
  infoGain: [() => [{ ...turns(), logpReal: f32(0), logpMasked: f32(0) }], 0, 'temprature', 'temperature'],
  scoredSpans: [() => [turns()], 0, 'actionstart', 'actionStart'],
  beliefGain: [() => [{ logprobs: f32(2), spans: Int32Array.of(0, 2) }], 0, 'modes', 'mode'],
  groupAdvantages: [() => [f32(4), { groupSize: 2 }], 1, 'estimater', 'estimator'],
  rlpAdvantages: [() => [f32(4), f32(4), { groupSize: 2 }], 2, 'groupsize', 'groupSize'],
  broadcastToTokens: [() => [f32(2), { columns: 2 }], 1, 'masks', 'mask'],
  reinforcePP: [() => [f32(4), { columns: 2 }, {}], 2, 'gama', 'gamma'],
  promedAdvantages: [() => [{ rewards: f32(4), layout: { columns: 2 }, groupSize: 1 }], 0, 'reward', 'rewards'],
  infopoAdvantages: [() => [{ scores: f32(2), intrinsic: f32(4), present: new Uint8Array(4), layout: { columns: 2 }, groupSize: 2 }, {}], 1, 'bta', 'beta'],
  'infopoAdvantages (input)': [() => [{ scores: f32(2), intrinsic: f32(4), present: new Uint8Array(4), layout: { columns: 2 }, groupSize: 2 }, {}], 0, 'presence', 'present', 'infopoAdvantages'],
  igpoAdvantages: [() => [{ outcome: f32(2), gains: f32(0), gainOffsets: new Int32Array(3), gainEnds: new Int32Array(0), layout: { columns: 2 }, groupSize: 2 }, {}], 1, 'gamm', 'gamma'],
  empgAdvantages: [() => [{ entropy: f32(2), advantage: f32(1), stepOffsets: Int32Array.of(0, 2) }, {}], 1, 'zata', 'zeta'],
  sarRewards: [() => [f32(2), f32(2), {}], 2, 'useLogs', 'useLog'],
  parRewards: [() => [{ rewards: f32(2), references: f32(2) }, {}], 1, 'maxReference', 'maxReferences'],
  clipDeltaRewards: [() => [f32(2), Int32Array.of(0, 2), { mode: 'delta' }], 2, 'lastStepp', 'lastStep'],
  insightScores: [() => [f32(1, 1), f32(1, 1), {}], 2, 'rollout', 'rollouts'],
  shapleyExact: [() => [new Float64Array(4), {}], 1, 'indx', 'index'],
  shapleyWeights: [() => [Float64Array.of(1, 2), 2, {}], 2, 'methd', 'method'],
  questionGains: [() => [Float64Array.of(0.5, 0.5), new Uint8Array(2), {}], 2, 'firstonly', 'firstOnly'],
  createRewardPool: [() => [{}], 0, 'thread', 'threads'],
  configure: [() => [{}], 0, 'thread', 'threads'],
  shapley: [() => [2, (m) => new Float64Array(m.length), { budget: 4 }], 2, 'methd', 'method'],
  ShapleyEstimator: [() => [{ players: 2, budget: 4 }], 0, 'seeds', 'seed'],
  linearLogprobs: [() => [{ data: f32(4), rows: 2, dim: 2 }, { data: f32(6), vocab: 3, dim: 2 }, new Int32Array(2), {}], 3, 'softcapp', 'softcap'],
  linearKL: [() => [{ data: f32(4), rows: 2, dim: 2 }, { data: f32(4), rows: 2, dim: 2 }, { data: f32(6), vocab: 3, dim: 2 }, {}], 3, 'directon', 'direction'],
  // the matrices themselves: a misspelt dtype or transposed would read the data wrongly without a word
  'tokenLogprobs (logits)': [() => [logits(), new Int32Array(2), {}], 0, 'dtpye', 'dtype', 'tokenLogprobs'],
  'klDivergence (q)': [() => [logits(), logits(), {}], 1, 'vocabs', 'vocab', 'klDivergence'],
  'linearLogprobs (hidden)': [() => [{ data: f32(4), rows: 2, dim: 2 }, { data: f32(6), vocab: 3, dim: 2 }, new Int32Array(2), {}], 0, 'dimm', 'dim', 'linearLogprobs'],
  'linearLogprobs (weight)': [() => [{ data: f32(4), rows: 2, dim: 2 }, { data: f32(6), vocab: 3, dim: 2 }, new Int32Array(2), {}], 1, 'transpose', 'transposed', 'linearLogprobs'],
  'OnnxScorer.create': [() => [{}], 0, 'batchsize', 'batchSize'],
  // a server that is not there: the valid call fails at once with ERR_INFOGAIN_SERVER, not over its options
  openSource: [() => [{ backend: 'sglang', server: 'http://127.0.0.1:1', retries: 0 }], 0, 'concurency', 'concurrency'],
  'SglangSource.create': [() => [{ server: 'http://127.0.0.1:1', retries: 0 }], 0, 'timeoutMS', 'timeoutMs'],
  'VllmSource.create': [() => [{ server: 'http://127.0.0.1:1', retries: 0 }], 0, 'modle', 'model'],
  scoreChunk: [() => [[], fakeSource, { ...ig.defaultScoreOptions }], 2, 'gama', 'gamma'],
  finishScores: [() => [[], [], { ...ig.defaultScoreOptions }], 2, 'gateTemp', 'gateTemperature'],
  checkRollouts: [() => [[], [], fakeSource, { ...ig.defaultScoreOptions }], 3, 'placeholdr', 'placeholder'],
  scoreTokenized: [() => [[], fakeSource, { ...ig.defaultScoreOptions }], 2, 'beliefmode', 'beliefMode'],
  checkCalibrationRollouts: [() => [[], [], fakeSource, { ...ig.defaultScoreOptions }], 3, 'reward', 'rewards'],
  calibrationScores: [() => [[], fakeSource, {}], 2, 'temprature', 'temperature'],
  beliefEntropyGain: [() => [{ candidateLogits: f32(2), candidates: Int32Array.of(0, 2) }, {}], 1, 'temprature', 'temperature'],
  'beliefEntropyGain (input)': [() => [{ candidateLogits: f32(2), candidates: Int32Array.of(0, 2) }, {}], 0, 'step', 'steps', 'beliefEntropyGain'],
  conformalScores: [() => [{ candidateLogits: f32(2), candidates: Int32Array.of(0, 2), labels: Int32Array.of(0) }, {}], 1, 'temprature', 'temperature'],
  'conformalScores (input)': [() => [{ candidateLogits: f32(2), candidates: Int32Array.of(0, 2), labels: Int32Array.of(0) }, {}], 0, 'label', 'labels', 'conformalScores'],
  conformalQuantile: [() => [Float64Array.of(0.1, 0.5), 0.5, {}], 2, 'methd', 'method'],
  predictionSetSizes: [() => [{ candidateLogits: f32(2), candidates: Int32Array.of(0, 2) }, { qhat: 0.5 }], 1, 'uncertanty', 'uncertainty'],
  'predictionSetSizes (input)': [() => [{ candidateLogits: f32(2), candidates: Int32Array.of(0, 2) }, { qhat: 0.5 }], 0, 'rollout', 'rollouts', 'predictionSetSizes'],
  phaseEntropyRewards: [() => [{ entropies: f32(2), offsets: Int32Array.of(0, 2), delimiters: Int32Array.of(1, 1), correctness: f32(1) }, { alpha: 0.1 }], 1, 'alpah', 'alpha'],
  'phaseEntropyRewards (input)': [() => [{ entropies: f32(2), offsets: Int32Array.of(0, 2), delimiters: Int32Array.of(1, 1), correctness: f32(1) }, { alpha: 0.1 }], 0, 'delimeters', 'delimiters', 'phaseEntropyRewards'],
};
function target(name) {
  if (name === 'ShapleyEstimator') return (...a) => new ig.ShapleyEstimator(...a);
  if (name === 'OnnxScorer.create') return (...a) => ig.OnnxScorer.create(...a);
  if (name === 'SglangSource.create') return (...a) => ig.SglangSource.create(...a);
  if (name === 'VllmSource.create') return (...a) => ig.VllmSource.create(...a);
  return ig[name];
}

/** The error a call throws or rejects with (undefined when it returns). */
async function errorOf(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

async function check(label, [build, at, typo, suggestion, fnName]) {
  const base = fnName ?? label;
  const forms = typeof ig[`${base}Sync`] === 'function' ? [base, `${base}Sync`] : [base];
  for (const form of forms) {
    const args = build();
    const good = await errorOf(() => target(form)(...args));
    assert.ok(!good || good.code !== codes.unknownOption, `${form}: the valid call already fails: ${good?.message}`);
    // the typo goes into the object at `at`; for 'topkKL (side)' that is the side p
    args[at] = { ...args[at], [typo]: args[at]?.[suggestion] ?? 1 };
    const e = await errorOf(() => target(form)(...args));
    assert.ok(e, `${form}: { ${typo} } was accepted`);
    assert.ok(e instanceof TypeError, `${form}: ${e.name}: ${e.message}`);
    assert.equal(e.code, codes.unknownOption, `${form}: ${e.message}`);
    assert.equal(e.argument, typo);
    assert.equal(e.suggestion, suggestion, e.message);
    assert.ok(e.message.includes(`did you mean '${suggestion}'`), e.message);
  }
}

describe('unknown option keys: ERR_INFOGAIN_UNKNOWN_OPTION with the nearest valid key', () => {
  for (const [label, row] of Object.entries(rows)) test(label, () => check(label, row));
  test("ShapleyEstimator's promed sub-options", () => {
    assert.throws(
      () => new ig.ShapleyEstimator({ players: 2, budget: 4, method: 'promed-reference', promed: { maxPermutation: 5 } }),
      (e) => e.code === codes.unknownOption && e.suggestion === 'maxPermutations',
    );
  });

  test('the pool: a call option given to a method points at pool.with()', async () => {
    const pool = ig.createRewardPool({ threads: 1 });
    try {
      const e = await errorOf(() => pool.tokenLogprobs(logits(), new Int32Array(2), { signal: new AbortController().signal }));
      assert.equal(e.code, codes.unknownOption);
      assert.match(e.message, /pool\.with\(\{ signal \}\)/);
      assert.throws(() => pool.with({ trasnfer: true }), (x) => x.code === codes.unknownOption && x.suggestion === 'transfer');
    } finally {
      await pool.close();
    }
  });

  test('a key that is nothing like a valid one: no suggestion, the valid keys listed', () => {
    assert.throws(
      () => ig.tokenLogprobsSync(logits(), new Int32Array(2), { x: 1 }),
      (e) => e.code === codes.unknownOption && e.suggestion === undefined && /known: temperature, entropy, ignoreIndex, backend/.test(e.message),
    );
  });
});

test('every exported function with an options or input parameter has a row (from the type declarations)', () => {
  const dist = fileURLToPath(new URL('../dist/', import.meta.url));
  const declared = new Set();
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(join(dist, file), 'utf8');
    for (const m of text.matchAll(/export declare function (\w+)(?:<[^>]*>)?\(([^)]*)\)/g))
      if (/: (\w+Options|\w+Input|Grouping|TokenLayout|TopkSide|Turns)\b/.test(m[2])) declared.add(m[1].replace(/Sync$/, ''));
    for (const m of text.matchAll(/(?:constructor|static create)\(\w+\??: (\w+Options)\)/g)) declared.add(m[1]);
  }
  const covered = new Set(Object.keys(rows).map((k) => k.replace(/ \(.*\)$/, '')));
  const exported = new Set(Object.keys(ig));
  const missing = [...declared].filter((name) => exported.has(name) && !covered.has(name));
  assert.deepEqual(missing, [], 'functions taking options with no row in test/unknown-options.test.mjs');
  assert.ok(declared.size >= 25, `${declared.size} functions found: ${[...declared]}`);
});
