// The Python clients of examples/python/ (standard library only), run with python3 against the
// real server on loopback: the generic client's /v1/score equals `infogain score`, the verl
// reward function, the TRL reward callable and OpenRLHF's remote_rm request return the sum of
// the turns' InfoPO gains that `infogain score` computes for the same conversation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { cliScore, examples, root, startServer } from './helpers/serve.mjs';

const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['--version']).status === 0);
const dir = mkdtempSync(join(tmpdir(), 'infogain-serve-python-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `code` with python3, examples/python importable; returns what it printed as JSON. */
function py(code, env) {
  const r = spawnSync(python, ['-c', code], { cwd: join(root, 'examples', 'python'), encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// one conversation: user asks, the assistant asks back, the user answers, the assistant books
const prompt = '<|im_start|>user\nfly<|im_end|>\n<|im_start|>assistant\n';
const rollout = {
  id: 'query[0]', group: 0, prompt, reward: 0, groundTruth: 'BOOK(rome)',
  turns: [
    { action: 'city?<|im_end|>', observation: '\n<|im_start|>user\nrome<|im_end|>\n<|im_start|>assistant\n' },
    { action: 'BOOK(rome)<|im_end|>', observation: '\n' },
  ],
};
const response = rollout.turns.map((t) => t.action + t.observation).join('');

describe('Python clients against the real server', { skip: python ? false : 'python3 is not installed (CI installs Debian\'s python3)' }, () => {
  let server, expectedGain, examplesExpected;
  before(async () => {
    server = await startServer();
    const file = join(dir, 'conversation.jsonl');
    writeFileSync(file, JSON.stringify(rollout) + '\n');
    const [record] = cliScore(file, join(dir, 'conversation-out.jsonl'));
    expectedGain = record.turns.reduce((s, t) => s + (t.infoGain ?? 0), 0);
    assert.notEqual(expectedGain, 0);
    const input = join(dir, 'examples.jsonl');
    writeFileSync(input, examples.map((e) => JSON.stringify(e)).join('\n'));
    examplesExpected = cliScore(input, join(dir, 'examples-out.jsonl'));
  });
  after(() => server?.stop());

  test('infogain_client.score: the records of infogain score', () => {
    const rolloutsFile = join(dir, 'rollouts.json');
    writeFileSync(rolloutsFile, JSON.stringify(examples));
    const out = py(`import json; from infogain_client import InfogainClient; print(json.dumps(InfogainClient().score(json.load(open(${JSON.stringify(rolloutsFile)})))["results"]))`, { INFOGAIN_URL: server.url });
    assert.deepEqual(out, examplesExpected);
  });

  test('infogain_client: an error answer raises InfogainError with the code and index', () => {
    const out = py(`import json
from infogain_client import InfogainClient, InfogainError
try:
    InfogainClient().score([{"group": 1, "turns": [], "reward": 0}])
except InfogainError as e:
    print(json.dumps([e.status, e.code, e.index]))`, { INFOGAIN_URL: server.url });
    assert.deepEqual(out, [400, 'ERR_INFOGAIN_ROLLOUT', 0]);
  });

  test('verl compute_score', () => {
    const out = py(`import json; from verl_reward import compute_score
print(json.dumps(compute_score("demo", ${JSON.stringify(response)}, "BOOK(rome)", {"prompt": ${JSON.stringify(prompt)}})))`, { INFOGAIN_URL: server.url });
    assert.ok(Math.abs(out - expectedGain) < 1e-12, `${out} vs ${expectedGain}`);
  });

  test('TRL reward_funcs callable (conversational format)', () => {
    const out = py(`import json; from trl_reward import infogain_reward
prompts = [[{"role": "user", "content": "fly"}], [{"role": "user", "content": "fly"}]]
completions = [[{"role": "assistant", "content": "city?"}, {"role": "user", "content": "rome"}, {"role": "assistant", "content": "BOOK(rome)"}],
               [{"role": "assistant", "content": "BOOK(rome)"}]]
print(json.dumps(infogain_reward(prompts, completions, ground_truth=["BOOK(rome)", "BOOK(rome)"])))`, { INFOGAIN_URL: server.url });
    assert.equal(out.length, 2);
    assert.ok(Math.abs(out[0] - expectedGain) < 1e-12, `${out[0]} vs ${expectedGain}`);
    assert.equal(out[1], 0);  // one assistant message: no observation, no InfoPO gain
  });

  test("OpenRLHF's remote_rm request", () => {
    const r = spawnSync(python, ['openrlhf_remote_rm.py', `${server.url}/get_reward`], { cwd: join(root, 'examples', 'python'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(Math.abs(out.rewards[0] - expectedGain) < 1e-12, `${out.rewards[0]} vs ${expectedGain}`);
    assert.deepEqual(out.scores, out.rewards);
  });
});
