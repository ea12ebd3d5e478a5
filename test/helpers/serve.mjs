// Starts `infogain serve` (the real CLI in a child process) on a free loopback port and waits until
// its model is loaded; plus small HTTP helpers for the service's tests.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const cli = join(root, 'dist', 'cli.js');
export const examples = readFileSync(join(root, 'examples', 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** `infogain score` on `file` (extra flags after), its output lines as objects. */
export function cliScore(file, out, flags = []) {
  const r = spawnSync(process.execPath, [cli, 'score', file, '--out', out, ...flags], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`infogain score failed (${r.status}): ${r.stderr}`);
  return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** cliScore without blocking this process (for a stand-in engine served from it). */
export async function cliScoreAsync(file, out, flags = []) {
  const child = spawn(process.execPath, [cli, 'score', file, '--out', out, ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`infogain score failed (${code}): ${stderr}`);
  return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** A running server: its base URL, the child, what it wrote to stderr, and how it exited. */
export async function startServer(flags = [], { env = process.env, readyTimeoutMs = 60_000 } = {}) {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--log-level', 'warn', ...flags], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '', stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server was not ready in ${readyTimeoutMs} ms: ${stderr}`)), readyTimeoutMs);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+?)[;\s(]/.exec(stderr);
      if (m && /ready in/.test(stderr)) clearTimeout(timer), resolve(m[1]);
    });
    exited.then(({ code }) => (clearTimeout(timer), reject(new Error(`the server exited (${code}) before it was ready: ${stderr}`))));
  });
  return {
    url,
    child,
    exited,
    stderr: () => stderr,
    stdout: () => stdout,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** One HTTP request; resolves with status, headers and the body (parsed when JSON). */
export function request(url, { method = 'POST', body, headers = {}, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = http.request(url, { method, agent, headers: { ...(payload !== undefined && !headers['content-type'] ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A request whose client goes away `afterMs` after sending it (the socket destroyed): resolves when it is gone. */
export function disconnectingRequest(url, body, afterMs) {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
    req.on('error', () => {});
    req.on('response', (res) => res.resume());
    req.end(JSON.stringify(body));
    setTimeout(() => (req.destroy(), resolve()), afterMs);
  });
}

/** The value of a Prometheus sample line (0 when absent). */
export async function metric(url, line) {
  const { text } = await request(`${url}/metrics`, { method: 'GET' });
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

/** Polls `probe` until it returns true (or `timeoutMs` passes: false). */
export async function until(probe, timeoutMs = 30_000, everyMs = 20) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/** `n` copies of the bundled examples in distinct groups: a request long enough to catch running. */
export function manyRollouts(n) {
  return Array.from({ length: n }, (_, k) => examples.map((e) => ({ ...e, id: `${e.id}-${k}`, group: `${e.group}-${k}` }))).flat();
}

/** A request left open: `response` resolves with what request() resolves with (or the error), `destroy()` drops the connection. */
export function openRequest(url, body) {
  let req;
  const response = new Promise((resolve) => {
    req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, json: text ? JSON.parse(text) : undefined }));
      res.on('error', (error) => resolve({ error }));
    });
    req.on('error', (error) => resolve({ error }));
    req.end(JSON.stringify(body));
  });
  return { response, destroy: () => req.destroy() };
}

/** The server's jobs running and waiting (GET /healthz). */
export async function jobs(url) {
  const h = await request(`${url}/healthz`, { method: 'GET' });
  return { running: h.json?.running, queued: h.json?.queued, status: h.status };
}
