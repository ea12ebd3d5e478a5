// `infogain serve` under load, on loopback, bounded in count and time (issue 17):
//  1. throughput and p50/p99 latency with autocannon at 1, 8 and 64 connections, each request one
//     group of the bundled examples (6 rollouts) on the bundled model, next to the same work done
//     in this process (the same pipeline: check, tokenize, score, finish) measured in the same run,
//     the two interleaved;
//  2. `--requests` requests (default 10,000) of one rollout each from 16 clients, of which 10% are
//     malformed bodies and 5% clients that disconnect mid-request: crashes, 500s, wrong answers,
//     the server's RSS over the run (sampled every second), p50/p99 of the good requests.
//
//   node bench/serve.mjs [--seconds 10] [--requests 10000] [--clients 16]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const autocannon = require('autocannon');
const { openSource } = require(join(root, 'dist', 'model', 'open.js'));
const { scoringFromFlags } = require(join(root, 'dist', 'scoreFlags.js'));
const { requestRollouts, scoreRollouts } = require(join(root, 'dist', 'serve', 'scoring.js'));

const { values } = parseArgs({ options: { seconds: { type: 'string' }, requests: { type: 'string' }, clients: { type: 'string' } } });
const seconds = Number(values.seconds ?? 10);
const total = Number(values.requests ?? 10_000);
const clients = Number(values.clients ?? 16);

const examples = readFileSync(join(root, 'examples', 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const groups = [...new Set(examples.map((e) => e.group))].map((g) => examples.filter((e) => e.group === g));

/** The server as a child process (--max-queue large enough for 64 connections); resolves with its URL and pid. */
function startServer() {
  const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'serve', '--port', '0', '--log-level', 'error', '--max-queue', '1024'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+?)[;\s(]/.exec(stderr);
      if (m && /ready in/.test(stderr)) resolve({ url: m[1], child, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${stderr}`)));
  });
}

/** CPU seconds a process has used (all its threads): utime + stime of /proc/PID/stat, 100 ticks a second. */
const cpuOf = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const ownCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const rssOf = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const mib = (b) => (b / 2 ** 20).toFixed(0);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

// the in-process side: the same source and options the server opens from no flags
const scoring = scoringFromFlags({});
const source = await openSource(scoring.source);
const inProcess = { source, options: scoring.options, batchSize: scoring.batchSize };
const none = new AbortController().signal;

/** The same work as the server's /v1/score, in this process, one job after another for `ms`: jobs/s and latency. */
async function inProcessRun(ms) {
  const times = [];
  const cpu = ownCpu();
  const end = performance.now() + ms;
  for (let i = 0; performance.now() < end; i++) {
    const t = performance.now();
    const body = JSON.parse(JSON.stringify({ rollouts: groups[i % groups.length] }));  // as a request would arrive
    await scoreRollouts(inProcess, requestRollouts(body.rollouts), inProcess.options, none);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { rps: (times.length * 1000) / ms, p50: pct(times, 50), p99: pct(times, 99), n: times.length, cpuMs: ((ownCpu() - cpu) * 1000) / times.length };
}

function cannon(url, connections, ms) {
  let k = 0;
  return autocannon({
    url: `${url}/v1/score`,
    connections,
    duration: ms / 1000,
    timeout: 120,  // seconds: a request queued behind 63 others waits long, and is not a failure
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ rollouts: groups[k++ % groups.length] }) }) }],
  });
}

console.log(`# infogain serve on loopback: ${cpus().length} CPUs (${cpus()[0].model}), load ${loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}`);
const server = await startServer();
// warm both sides up (onnxruntime's first passes)
await inProcessRun(1000);
await cannon(server.url, 1, 1000);

console.log(`\n## throughput: one group (6 rollouts) per request, ${seconds} s per row, server --concurrency 1; each in-process figure is the mean of half a row run before the server's row and half after it\n`);
console.log('| connections | server req/s | server p50 ms | server p99 ms | in-process jobs/s | in-process p50 ms | in-process p99 ms | server / in-process throughput | non-2xx | errors (timeouts) |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const cpuRows = [];
for (const connections of [1, 8, 64]) {
  // in-process half before and half after the server's row: a machine that slows down during the row slows both
  const before = await inProcessRun((seconds * 1000) / 2);
  const serverCpu = cpuOf(server.child.pid);
  const r = await cannon(server.url, connections, seconds * 1000);
  const serverCpuMs = ((cpuOf(server.child.pid) - serverCpu) * 1000) / r.requests.total;
  const after = await inProcessRun((seconds * 1000) / 2);
  const local = { rps: (before.rps + after.rps) / 2, p50: (before.p50 + after.p50) / 2, p99: Math.max(before.p99, after.p99), cpuMs: (before.cpuMs + after.cpuMs) / 2 };
  const rps = r.requests.total / r.duration;
  cpuRows.push(`| ${connections} | ${serverCpuMs.toFixed(1)} | ${local.cpuMs.toFixed(1)} | ${(serverCpuMs / local.cpuMs).toFixed(3)} |`);
  console.log(`| ${connections} | ${rps.toFixed(2)} | ${r.latency.p50} | ${r.latency.p99} | ${local.rps.toFixed(2)} | ${local.p50.toFixed(0)} | ${local.p99.toFixed(0)} | ${(rps / local.rps).toFixed(3)} | ${r.non2xx} | ${r.errors} (${r.timeouts}) |`);
}
console.log('\nCPU time per request (all threads; less sensitive than wall time to other work on the machine): the server process per answered request (autocannon\'s dropped requests at the end of a row included in its work), this process per in-process job\n');
console.log('| connections | server CPU ms / request | in-process CPU ms / job | server / in-process |');
console.log('| ---: | ---: | ---: | ---: |');
for (const row of cpuRows) console.log(row);
console.log('\n(in-process: one job after another, as the server runs them with --concurrency 1; its latency has no queue. At the end of each row autocannon drops the requests still queued: the server cancels them.)');

if (total === 0) {
  server.child.kill('SIGTERM');
  await source.dispose();
  process.exit(0);
}

// ---- the soak: good, malformed and disconnecting requests ----
const expected = new Map();
for (const e of examples) expected.set(e.id, JSON.stringify((await scoreRollouts(inProcess, requestRollouts([e]), inProcess.options, none))[0]));
await source.dispose();

const malformed = [
  ['not JSON', '{"rollouts": [', 'application/json'],
  ['no rollouts', '{}', 'application/json'],
  ['an unknown key', JSON.stringify({ rollouts: [examples[0]], nope: 1 }), 'application/json'],
  ['a rollout without a reward', JSON.stringify({ rollouts: [{ group: 1, turns: [{ action: 'a' }] }] }), 'application/json'],
  ['a token outside the vocabulary', JSON.stringify({ rollouts: [{ group: 1, turns: [{ action: [1, 1e6] }], reward: 0 }] }), 'application/json'],
  ['text/plain', 'hello', 'text/plain'],
  ['a bad option', JSON.stringify({ rollouts: [examples[0]], options: { gamma: 7 } }), 'application/json'],
  ['a bad JSONL line', `${JSON.stringify(examples[0])}\n{`, 'application/x-ndjson'],
];

function send(body, type, disconnectAfterMs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request(`${server.url}/v1/score`, { method: 'POST', agent, headers: { 'content-type': type } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text, ms: performance.now() - started }));
      res.on('error', () => resolve({ gone: true }));
    });
    req.on('error', () => resolve({ gone: true }));
    req.end(body);
    if (disconnectAfterMs !== undefined) setTimeout(() => req.destroy(), disconnectAfterMs);
  });
}
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });

