// The scorer's fused head (issue 20): log-probs, entropies and KL straight from the scored rows'
// hidden states and the head's weight, never making logits. Every head form the test decoders
// have (test/helpers/test-model.mjs), both dtypes, every layout: the same answers as onnxruntime's
// head; heads the kernels cannot express are refused with the reason ('auto' falls back); the
// weight read from the model's bytes, a file, or external data.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { OnnxScorer, tokenLogprobsSync } from '../dist/index.js';
import { fusedHeadOf } from '../dist/model/fusedHead.js';
import { LogprobChunks } from '../dist/model/reduce.js';
import { model, node, tensor, valueInfo } from '../dist/onnx/build.js';
import { decodeModel, encodeModel } from '../dist/onnx/proto.js';
import { assertClose } from './helpers/assert.mjs';
import { rng, runSeed } from './helpers/random.mjs';
import { buildModel, headForms, writeTestModels, writeWithExternalData } from './helpers/test-model.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'infogain-fused-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const small = { vocab: 1000, width: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, maxLength: 512 };
const r = rng(runSeed).next;
const randomIds = (n, vocab = small.vocab) => Int32Array.from({ length: n }, () => Math.floor(r() * vocab));
const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

/** A random tree with log-probs over trunk and branches and a KL per branch that fits the trunk. */
function randomRequest(vocab) {
  const ids = randomIds(int(20, 50), vocab);
  const branches = Array.from({ length: int(1, 3) }, () => ({ at: int(1, ids.length - 1), ids: randomIds(int(1, 8), vocab) }));
  const logprobs = [{ sequence: -1, start: 1, end: ids.length }];
  branches.forEach((b, i) => logprobs.push({ sequence: i, start: b.at, end: b.at + b.ids.length }));
  const divergences = branches.flatMap((b, i) => (b.at + b.ids.length <= ids.length ? [[{ sequence: -1, start: b.at, end: b.at + b.ids.length }, { sequence: i, start: b.at, end: b.at + b.ids.length }]] : []));
  return { tree: { ids, branches }, logprobs, divergences };
}

/** Scores `requests` with fusedHead true and false; returns both results and scorers' stats. */
async function bothHeads(path, requests, options = {}) {
  const out = {};
  for (const fusedHead of [true, false]) {
    const scorer = await OnnxScorer.create({ model: path, splitHead: true, fusedHead, ...options });
    assert.equal(scorer.layout.fusedHead, fusedHead);
    assert.equal(scorer.layout.splitHead, true);
    out[fusedHead] = { results: await scorer.score(requests, { temperature: 0.8 }), stats: { ...scorer.stats } };
    await scorer.dispose();
  }
  return { fused: out.true, ort: out.false };
}

function assertSame(fused, ort, atol, what) {
  fused.results.forEach((f, i) => {
    assertClose(f.logprobs, ort.results[i].logprobs, { atol, rtol: atol, what: `${what} request ${i} logprobs` });
    assertClose(f.divergences, ort.results[i].divergences, { atol, rtol: atol, what: `${what} request ${i} divergences` });
  });
  // no logits: nothing went through onnxruntime's head
  assert.equal(fused.stats.largestLogitsChunk, 0, `${what}: logits rows made`);
  assert.equal(fused.stats.headMs, 0);
  assert.ok(fused.stats.headPasses > 0 && fused.stats.rowsScored === ort.stats.rowsScored, `${what}: ${fused.stats.headPasses} fused calls, ${fused.stats.rowsScored} rows`);
}

