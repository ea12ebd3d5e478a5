// `infogain serve` under load and at its edges, over real HTTP: a full queue answers 503 with
// Retry-After; a client that disconnects stops its own job (running or waiting) and nothing else;
// a request past --deadline is a 503; SIGTERM / SIGINT drain (running requests finish, new ones
// get 503 while it runs, exit 0), and the drain's deadline aborts what is still running.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { cliScore, examples, jobs, manyRollouts, metric, openRequest, request, startServer, until } from './helpers/serve.mjs';

const dir = mkdtempSync(join(tmpdir(), 'infogain-serve-control-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// a request that takes many seconds (it is never let finish) and one that takes a fraction of one
const big = { rollouts: manyRollouts(40) };
const small = { rollouts: examples.slice(0, 6) };
const smallFile = join(dir, 'small.jsonl');
writeFileSync(smallFile, small.rollouts.map((r) => JSON.stringify(r)).join('\n'));
const smallExpected = cliScore(smallFile, join(dir, 'small-out.jsonl'));

test('a full queue answers 503 with Retry-After; clients that leave free their slot and their place in the queue', async () => {
  const server = await startServer(['--concurrency', '1', '--max-queue', '1']);
  try {
    const a = openRequest(`${server.url}/v1/score`, big);
    assert.ok(await until(async () => (await jobs(server.url)).running === 1), 'the first job runs');
    const b = openRequest(`${server.url}/v1/score`, big);
    assert.ok(await until(async () => (await jobs(server.url)).queued === 1), 'the second job waits');
    const c = await request(`${server.url}/v1/score`, { body: small });
    assert.equal(c.status, 503, c.text);
    assert.equal(c.json.error.code, 'ERR_INFOGAIN_QUEUE_FULL');
    assert.equal(c.headers['retry-after'], '1');
    assert.equal(await metric(server.url, 'infogain_queue_depth'), 1);
    b.destroy();
    assert.ok(await until(async () => (await jobs(server.url)).queued === 0), 'the waiting job left the queue');
    a.destroy();
    assert.ok(await until(async () => (await jobs(server.url)).running === 0, 10_000), 'the running job stopped');
    assert.equal(await metric(server.url, 'infogain_jobs_aborted_total{why="client"}'), 2);
    const d = await request(`${server.url}/v1/score`, { body: small });
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json.results, smallExpected);
  } finally {
    await server.stop();
  }
});

test('a client that disconnects cancels its job between forward passes, and the other requests are answered as before', async () => {
  const server = await startServer(['--concurrency', '2']);
  try {
    const a = openRequest(`${server.url}/v1/score`, big);
    assert.ok(await until(async () => (await metric(server.url, 'infogain_tokens_fed_total')) > 0), 'the big job is feeding the model');
    const [e1, e2] = await Promise.all([request(`${server.url}/v1/score`, { body: small }), request(`${server.url}/v1/score`, { body: small })]);
    assert.deepEqual([e1.status, e2.status], [200, 200]);
    assert.deepEqual(e1.json.results, smallExpected);
    assert.deepEqual(e2.json.results, smallExpected);
    const gone = Date.now();
    a.destroy();
    assert.ok(await until(async () => (await jobs(server.url)).running === 0, 10_000), 'the job stopped');
    const stoppedAfter = Date.now() - gone;
    assert.equal(await metric(server.url, 'infogain_jobs_aborted_total{why="client"}'), 1);
    // no more tokens are fed once it stopped
    const fed = await metric(server.url, 'infogain_tokens_fed_total');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await metric(server.url, 'infogain_tokens_fed_total'), fed);
    // the whole big request feeds far more than was fed: it was cut short
    const rolloutTokens = big.rollouts.length * 120;
    assert.ok(fed < rolloutTokens, `fed ${fed} tokens, the whole request would feed over ${rolloutTokens}; stopped ${stoppedAfter} ms after the disconnect`);
    const after = await request(`${server.url}/v1/score`, { body: small });
    assert.deepEqual(after.json.results, smallExpected);
  } finally {
    await server.stop();
  }
});

test('a request past --deadline is a 503 ERR_INFOGAIN_DEADLINE, and its job stops', async () => {
  const server = await startServer(['--deadline', '1']);
  try {
    const started = Date.now();
    const r = await request(`${server.url}/v1/score`, { body: big });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'ERR_INFOGAIN_DEADLINE');
    assert.ok(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);
    assert.equal((await jobs(server.url)).running, 0);
    assert.equal(await metric(server.url, 'infogain_jobs_aborted_total{why="deadline"}'), 1);
  } finally {
    await server.stop();
  }
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`${signal} drains: the running request is answered in full, new ones are refused, exit 0`, async () => {
    const server = await startServer();
    const medium = { rollouts: manyRollouts(2) };
    const file = join(dir, 'medium.jsonl');
    writeFileSync(file, medium.rollouts.map((r) => JSON.stringify(r)).join('\n'));
    const expected = cliScore(file, join(dir, 'medium-out.jsonl'));
    const a = openRequest(`${server.url}/v1/score`, medium);
    assert.ok(await until(async () => (await jobs(server.url)).running === 1), 'the job runs');
    server.child.kill(signal);
    await until(() => /draining/.test(server.stderr()), 5000);
    // refused with a 503 in the error format: the listener stays open while the job runs
    const late = await request(`${server.url}/v1/score`, { body: small });
    assert.deepEqual([late.status, late.json.error.code], [503, 'ERR_INFOGAIN_UNAVAILABLE']);
    assert.equal(late.headers['retry-after'], '1');
    const health = await request(`${server.url}/healthz`, { method: 'GET' });
    assert.deepEqual([health.status, health.json], [503, { status: 'draining' }]);
    const r = await a.response;
    assert.equal(r.status, 200, r.text ?? String(r.error));
    assert.deepEqual(r.json.results, expected);
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    assert.match(server.stderr(), /drained; exiting/);
  });
}

test('--drain-timeout: a request still running when it passes is aborted (503), and the process exits 0', async () => {
  const server = await startServer(['--drain-timeout', '1']);
  const a = openRequest(`${server.url}/v1/score`, big);
  assert.ok(await until(async () => (await jobs(server.url)).running === 1), 'the job runs');
  const started = Date.now();
  server.child.kill('SIGTERM');
  const r = await a.response;
  assert.equal(r.status, 503, r.text ?? String(r.error));
  assert.equal(r.json.error.code, 'ERR_INFOGAIN_UNAVAILABLE');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
  assert.ok(Date.now() - started < 15_000, `exited ${Date.now() - started} ms after SIGTERM`);
});

test('--drain-timeout: a client still trickling its body does not hold the drain open (the process exits 0)', { timeout: 30_000 }, async () => {
  const { connect } = await import('node:net');
  const server = await startServer(['--drain-timeout', '1']);
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.on('error', () => {});
  socket.write('POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"roll');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  server.child.kill('SIGTERM');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
  assert.ok(Date.now() - started < 15_000, `exited ${Date.now() - started} ms after SIGTERM`);
  socket.destroy();
});

test('--deadline and --drain-timeout above what a timer holds (2^31 - 1 ms) are usage errors, not a 1 ms timer', async () => {
  const { spawnSync } = await import('node:child_process');
  const cli = new URL('../dist/cli.js', import.meta.url).pathname;
  for (const flag of ['--deadline', '--drain-timeout']) {
    const r = spawnSync(process.execPath, [cli, 'serve', flag, '3000000'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${flag}.*2147483`));
  }
});
