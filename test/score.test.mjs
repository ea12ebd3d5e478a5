// The main job end to end: the bundled model and example rollouts through `infogain score`, the
// scorer's own contract, and the CLI's handling of bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { OnnxScorer, tokenLogprobsSync } from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'infogain-score-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function score(mode) {
  const out = join(dir, `rewards-${mode}.jsonl`);
  const r = run(['score', '--mode', mode, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

const examples = readFileSync(join(root, 'examples', 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** InfoPO gains of the turns whose answer was informative, and of those whose was not. */
function gainsByInformativeness(records) {
  const informative = [], uninformative = [];
  records.forEach((rec, i) => {
    const labels = examples[i].meta.informative;
    rec.turns.forEach((t, k) => {
      if (t.infoGain === null) return;
      (labels[k] ? informative : uninformative).push(t.infoGain);
    });
  });
  return { informative, uninformative };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('infogain score on the bundled model and examples', () => {
  const sampled = score('sampled');
  const full = score('full');

  test('one record per rollout, aligned with its tokens', () => {
    assert.equal(sampled.length, examples.length);
    for (const [i, rec] of sampled.entries()) {
      assert.equal(rec.id, examples[i].id);
      assert.equal(rec.turns.length, examples[i].turns.length);
      assert.equal(rec.tokenRewards.length, rec.tokens);
      assert.equal(rec.infopoAdvantages.length, rec.tokens);
      assert.equal(rec.igpoAdvantages.length, rec.tokens);
      assert.equal(rec.beliefs.length, rec.turns.length);
      assert.equal(rec.turns.at(-1).infoGain, null, 'the last turn earns no InfoPO gain');
      assert.equal(rec.turns.at(-1).beliefGain, null, 'the answer turn earns no IGPO gain');
    }
  });

  test('informative answers earn more information gain than uninformative ones', () => {
    const { informative, uninformative } = gainsByInformativeness(sampled);
    assert.ok(informative.length >= 10 && uninformative.length >= 5, `${informative.length} / ${uninformative.length} turns`);
    const mi = mean(informative), mu = mean(uninformative);
    // measured on the committed model: 0.46 vs 0.07 nats (min informative 0.29, max uninformative 0.18)
    assert.ok(mi > mu + 0.2 && mi > 3 * mu, `mean IG: informative ${mi}, uninformative ${mu}`);
    const sorted = [...uninformative].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1];
    const above = informative.filter((g) => g > median).length / informative.length;
    assert.ok(above >= 0.9, `only ${above} of informative turns beat the uninformative median ${median}`);
  });

  test("--mode full and --mode sampled agree in sign on the informative turns", () => {
    const s = gainsByInformativeness(sampled).informative, f = gainsByInformativeness(full).informative;
    assert.equal(s.length, f.length);
    for (let i = 0; i < s.length; i++) assert.ok(s[i] > 0 && f[i] > 0, `turn ${i}: sampled ${s[i]}, full ${f[i]}`);
    for (const rec of full) for (const t of rec.turns) if (t.infoGain !== null) assert.ok(t.infoGain >= 0, 'KL is never negative');
  });

  test('IGPO beliefs rise when the user reveals a slot', () => {
    let rises = 0, informativeTurns = 0;
    sampled.forEach((rec, i) => {
      examples[i].meta.informative.forEach((inf, k) => {
        if (!inf || rec.turns[k].beliefGain === null) return;
        informativeTurns++;
        if (rec.turns[k].beliefGain > 0) rises++;
      });
    });
    assert.ok(informativeTurns > 0 && rises / informativeTurns >= 0.9, `${rises} of ${informativeTurns}`);
  });

  test('token rewards are IG / len on the earning action, null elsewhere', () => {
    const rec = sampled.find((r) => r.turns[0].infoGain !== null);
    const rewarded = rec.tokenRewards.filter((v) => v !== null);
    const sum = rewarded.reduce((a, b) => a + b, 0);
    const total = rec.turns.reduce((a, t) => a + (t.infoGain ?? 0), 0);
    assert.ok(Math.abs(sum - total) < 1e-4 * Math.max(1, Math.abs(total)), `${sum} vs ${total}`);
  });

  test('the summary table goes to stdout', () => {
    const r = run(['score', '--out', join(dir, 'x.jsonl')]);
    assert.match(r.stdout, /\| group \| rollouts \| mean reward/);
    assert.match(r.stdout, /36 of 36 rollouts scored/);
  });
});

test('Ctrl-C stops after the current batch and writes the whole groups scored so far (exit 130)', async () => {
  const file = join(dir, 'many.jsonl');
  const lines = [];
  for (let k = 0; k < 30; k++) for (const e of examples) lines.push(JSON.stringify({ ...e, id: `${e.id}-${k}`, group: `${e.group}-${k}` }));
  writeFileSync(file, lines.join('\n'));
  const out = join(dir, 'interrupted.jsonl');
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [cli, 'score', file, '--out', out], { cwd: dir });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => (stderr += d));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  child.kill('SIGINT');
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted/);
  const records = readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(records.length > 0 && records.length < lines.length, `${records.length} records`);
  const perGroup = new Map();
  for (const r of records) perGroup.set(r.group, (perGroup.get(r.group) ?? 0) + 1);
  for (const [g, n] of perGroup) assert.equal(n, 6, `group ${g} is whole`);
});

describe('bad input to infogain score', () => {
  test('bad JSONL lines: every one reported with its number and reason, exit 2, nothing written', () => {
    const file = join(dir, 'bad.jsonl');
    const lines = [
      JSON.stringify(examples[0]),
      '{not json',
      JSON.stringify({ ...examples[1], reward: 'high' }),
      '',
      JSON.stringify({ ...examples[2], turns: [] }),
      JSON.stringify({ ...examples[3], rewrad: 1 }),
    ];
    writeFileSync(file, lines.join('\n'));
    const out = join(dir, 'never.jsonl');
    const r = run(['score', file, '--out', out]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /4 bad rollout lines/);
    assert.match(r.stderr, /line 2: not JSON/);
    assert.match(r.stderr, /line 3: "reward" must be a finite number/);
    assert.match(r.stderr, /line 5: "turns" must be a non-empty array/);
    assert.match(r.stderr, /line 6: unknown field "rewrad"/);
    assert.throws(() => readFileSync(out));
  });

  test('a model file that is not ONNX: exit 1 with ERR_INFOGAIN_MODEL', () => {
    const model = join(dir, 'not-a-model.onnx');
    writeFileSync(model, 'this is not a protobuf');
    const r = run(['score', '--model', model, '--out', join(dir, 'y.jsonl')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ERR_INFOGAIN_MODEL: model .*not-a-model\.onnx could not be loaded by onnxruntime/);
  });

  test('a tokenizer whose vocabulary does not match the model: exit 1 with ERR_INFOGAIN_VOCAB_MISMATCH', () => {
    const vocab = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`w${i}`, i]));
    const tok = { version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null, model: { type: 'WordLevel', vocab, unk_token: 'w0' } };
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, JSON.stringify(tok));
    const r = run(['score', '--tokenizer', path, '--out', join(dir, 'z.jsonl')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ERR_INFOGAIN_VOCAB_MISMATCH: the tokenizer \(tokenizer.json\) has 300 ids but the model's logits cover 256/);
  });

  test('a rollout the tokenizer cannot encode is a bad line (exit 2), listed with the others', () => {
    // a word-level tokenizer with no unknown token: 'zzz' has no id
    const vocab = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`w${i}`, i]));
    const tok = { version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null, model: { type: 'WordLevel', vocab } };
    const path = join(dir, 'no-unk-tokenizer.json'), file = join(dir, 'unencodable.jsonl');
    writeFileSync(path, JSON.stringify(tok));
    writeFileSync(file, [{ group: 1, prompt: 'w1 w2', turns: [{ action: 'w3 w4', observation: 'w5' }, { action: 'w6' }], reward: 1 }, { group: 1, prompt: 'w1 zzz', turns: [{ action: 'w3' }], reward: 1 }].map((r) => JSON.stringify(r)).join('\n'));
    const r = run(['score', file, '--tokenizer', path, '--placeholder', 'w7', '--belief-prefix', 'w8', '--out', join(dir, 'never2.jsonl')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /1 bad rollout line; nothing was scored:\n.*unencodable\.jsonl: line 2 \(id "line 2"\): tokenizer .* has no id for a piece of "w1 zzz"/);
  });

  test('bad flags and a missing file', () => {
    assert.equal(run(['score', '--mode', 'both']).code, 2);
    assert.equal(run(['score', '--beta', 'x']).code, 2);
    assert.equal(run(['score', '--gamma', '2']).code, 2);
    assert.equal(run(['score', '--frobnicate']).code, 2);
    assert.equal(run(['frobnicate']).code, 2);
    const r = run(['score', join(dir, 'missing.jsonl')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ENOENT/);
  });
});