describe('every head form, both dtypes: the fused head gives what onnxruntime\'s head gives', () => {
  const requests = Array.from({ length: 3 }, () => randomRequest(small.vocab));
  for (const dtype of ['float32', 'float16'])
    for (const head of headForms)
      test(`${head}, ${dtype}`, async () => {
        const path = writeTestModels(join(dir, `${head}-${dtype}`), { shape: small, dtype, head, layouts: ['past'] }).past;
        const { fused, ort } = await bothHeads(path, requests);
        // float16: onnxruntime rounds the logits to float16 (~1e-3 of their size), the kernels keep float32
        assertSame(fused, ort, dtype === 'float16' ? 2e-2 : 1e-4, `${head} ${dtype}`);
      });

  for (const layout of ['plain', 'merged'])
    test(`${layout} layout (a merged decoder has its head cut in both branches)`, async () => {
      const path = writeTestModels(join(dir, `layout-${layout}`), { shape: small, head: 'softcap', layouts: [layout] })[layout];
      const { fused, ort } = await bothHeads(path, requests);
      assertSame(fused, ort, 1e-4, layout);
    });

  test('a tiny memory budget: the fused head takes fewer rows per call, same answers', async () => {
    const path = writeTestModels(join(dir, 'budget'), { shape: small, layouts: ['past'] }).past;
    // 3000 rows: one call in a roomy budget, two or more in 1 MiB (2048 rows of 128 bytes in a quarter)
    const long = Array.from({ length: 6 }, () => ({ tree: { ids: randomIds(501), branches: [] }, logprobs: [{ sequence: -1, start: 1, end: 501 }] }));
    const roomy = await bothHeads(path, long);
    const tight = await OnnxScorer.create({ model: path, fusedHead: true, maxMemory: 2 ** 20 });
    const rowsPerCall = tight.budget.fusedRows(false);
    assert.ok(rowsPerCall * small.width * 4 <= 2 ** 20 / 4, `${rowsPerCall} rows per call`);
    const results = await tight.score(long, { temperature: 0.8 });
    assert.ok(tight.stats.headPasses > roomy.fused.stats.headPasses, `${tight.stats.headPasses} vs ${roomy.fused.stats.headPasses} calls`);
    results.forEach((x, i) => assertClose(x.logprobs, roomy.fused.results[i].logprobs, { atol: 1e-6, what: `tight request ${i}` }));
    await tight.dispose();
  });
});

describe('entropies and logits', () => {
  const seqs = [randomIds(30), randomIds(17)];
  const spans = seqs.map((s) => Int32Array.of(1, s.length));

  test('entropies asked for by a destination: the fused kernel = tokenLogprobs on the logits', async () => {
    const path = writeTestModels(join(dir, 'entropy'), { shape: small, head: 'softcap', layouts: ['past'] }).past;
    const fused = await OnnxScorer.create({ model: path, fusedHead: true });
    const plain = await OnnxScorer.create({ model: path, splitHead: true, fusedHead: false });
    const logits = await plain.positionLogits(seqs, spans);
    const targets = Int32Array.from(seqs.flatMap((s) => [...s.subarray(1)]));
    const want = tokenLogprobsSync(logits, targets, { entropy: true, temperature: 0.8 });
    // the rows those logits came from, through the fused head's chunks (as trees.ts feeds them)
    const runner = fused['runner'];
    const rows = [];
    for (const s of seqs) {
      const { out, length } = await runner.pass([{ ids: s.subarray(0, s.length - 1) }], false);
      for (let k = 0; k < length; k++) rows.push(out.subarray(k * runner.rowWidth, (k + 1) * runner.rowWidth));
    }
    const logprobs = new Float32Array(rows.length).fill(NaN), entropy = new Float32Array(rows.length).fill(NaN);
    const chunks = new LogprobChunks(runner, 7, 0.8);
    for (let i = 0; i < rows.length; i++) await chunks.add(rows[i], targets[i], { out: logprobs, index: i, request: 0, entropies: i % 3 ? entropy : undefined });
    await chunks.flush();
    assert.equal(runner.stats.largestLogitsChunk, 0);
    assertClose(logprobs, want.logprobs, { atol: 1e-4, what: 'fused logprobs' });
    for (let i = 0; i < rows.length; i++) {
      if (i % 3) assert.ok(Math.abs(entropy[i] - want.entropy[i]) <= 1e-4, `entropy[${i}]: ${entropy[i]} vs ${want.entropy[i]}`);
      else assert.ok(Number.isNaN(entropy[i]), `entropy[${i}] not asked for, not written`);
    }
    await fused.dispose();
    await plain.dispose();
  });

  test('positionLogits on a fused scorer makes its onnxruntime head then: the same logits', async () => {
    const path = writeTestModels(join(dir, 'logits'), { shape: small, head: 'gemm', layouts: ['past'] }).past;
    const fused = await OnnxScorer.create({ model: path, fusedHead: true });
    const plain = await OnnxScorer.create({ model: path, splitHead: true, fusedHead: false });
    const [a, b] = [await fused.positionLogits(seqs, spans), await plain.positionLogits(seqs, spans)];
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
    assert.ok(fused.stats.headPasses > 0 && fused.stats.headMs > 0, 'onnxruntime head ran');
    // and scoring still takes the fused path
    const passes = fused.stats.headPasses;
    const lp = await fused.spanLogprobs(seqs, spans);
    assert.equal(fused.stats.headPasses, passes + 1);
    assertClose(Float32Array.from(lp.flatMap((x) => [...x])), tokenLogprobsSync(a, Int32Array.from(seqs.flatMap((s) => [...s.subarray(1)]))).logprobs, { atol: 1e-4, what: 'fused vs logits' });
    await fused.dispose();
    await plain.dispose();
  });
});

