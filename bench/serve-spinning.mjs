// `infogain serve` with onnxruntime's intra-op threads spinning (INFOGAIN_ORT_SPINNING=1) and not
// (=0): the server's own CPU time and wall time per request. Each run is a fresh server (the real
// CLI, `--port 0`, the bundled model) fed 20 warm-up requests, then `--requests` requests one after
// another, then as many again with 8 in flight; each request is one group of the bundled examples
// (6 rollouts). CPU is the server process's utime + stime (all threads) from /proc/PID/stat. The
// two settings alternate, their order reversed every round; the table gives medians and every run.
//
//   node bench/serve-spinning.mjs [--rounds 9] [--requests 100]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { rounds: { type: 'string' }, requests: { type: 'string' } } });
const rounds = Number(values.rounds ?? 9), N = Number(values.requests ?? 100);
const examples = readFileSync(join(root, 'examples', 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const groups = [...new Set(examples.map((e) => e.group))].map((g) => examples.filter((e) => e.group === g));

/** CPU seconds a process has used (all its threads): utime + stime, 100 ticks a second. */
const cpuOf = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

function startServer(spinning) {
  const env = { ...process.env, INFOGAIN_ORT_SPINNING: spinning };
  const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'serve', '--port', '0', '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+?)[;\s(]/.exec(stderr);
      if (m && /ready in/.test(stderr)) resolve({ url: m[1], child });
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${stderr}`)));
  });
}

async function post(url, i) {
  const r = await fetch(`${url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rollouts: groups[i % groups.length] }) });
  if (r.status !== 200) throw new Error(`status ${r.status}: ${await r.text()}`);
  await r.arrayBuffer();
}

/** Wall ms and server CPU ms per request of `N` requests, `inFlight` at a time. */
async function measure(url, pid, inFlight) {
  const cpu = cpuOf(pid), t = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => { while (next < N) await post(url, next++); }));
  return { ms: (performance.now() - t) / N, cpuMs: ((cpuOf(pid) - cpu) * 1000) / N };
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
const results = { 1: { one: [], eight: [] }, 0: { one: [], eight: [] } };
for (let k = 0; k < rounds; k++)
  for (const v of k % 2 ? ['0', '1'] : ['1', '0']) {
    const { url, child } = await startServer(v);
    for (let i = 0; i < 20; i++) await post(url, i);
    results[v].one.push(await measure(url, child.pid, 1));
    results[v].eight.push(await measure(url, child.pid, 8));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cell = (rs, f) => `${median(rs.map(f)).toFixed(1)} | ${rs.map((r) => f(r).toFixed(1)).join(', ')}`;
console.log(`# infogain serve, INFOGAIN_ORT_SPINNING=1 vs 0, ${new Date().toISOString()}`);
console.log(`${cpus().length} x ${cpus()[0].model}; node ${process.version}; load average before ${loadBefore}, after ${load()}; ${rounds} rounds of ${N} requests per case\n`);
console.log('| case | wall ms / request (median) | every run | server CPU ms / request (median) | every run |\n| --- | ---: | --- | ---: | --- |');
for (const [key, what] of [['one', '1 in flight'], ['eight', '8 in flight']])
  for (const v of ['1', '0']) console.log(`| ${what}, INFOGAIN_ORT_SPINNING=${v} | ${cell(results[v][key], (r) => r.ms)} | ${cell(results[v][key], (r) => r.cpuMs)} |`);
