// `infogain serve --backend sglang|vllm`: the engine source opened once at start from the same
// flags as `infogain score`, against the stand-in engine (helpers/standin-server.mjs). Results
// equal `infogain score --backend ...` on the same rollouts; what an engine cannot score is a 400;
// a client that disconnects stops its job's engine requests.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { cliScoreAsync, examples, jobs, manyRollouts, metric, openRequest, request, startServer, until } from './helpers/serve.mjs';
import { startStandin } from './helpers/standin-server.mjs';

const dir = mkdtempSync(join(tmpdir(), 'infogain-serve-engines-'));
let standin, slow, slowRequests = 0;
before(async () => {
  standin = await startStandin();
  // every scoring request takes 200 ms: a job of many requests is caught running
  slow = await startStandin({ faults: () => (slowRequests++, { delayMs: 200 }) });
});
after(async () => {
  await standin?.close();
  await slow?.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const backend of ['sglang', 'vllm']) {
  test(`--backend ${backend}: the numbers of infogain score --backend ${backend}; temperature and mode 'full' are 400s`, async () => {
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, examples.map((e) => JSON.stringify(e)).join('\n'));
    const expected = await cliScoreAsync(input, join(dir, `${backend}.jsonl`), ['--backend', backend, '--server', standin.url]);
    const server = await startServer(['--backend', backend, '--server', standin.url, '--engine-concurrency', '2']);
    try {
      const r = await request(`${server.url}/v1/score`, { body: { rollouts: examples } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.results, expected);
      for (const options of [{ temperature: 2 }, { mode: 'full' }]) {
        const bad = await request(`${server.url}/v1/score`, { body: { rollouts: examples.slice(0, 1), options } });
        assert.equal(bad.status, 400, bad.text);
        assert.equal(bad.json.error.code, 'ERR_OUT_OF_RANGE');
      }
    } finally {
      await server.stop();
    }
  });
}

test('with an engine, a client that disconnects stops its job: no more engine requests are sent', async () => {
  const server = await startServer(['--backend', 'sglang', '--server', slow.url, '--engine-concurrency', '1', '--batch-size', '1']);
  try {
    const a = openRequest(`${server.url}/v1/score`, { rollouts: manyRollouts(2) });
    const first = slowRequests;
    assert.ok(await until(() => slowRequests > first + 1), 'the engine is being asked');
    a.destroy();
    assert.ok(await until(async () => (await jobs(server.url)).running === 0, 5000), 'the job stopped');
    const seen = slowRequests;
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(slowRequests <= seen + 1, `engine requests went on after the job stopped: ${seen} -> ${slowRequests}`);
    assert.ok(slowRequests - first < 72, `only part of the job's ${72} requests were sent: ${slowRequests - first}`);
    assert.equal(await metric(server.url, 'infogain_jobs_aborted_total{why="client"}'), 1);
  } finally {
    await server.stop();
  }
});