describe("'auto' and the options", () => {
  test("'auto' (the default) fuses from 4096 ids up on the CPU; not below, not with splitHead false", async () => {
    const big = { ...small, vocab: 5000 };
    const bigPath = writeTestModels(join(dir, 'auto-big'), { shape: big, layouts: ['past'] }).past;
    const smallPath = writeTestModels(join(dir, 'auto-small'), { shape: small, layouts: ['past'] }).past;
    const layoutOf = async (options) => {
      const s = await OnnxScorer.create(options);
      const l = s.layout;
      await s.dispose();
      return [l.splitHead, l.fusedHead];
    };
    assert.deepEqual(await layoutOf({ model: bigPath }), [true, true]);
    assert.deepEqual(await layoutOf({ model: bigPath, executionProviders: ['cpu'] }), [true, true]);
    assert.deepEqual(await layoutOf({ model: bigPath, fusedHead: false }), [true, false]);
    assert.deepEqual(await layoutOf({ model: bigPath, splitHead: false }), [false, false]);
    assert.deepEqual(await layoutOf({ model: smallPath }), [false, false]);
    assert.deepEqual(await layoutOf({ model: smallPath, splitHead: true }), [true, false]);
    assert.deepEqual(await layoutOf({ model: smallPath, fusedHead: true }), [true, true]);
    await assert.rejects(OnnxScorer.create({ model: smallPath, fusedHead: 'on' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', argument: 'fusedHead' });
    await assert.rejects(OnnxScorer.create({ model: smallPath, fusedHead: true, splitHead: false }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', argument: 'fusedHead' });
  });
});

describe('heads the fused kernels cannot express: refused with the reason, or onnxruntime\'s head', () => {
  // 'auto' tries the fused head from 4096 ids
  const shape = { ...small, vocab: 5000 };
  /** The test decoder (past, float32) with its head edited: `edit(graph, logitsNode)`. */
  const edited = (name, edit, head = 'matmul') => {
    const m = buildModel('past', { shape, head });
    const g = m.graph;
    edit(g, g.node.find((n) => n.output.includes('logits')));
    const path = join(dir, `refused-${name}.onnx`);
    writeFileSync(path, encodeModel(m));
    return path;
  };
  /** Makes the head's last node write `raw_logits`, then appends nodes from it to logits. */
  const append = (g, last, nodes, inits = []) => {
    last.output = ['raw_logits'];
    g.node.push(...nodes);
    g.initializer.push(...inits);
  };
  const V = shape.vocab;
  const vector = (name, f) => tensor(name, [V], Float32Array.from({ length: V }, (_, i) => f(i)));
  const cases = [
    ['a scaling per vocabulary entry', /scales each vocabulary entry differently/, (g, last) => append(g, last, [node('Mul', ['raw_logits', 'per_entry'], ['logits'])], [vector('per_entry', (i) => 1 + (i % 3))])],
    ['a bias after the soft-cap', /adds a vector after the Tanh/, (g, last) => append(g, last, [node('Tanh', ['raw_logits'], ['capped']), node('Add', ['capped', 'late_bias'], ['logits'])], [vector('late_bias', (i) => i / V)])],
    ['two Tanh', /Tanh twice/, (g, last) => append(g, last, [node('Tanh', ['raw_logits'], ['t1']), node('Tanh', ['t1'], ['logits'])])],
    ['a negative scale', /scales the logits by -2/, (g, last) => append(g, last, [node('Mul', ['raw_logits', 'minus_two'], ['logits'])], [tensor('minus_two', [], Float32Array.of(-2))])],
    ['a LogSoftmax (no head is split off)', /no MatMul or Gemm/, (g, last) => append(g, last, [node('LogSoftmax', ['raw_logits'], ['logits'], { axis: -1 })])],
  ];
  // Gemm's bias through a Cast: a constant, but one the reader does not compute
  const castBias = (g) => {
    const gemm = g.node.find((n) => n.opType === 'Gemm');
    gemm.input[2] = 'bias_cast';
    g.node.splice(g.node.indexOf(gemm), 0, node('Cast', ['lm_head.bias'], ['bias_cast'], { to: 1 }));
  };
  const request = randomRequest(small.vocab);
  for (const [name, why, edit, head] of [...cases, ['a computed constant', /computed by a Cast node/, castBias, 'gemm']])
    test(name, async () => {
      const path = edited(name.replace(/\W+/g, '-'), edit, head);
      await assert.rejects(OnnxScorer.create({ model: path, fusedHead: true }), (e) => e.code === 'ERR_INFOGAIN_MODEL' && /cannot have a fused head/.test(e.message) && why.test(e.message));
      // 'auto': onnxruntime's head, the model's own answers
      const auto = await OnnxScorer.create({ model: path });
      assert.equal(auto.layout.fusedHead, false);
      const unsplit = await OnnxScorer.create({ model: path, splitHead: false });
      const [a] = await auto.score([request]), [b] = await unsplit.score([request]);
      assertClose(a.logprobs, b.logprobs, { atol: 1e-4, what: `${name}: auto vs the whole graph` });
      await auto.dispose();
      await unsplit.dispose();
    });

  test('a quantized projection (MatMulNBits) and a float64 weight: refused by the head reader', () => {
    const headModel = (nodes, inits) => model({ name: 'h', node: nodes, initializer: inits, input: [valueInfo('hidden', 1, ['rows', 4])], output: [valueInfo('logits', 1)] });
    const nbits = headModel([node('MatMulNBits', ['hidden', 'q', 's'], ['logits'], { K: 4, N: 8, bits: 4, block_size: 16 }, 'com.microsoft')], [tensor('q', [8, 1, 8], new Uint8Array(64)), tensor('s', [8], new Float32Array(8))]);
    assert.match(fusedHeadOf(nbits, { view: false }).why, /projection is a MatMulNBits/);
    const f64 = headModel([node('MatMul', ['hidden', 'w'], ['logits'])], [{ name: 'w', dims: [4, 8], dataType: 11, doubleData: Array(32).fill(0.5) }]);
    assert.match(fusedHeadOf(f64, { view: false }).why, /not float32, float16 or bfloat16/);
    const ok = headModel([node('MatMul', ['hidden', 'w'], ['logits'])], [{ name: 'w', dims: [4, 8], dataType: 1, floatData: Array.from({ length: 32 }, (_, i) => i) }]);
    const read = fusedHeadOf(ok, { view: false }).head;
    assert.deepEqual([read.weight.vocab, read.weight.dim, read.weight.transposed, read.scale, read.softcap, read.bias], [8, 4, true, 1, 0, undefined]);
    assert.deepEqual(Array.from(read.weight.data), Array.from({ length: 32 }, (_, i) => i));
  });
});

describe('where the weight comes from', () => {
  const request = randomRequest(small.vocab);
  const scoreWith = async (model) => {
    const s = await OnnxScorer.create({ model, fusedHead: true });
    const [res] = await s.score([request]);
    const weight = s['runner'].fused.weight;
    await s.dispose();
    return { res, weight };
  };

  test("a file: the weight gets a buffer of its own (a view would keep the file's bytes); bytes: viewed when aligned", async () => {
    for (const dtype of ['float32', 'float16']) {
      const path = writeTestModels(join(dir, `source-${dtype}`), { shape: small, dtype, layouts: ['past'] }).past;
      const bytes = readFileSync(path);
      const raw = decodeModel(bytes).graph.initializer.find((t) => t.name === 'lm_head.weight').rawData;
      const fromFile = await scoreWith(path), fromBytes = await scoreWith(bytes);
      assert.equal(fromFile.weight.data.byteLength, fromFile.weight.data.buffer.byteLength, `${dtype}: a buffer of its own`);
      assert.equal(fromFile.weight.dtype, dtype);
      const aligned = raw.byteOffset % (dtype === 'float32' ? 4 : 2) === 0;
      assert.equal(fromBytes.weight.data.buffer === bytes.buffer, aligned, `${dtype}: view ${aligned}`);
      assert.deepEqual(Array.from(fromBytes.weight.data), Array.from(fromFile.weight.data));
      assert.deepEqual(Array.from(fromBytes.res.logprobs), Array.from(fromFile.res.logprobs));
    }
  });

  test('external data: only the weight\'s range of the data file is read; the same answers', async () => {
    const sub = join(dir, 'external');
    const external = writeWithExternalData(buildModel('past', { shape: small, head: 'tied' }), join(sub, 'model.onnx'), ['model.embed_tokens.weight', 'model.norm.weight'], 5);
    const inline = join(sub, 'inline.onnx');
    writeFileSync(inline, encodeModel(buildModel('past', { shape: small, head: 'tied' })));
    const [a, b] = [await scoreWith(external), await scoreWith(inline)];
    assert.equal(a.weight.data.buffer.byteLength, small.vocab * small.width * 4);
    assert.deepEqual(Array.from(a.res.logprobs), Array.from(b.res.logprobs));
    assert.deepEqual(Array.from(a.res.divergences), Array.from(b.res.divergences));
  });
});

describe('infogain score --fused-head', () => {
  const cli = join(root, 'dist', 'cli.js');
  const path = writeTestModels(join(dir, 'cli'), { shape: small, head: 'softcap', layouts: ['past'] }).past;
  const run = (...args) => spawnSync(process.execPath, [cli, 'score', '--model', path, ...args], { cwd: dir, encoding: 'utf8' });

  test('on and off give the same rewards; the summary says which head ran', () => {
    const outs = {};
    for (const f of ['on', 'off']) {
      const out = join(dir, `cli-${f}.jsonl`), summary = join(dir, `cli-${f}.json`);
      const res = run('--fused-head', f, '--mode', 'full', '--out', out, '--json-summary', summary);
      assert.equal(res.code ?? res.status, 0, res.stderr);
      const s = JSON.parse(readFileSync(summary, 'utf8'));
      assert.equal(s.model.fusedHead, f === 'on');
      assert.equal(s.largestLogitsChunk === 0, f === 'on');
      if (f === 'on') assert.match(res.stdout, /fused head \(log-probs from hidden states, no logits\)/);
      outs[f] = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    }
    const gains = (f) => Float32Array.from(outs[f].flatMap((rec) => rec.turns.flatMap((t) => [t.infoGain ?? 0, t.beliefGain ?? 0])));
    assertClose(gains('on'), gains('off'), { atol: 1e-4, what: 'rewards on vs off' });
  });

  test('a bad value is a usage error (exit 2)', () => {
    const res = run('--fused-head', 'yes', '--out', join(dir, 'never.jsonl'));
    assert.equal(res.status, 2);
    assert.match(res.stderr, /--fused-head must be one of auto, on, off, got 'yes'/);
  });
});

test('a head constant of rank 3 ([1, 1, 1]): onnxruntime loads the split-off head without a shape warning', () => {
  // the head model declared logits [rows, vocab]; such a constant broadcasts them to [1, rows, vocab]
  const path = writeTestModels(join(dir, 'rank3'), { shape: small, head: 'scaled', layouts: ['past'] }).past;
  const script = `import('${join(root, 'dist', 'index.js')}').then(async ({ OnnxScorer }) => { const s = await OnnxScorer.create({ model: ${JSON.stringify(path)}, splitHead: true, fusedHead: false }); await s.spanLogprobs([Int32Array.of(1, 2, 3)], [Int32Array.of(1, 3)]); await s.dispose(); })`;
  const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.doesNotMatch(res.stderr, /Error merging shape info/);
});
