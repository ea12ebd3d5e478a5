// onnxruntime-node is an optional peer dependency: without it the kernels work, and the scorer and
// `infogain score` fail with one typed error that names the install command. The package is copied
// to a temporary folder where require('onnxruntime-node') really finds nothing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { candidatePaths } from '../dist/native.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const command =
  'npm pkg set allowScripts.onnxruntime-node=false --json && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@^1.30.0';
let dir;
let env;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'infogain-no-ort-'));
  for (const part of ['dist', 'model', 'examples', 'package.json']) cpSync(join(root, part), join(dir, part), { recursive: true });
  // the copy loads the addon this suite tests
  const addon = candidatePaths().find((c) => existsSync(c.path)).path;
  env = { ...process.env, INFOGAIN_NATIVE_PATH: addon, NODE_PATH: '' };
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the copy cannot resolve onnxruntime-node, and its kernels still work', () => {
  const out = execFileSync(
    process.execPath,
    ['-e', `
      let found = true;
      try { require.resolve('onnxruntime-node') } catch { found = false }
      const ig = require('./dist/index.js');
      const r = ig.tokenLogprobsSync({ data: new Float32Array([0, Math.log(3)]), rows: 1, vocab: 2 }, new Int32Array([1]));
      console.log(JSON.stringify({ found, logprob: r.logprobs[0] }));`],
    { cwd: dir, env, encoding: 'utf8' },
  );
  const { found, logprob } = JSON.parse(out);
  assert.equal(found, false);
  assert.ok(Math.abs(logprob - Math.log(0.75)) < 1e-6);
});

test('OnnxScorer.create rejects with ERR_INFOGAIN_ONNXRUNTIME naming the install command', () => {
  const out = execFileSync(
    process.execPath,
    ['-e', `
      require('./dist/index.js').OnnxScorer.create({ model: 'model/tiny-clarify.onnx' }).then(
        () => console.log('{}'),
        (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, cause: e.cause?.code })));`],
    { cwd: dir, env, encoding: 'utf8' },
  );
  const e = JSON.parse(out);
  assert.equal(e.code, 'ERR_INFOGAIN_ONNXRUNTIME');
  assert.equal(e.name, 'Error');
  assert.equal(e.cause, 'MODULE_NOT_FOUND');
  assert.match(e.message, /onnxruntime-node \(an optional peer dependency\), which is not installed/);
  assert.ok(e.message.includes(command), e.message);
});

test('infogain score exits 1 with the same message', () => {
  const r = spawnSync(process.execPath, ['dist/cli.js', 'score', '--out', join(dir, 'rewards.jsonl')], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.ok(r.stderr.includes(command), r.stderr);
  assert.match(r.stderr, /ERR_INFOGAIN_ONNXRUNTIME/);
});
