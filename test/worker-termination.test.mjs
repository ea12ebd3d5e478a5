// The addon in worker threads: it loads in several at once, and terminating a worker while its
// async kernel runs (or while it loads the addon) never takes the process down. The loops run in
// a child process (ESM, its eval'd workers CommonJS: hence execArgv []), so that an abort shows up as a failed test with its output, not a lost runner.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'index.js');

function runChild(script) {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 240000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }),
    );
  });
}

// Each worker computes on a large input with the async kernel, in a loop, from its start.
const workerSource = (preload) => `
  const { parentPort } = require('node:worker_threads');
  const ig = require(${JSON.stringify(dist)});
  const rows = 256, vocab = 151936;
  const data = new Float32Array(rows * vocab);
  for (let i = 0; i < data.length; i += 101) data[i] = Math.sin(i);
  const targets = new Int32Array(rows);
  ${preload ? "ig.tokenLogprobsSync({ data: new Float32Array(4), rows: 1, vocab: 4 }, new Int32Array(1));" : ''}
  parentPort.postMessage('ready');
  (async () => { for (;;) parentPort.postMessage((await ig.tokenLogprobs({ data, rows, vocab }, targets, { entropy: true })).logprobs[0]); })();
`;

test('worker.terminate() mid async kernel and mid addon load, in a loop: the process survives', async () => {
  const script = `
    import { Worker } from 'node:worker_threads';
    const sources = [${JSON.stringify(workerSource(true))}, ${JSON.stringify(workerSource(false))}];
    let terminated = 0;
    for (let i = 0; i < 40; i++) {
      const w = new Worker(sources[i % 2], { eval: true, execArgv: [] });
      await new Promise((resolve) => w.once('message', resolve));
      await new Promise((resolve) => setTimeout(resolve, (i * 7) % 45));
      await w.terminate();
      terminated++;
    }
    console.log('survived', terminated);
  `;
  const { code, stdout, stderr } = await runChild(script);
  assert.equal(code, 0, `the child process died (${code}): ${stderr}`);
  assert.match(stdout, /survived 40/);
});

test('the addon loads and computes in four workers at once and in the main thread, with equal results', async () => {
  const script = `
    import { Worker } from 'node:worker_threads';
    import ig from ${JSON.stringify(dist)};
    const code = \`
      const { parentPort } = require('node:worker_threads');
      const ig = require(${JSON.stringify(dist)});
      const data = Float32Array.from({ length: 64 * 5000 }, (_, i) => Math.sin(i));
      ig.tokenLogprobs({ data, rows: 64, vocab: 5000 }, new Int32Array(64).fill(7), { entropy: true })
        .then((r) => parentPort.postMessage(Array.from(r.entropy)));
    \`;
    const results = await Promise.all(Array.from({ length: 4 }, () => new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, execArgv: [] });
      w.once('message', (m) => { resolve(m); w.terminate(); });
      w.once('error', reject);
    })));
    const data = Float32Array.from({ length: 64 * 5000 }, (_, i) => Math.sin(i));
    const main = Array.from(ig.tokenLogprobsSync({ data, rows: 64, vocab: 5000 }, new Int32Array(64).fill(7), { entropy: true }).entropy);
    console.log(results.every((r) => JSON.stringify(r) === JSON.stringify(main)) ? 'equal' : 'different');
  `;
  const { code, stdout, stderr } = await runChild(script);
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), 'equal');
});

test('only workers load the addon; after the last one exits the addon stays loaded and the process goes on', async () => {
  // Node unloads an addon with the last environment that loaded it, but the addon's process-wide
  // CPU threads keep running its code: it is linked non-unloadable (-z nodelete)
  const script = `
    import { Worker } from 'node:worker_threads';
    import { readFileSync } from 'node:fs';
    const code = \`
      const ig = require(${JSON.stringify(dist)});
      const rows = 64, vocab = 151936;
      ig.tokenLogprobsSync({ data: new Float32Array(rows * vocab), rows, vocab }, new Int32Array(rows));
      require('node:worker_threads').parentPort.postMessage('done');
    \`;
    for (let i = 0; i < 3; i++) {
      const w = new Worker(code, { eval: true, execArgv: [] });
      await new Promise((resolve) => w.once('message', resolve));
      await w.terminate();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    console.log(readFileSync('/proc/self/maps', 'utf8').includes('infogain') ? 'mapped' : 'unmapped');
  `;
  const { code, stdout, stderr } = await runChild(script);
  assert.equal(code, 0, `the child process died (${code}): ${stderr}`);
  assert.equal(stdout.trim(), 'mapped');
});