describe('OnnxScorer', () => {
  test('spanLogprobs = tokenLogprobs over positionLogits; batching does not change results', async () => {
    const one = await OnnxScorer.create({ batchSize: 1 });
    const many = await OnnxScorer.create({ batchSize: 8 });
    const texts = ['U: book a flight\nA: where to?\nU: oslo', 'U: i need a flight', 'U: get me a ticket\nA: when?\nU: may 3\nA: BOOK('];
    const seqs = texts.map((t) => one.encode(t));
    const spans = seqs.map((s) => Int32Array.of(1, s.length));
    const a = await one.spanLogprobs(seqs, spans), b = await many.spanLogprobs(seqs, spans);
    for (let i = 0; i < seqs.length; i++) assertClose(b[i], a[i], { atol: 1e-4, what: `sequence ${i}` });
    const logits = await many.positionLogits(seqs, spans);
    assert.equal(logits.rows, seqs.reduce((n, s) => n + s.length - 1, 0));
    const targets = Int32Array.from(seqs.flatMap((s) => [...s.subarray(1)]));
    const direct = tokenLogprobsSync(logits, targets).logprobs;
    assert.deepEqual(Array.from(direct.subarray(0, b[0].length)), Array.from(b[0]));
    await one.dispose();
    await many.dispose();
  });

  test('a branch at position 0 batched with branches that have a past (an empty prompt with a ground truth)', async () => {
    // regression: padPast read the missing cache of the branch without a past and threw
    const s = await OnnxScorer.create();
    const trunk = s.encode('xyy'), belief = s.encode('\nA: zz');
    const branches = [0, 1].map((at) => ({ at, ids: belief }));
    const logprobs = branches.map((b, i) => ({ sequence: i, start: b.at + 1, end: b.at + belief.length }));
    const [got] = await s.score([{ tree: { ids: trunk, branches }, logprobs }]);
    const whole = branches.map((b) => Int32Array.from([...trunk.subarray(0, b.at), ...belief]));
    const want = await s.spanLogprobs(whole, branches.map((b) => Int32Array.of(b.at + 1, b.at + belief.length)));
    assertClose(got.logprobs, Float32Array.from(want.flatMap((w) => [...w])), { atol: 1e-4, what: 'branch logprobs' });
    const file = join(dir, 'empty-prompt.jsonl');
    writeFileSync(file, ['a', 'b'].map((id, k) => JSON.stringify({ id, group: 'g', prompt: '', turns: [{ action: 'x', observation: 'yy' }, { action: 'zz' }], reward: k, groundTruth: 'zz' })).join('\n'));
    const r = run(['score', file, '--out', join(dir, 'empty-prompt-out.jsonl')]);
    assert.equal(r.code, 0, r.stderr);
    await s.dispose();
  });

  test('bad sequences and spans are typed errors', async () => {
    const s = await OnnxScorer.create();
    await assert.rejects(s.spanLogprobs([Int32Array.of(1, 2)], [Int32Array.of(0, 2)]), { code: 'ERR_OUT_OF_RANGE', argument: 'spans[0]' });
    await assert.rejects(s.spanLogprobs([Int32Array.of(1, 999)], [Int32Array.of(1, 2)]), { code: 'ERR_OUT_OF_RANGE', argument: 'sequences[0]' });
    await assert.rejects(s.spanLogprobs([new Int32Array(300)], [Int32Array.of(1, 2)]), { code: 'ERR_OUT_OF_RANGE', argument: 'sequences[0]' });
    await assert.rejects(s.spanLogprobs([Int32Array.of(1, 2)], []), { code: 'ERR_INFOGAIN_SHAPE' });
    // a Proxy of an Int32Array is no Int32Array (its length getter would throw a bare TypeError)
    await assert.rejects(s.spanLogprobs([new Proxy(Int32Array.of(1, 2), {})], [Int32Array.of(1, 2)]), { code: 'ERR_INVALID_ARG_TYPE', argument: 'sequences[0]' });
    const request = () => ({ tree: { ids: Int32Array.of(1, 2, 3), branches: [] }, logprobs: [{ sequence: -1, start: 1, end: 3 }] });
    await assert.rejects(s.score([{ ...request(), tree: { ids: new Proxy(Int32Array.of(1, 2), {}), branches: [] } }]), { code: 'ERR_INVALID_ARG_TYPE', argument: 'requests[0].tree.ids' });
    // a misspelt key of a request, its tree, a branch or a span is an error, not a silent default
    for (const [typo, edit] of [
      ['entropyy', (r) => ({ ...r, entropyy: true })],
      ['branch', (r) => ({ ...r, tree: { ...r.tree, branch: [] } })],
      ['idz', (r) => ({ ...r, tree: { ...r.tree, branches: [{ at: 1, ids: Int32Array.of(4), idz: 1 }] } })],
      ['stop', (r) => ({ ...r, logprobs: [{ sequence: -1, start: 1, end: 3, stop: 2 }] })],
    ])
      await assert.rejects(s.score([edit(request())]), { code: 'ERR_INFOGAIN_UNKNOWN_OPTION', argument: typo });
    await s.dispose();
  });

  test('after dispose(): ERR_INFOGAIN_DISPOSED, also for a call it cut short; dispose() again does nothing', async () => {
    const s = await OnnxScorer.create();
    const ids = Int32Array.from({ length: 200 }, (_, i) => 65 + (i % 26));
    const running = s.spanLogprobs([ids, ids, ids], [Int32Array.of(1, 200), Int32Array.of(1, 200), Int32Array.of(1, 200)]);
    await s.dispose();
    await running.then(() => {}, (e) => assert.equal(e.code, 'ERR_INFOGAIN_DISPOSED', e.message));  // or it finished first
    await assert.rejects(s.spanLogprobs([ids], [Int32Array.of(1, 2)]), { code: 'ERR_INFOGAIN_DISPOSED' });
    await assert.rejects(s.score([]), { code: 'ERR_INFOGAIN_DISPOSED' });
    assert.throws(() => s.encode('hi'), { code: 'ERR_INFOGAIN_DISPOSED' });
    await s.dispose();
  });

  test('a model given as bytes (its context unknown): a sequence past its context is ERR_INFOGAIN_MODEL saying so', async () => {
    const s = await OnnxScorer.create({ model: readFileSync(join(root, 'model', 'tiny-clarify.onnx')) });
    assert.equal(s.maxLength, undefined);
    await assert.rejects(s.spanLogprobs([new Int32Array(300).fill(65)], [Int32Array.of(1, 300)]), (e) => e.code === 'ERR_INFOGAIN_MODEL' && /past the model's context\? give maxLength/.test(e.message) && e.cause instanceof Error);
    await s.dispose();
  });

  test('create: a model that is a directory, a tokenizer that is no tokenizer: typed errors', async () => {
    await assert.rejects(OnnxScorer.create({ model: dirname(fileURLToPath(import.meta.url)) }), { code: 'ERR_INFOGAIN_MODEL' });
    for (const tokenizer of [5, {}, { encode: () => new Int32Array(0) }])
      await assert.rejects(OnnxScorer.create({ tokenizer }), { code: 'ERR_INVALID_ARG_TYPE', argument: 'tokenizer' });
  });
});