const counts = { good: 0, correct: 0, wrong: 0, malformed: 0, malformed4xx: 0, disconnected: 0, status5xx: 0, other: 0 };
const latencies = [], rss = [];
const startRss = rssOf(server.child.pid);
const sampler = setInterval(() => rss.push(rssOf(server.child.pid)), 1000);
const scrape = () => new Promise((resolve) => http.get(`${server.url}/metrics`, (res) => { let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => resolve(t)); }));
const cancelled = (text) => Number(/infogain_jobs_aborted_total\{why="client"\} (\d+)/.exec(text)?.[1] ?? 0);
const abortedBefore = cancelled(await scrape());
let next = 0;
const soakStart = performance.now();
async function client() {
  for (let i = next++; i < total; i = next++) {
    const kind = i % 20 < 2 ? 'malformed' : i % 20 === 2 ? 'disconnect' : 'good';
    if (kind === 'malformed') {
      const [, body, type] = malformed[i % malformed.length];
      const r = await send(body, type);
      counts.malformed++;
      if (r.status >= 400 && r.status < 500 && JSON.parse(r.text).error?.code) counts.malformed4xx++;
      if (r.status >= 500) counts.status5xx++;
    } else if (kind === 'disconnect') {
      await send(JSON.stringify({ rollouts: [examples[i % examples.length]] }), 'application/json', i % 7);
      counts.disconnected++;
    } else {
      const rollout = examples[i % examples.length];
      const r = await send(JSON.stringify({ rollouts: [rollout] }), 'application/json');
      counts.good++;
      if (r.gone) counts.other++;
      else if (r.status >= 500) counts.status5xx++;
      else if (r.status === 200 && JSON.stringify(JSON.parse(r.text).results[0]) === expected.get(rollout.id)) counts.correct++, latencies.push(r.ms);
      else counts.wrong++;
    }
  }
}
await Promise.all(Array.from({ length: clients }, client));
const soakSeconds = (performance.now() - soakStart) / 1000;
clearInterval(sampler);
rss.push(rssOf(server.child.pid));
const alive = server.child.exitCode === null && server.child.signalCode === null;
const aborted = cancelled(await scrape()) - abortedBefore;
latencies.sort((a, b) => a - b);
const tenth = Math.max(1, Math.floor(rss.length / 10));
console.log(`\n## ${total} requests (one rollout each) from ${clients} clients: 10% malformed, 5% disconnecting (after 0-6 ms), in ${soakSeconds.toFixed(0)} s\n`);
console.log('| server crashed | 5xx answers | good requests | answered correctly | wrong | malformed | malformed answered 4xx with an error code | disconnecting | jobs the server saw cancelled | p50 ms (good) | p99 ms (good) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
console.log(`| ${alive ? 'no' : 'YES'} | ${counts.status5xx} | ${counts.good} | ${counts.correct} | ${counts.wrong + counts.other} | ${counts.malformed} | ${counts.malformed4xx} | ${counts.disconnected} | ${aborted} | ${pct(latencies, 50).toFixed(1)} | ${pct(latencies, 99).toFixed(1)} |`);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const deciles = Array.from({ length: 10 }, (_, d) => mib(mean(rss.slice(Math.floor((d * rss.length) / 10), Math.max(Math.floor((d * rss.length) / 10) + 1, Math.floor(((d + 1) * rss.length) / 10))))));
console.log(`\nserver RSS (MiB): at start ${mib(startRss)}, mean of the first tenth of the run ${mib(mean(rss.slice(0, tenth)))}, of the last tenth ${mib(mean(rss.slice(-tenth)))}, peak ${mib(Math.max(...rss))} (${rss.length} samples, one a second); by tenth of the run: ${deciles.join(' ')}`);
server.child.kill('SIGTERM');
agent.destroy();
