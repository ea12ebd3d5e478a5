// Two `infogain serve` replicas behind Debian's nginx on loopback, configured by the example
// docs/serve-nginx.conf (its ports replaced): requests through nginx are answered with the
// numbers of `infogain score`, and both replicas serve some of them. Skipped when nginx is not
// installed (CI installs nginx-light).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { cliScore, examples, metric, request, root, startServer, until } from './helpers/serve.mjs';

const nginx = ['/usr/sbin/nginx', 'nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
const dir = mkdtempSync(join(tmpdir(), 'infogain-serve-nginx-'));
chmodSync(dir, 0o755);

/** A port nothing listens on now. */
function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let replicas = [], proxy, front;
before(async () => {
  if (!nginx) return;
  replicas = await Promise.all([startServer(), startServer()]);
  const port = await freePort();
  const [a, b] = replicas.map((r) => new URL(r.url).port);
  const site = readFileSync(join(root, 'docs', 'serve-nginx.conf'), 'utf8')
    .replace('127.0.0.1:8001', `127.0.0.1:${a}`).replace('127.0.0.1:8002', `127.0.0.1:${b}`).replace('listen 127.0.0.1:8000', `listen 127.0.0.1:${port}`);
  for (const d of ['body', 'proxy']) mkdirSync(join(dir, d), { mode: 0o777 });
  writeFileSync(join(dir, 'nginx.conf'), `
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/proxy; uwsgi_temp_path ${dir}/proxy; scgi_temp_path ${dir}/proxy;
${site}
}
`);
  proxy = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proxy.stderr.on('data', (d) => (stderr += d));
  front = `http://127.0.0.1:${port}`;
  const up = await until(async () => (await request(`${front}/healthz`, { method: 'GET' }).catch(() => ({}))).status === 200, 10_000);
  assert.ok(up, `nginx did not come up: ${stderr} ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
});
after(async () => {
  proxy?.kill('SIGTERM');
  await Promise.all(replicas.map((r) => r.stop()));
  rmSync(dir, { recursive: true, force: true });
});

test('two replicas behind nginx: both serve, every answer equals infogain score', { skip: nginx ? false : 'nginx is not installed (CI installs Debian\'s nginx-light)' }, async () => {
  const input = join(dir, 'in.jsonl');
  writeFileSync(input, examples.map((e) => JSON.stringify(e)).join('\n'));
  const expected = cliScore(input, join(dir, 'out.jsonl'));
  // concurrent requests: least_conn spreads them over both replicas
  const answers = await Promise.all(Array.from({ length: 8 }, () => request(`${front}/v1/score`, { body: { rollouts: examples } })));
  for (const r of answers) {
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.results, expected);
  }
  const served = await Promise.all(replicas.map((r) => metric(r.url, 'infogain_http_requests_total{route="/v1/score",code="200"}')));
  assert.equal(served[0] + served[1], 8);
  assert.ok(served.every((n) => n > 0), `each replica served some: ${served}`);
  // an error answer passes through as it is
  const bad = await request(`${front}/v1/score`, { body: { rollouts: [{ group: 1 }] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'ERR_INFOGAIN_ROLLOUT');
});
