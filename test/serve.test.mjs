// `infogain serve` over real HTTP (the CLI in a child process, loopback, a free port): results equal
// `infogain score`'s on the same rollouts (a JSON body and a JSONL body), OpenRLHF's /get_reward
// splits chat text into the turns it should and returns the documented scalar, every malformed
// body is a 4xx in the error format with the library's codes (never a 500), 413, 401, and without
// fastify the command fails with a typed error naming the install command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { candidatePaths } from '../dist/native.js';
import { cli, cliScore, examples, metric, request, root, startServer } from './helpers/serve.mjs';

const dir = mkdtempSync(join(tmpdir(), 'infogain-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'in.jsonl');
writeFileSync(input, examples.map((e) => JSON.stringify(e)).join('\n') + '\n');

describe('results equal infogain score', () => {
  let server;
  before(async () => (server = await startServer()));
  after(() => server.stop());

  test('a JSON body: the same records in the same order, and a summary per group', async () => {
    const expected = cliScore(input, join(dir, 'cli.jsonl'));
    const r = await request(`${server.url}/v1/score`, { body: { rollouts: examples } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.results, expected);
    assert.equal(r.json.summary.all.rollouts, examples.length);
    assert.deepEqual(r.json.summary.groups.map((g) => g.group), [...new Set(examples.map((e) => e.group))]);
    assert.equal(r.json.summary.tokens, expected.reduce((n, x) => n + x.tokens, 0));
  });

  test('a JSONL body (the rollouts file as it is), and per-request options equal the same flags', async () => {
    const expected = cliScore(input, join(dir, 'cli-opts.jsonl'), ['--beta', '0.25', '--gamma', '0.9', '--belief-mode', 'logprob']);
    const r = await request(`${server.url}/v1/score`, { body: { rollouts: examples, options: { beta: 0.25, gamma: 0.9, beliefMode: 'logprob' } } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.results, expected);
    const jsonl = await request(`${server.url}/v1/score`, { body: examples.map((e) => JSON.stringify(e)).join('\n') + '\n', headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(jsonl.status, 200, jsonl.text);
    assert.deepEqual(jsonl.json.results, cliScore(input, join(dir, 'cli-plain.jsonl')));
  });

  test('a request is scored on its own: group advantages come from its own groups', async () => {
    const group = examples.filter((e) => e.group === examples[0].group);
    const groupFile = join(dir, 'group.jsonl');
    writeFileSync(groupFile, group.map((e) => JSON.stringify(e)).join('\n'));
    const [a, b] = await Promise.all([
      request(`${server.url}/v1/score`, { body: { rollouts: group } }),
      request(`${server.url}/v1/score`, { body: { rollouts: examples } }),
    ]);
    assert.deepEqual(a.json.results, cliScore(groupFile, join(dir, 'group-out.jsonl')));
    assert.equal(b.json.results.length, examples.length);
  });

  test('/healthz and /metrics', async () => {
    const h = await request(`${server.url}/healthz`, { method: 'GET' });
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'ok');
    assert.ok((await metric(server.url, 'infogain_rollouts_scored_total')) >= examples.length);
    assert.ok((await metric(server.url, 'infogain_tokens_fed_total')) > 0);
    assert.ok((await metric(server.url, 'infogain_http_requests_total{route="/v1/score",code="200"}')) >= 3);
    const { text } = await request(`${server.url}/metrics`, { method: 'GET' });
    for (const name of ['infogain_http_request_duration_seconds_bucket', 'infogain_queue_depth', 'infogain_jobs_running', 'infogain_http_errors_total'])
      assert.match(text, new RegExp(`^# TYPE ${name.replace(/_bucket$/, '')} `, 'm'));
  });
});

test('every reward: C-IP calibrated once at start (--calibration), PEAR and Nous asked per request, equal to infogain score', async () => {
  const calibration = join(root, 'examples', 'calibration.jsonl');
  const server = await startServer(['--reward', 'infopo,igpo,nous,cip', '--calibration', calibration]);
  try {
    const expected = cliScore(input, join(dir, 'all.jsonl'), ['--reward', 'infopo,igpo,nous,cip', '--calibration', calibration]);
    const r = await request(`${server.url}/v1/score`, { body: { rollouts: examples } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.results, expected);
    assert.ok(r.json.results.every((x) => x.cip && x.nous));
    const pear = cliScore(input, join(dir, 'pear.jsonl'), ['--reward', 'infopo,pear', '--pear-alpha', '0.1', '--delimiter', 'BOOK(']);
    const p = await request(`${server.url}/v1/score`, { body: { rollouts: examples, options: { rewards: ['infopo', 'pear'], pear: { alpha: 0.1, delimiter: 'BOOK(' } } } });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.json.results, pear);
    assert.ok('meanPearReward' in p.json.summary.all);
    // pear: { alpha } alone keeps the delimiter the server has (here the default '</think>'), as --pear-alpha alone does
    const alphaOnly = cliScore(input, join(dir, 'pear-alpha.jsonl'), ['--reward', 'infopo,pear', '--pear-alpha', '0.2']);
    const a = await request(`${server.url}/v1/score`, { body: { rollouts: examples, options: { rewards: ['infopo', 'pear'], pear: { alpha: 0.2 } } } });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json.results, alphaOnly);
  } finally {
    await server.stop();
  }
});

/** Chat text of a rollout: prompt (ends with the assistant header), then each action and observation. */
const chatml = {
  prompt: '<|im_start|>user\nfly<|im_end|>\n<|im_start|>assistant\n',
  turns: [
    { action: 'city?<|im_end|>', observation: '\n<|im_start|>user\nrome<|im_end|>\n<|im_start|>assistant\n' },
    { action: 'date?<|im_end|>', observation: '\n<|im_start|>user\njul 9<|im_end|>\n<|im_start|>assistant\n' },
    { action: 'BOOK(rome)<|im_end|>', observation: '\n' },
  ],
};
const llama3 = {
  prompt: '<|start_header_id|>user<|end_header_id|>\n\nfly<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
  turns: [
    { action: 'city?<|eot_id|>', observation: '<|start_header_id|>user<|end_header_id|>\n\nrome<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n' },
    { action: 'BOOK(rome)<|eot_id|>', observation: '' },
  ],
};
const text = (c) => c.prompt + c.turns.map((t) => t.action + t.observation).join('');

describe('/get_reward (OpenRLHF)', () => {
  for (const [format, chat, label] of [['chatml', chatml, 'BOOK(rome)'], ['llama3', llama3, 'BOOK(rome)']]) {
    test(`${format}: the turns split as written, the scalar is the sum of the turns' InfoPO IG (and IGPO's with --openrlhf-reward igpo)`, async () => {
      const server = await startServer(format === 'chatml' ? [] : ['--chat-format', format]);
      const igpo = await startServer(['--chat-format', format, '--openrlhf-reward', 'igpo']);
      try {
        const rollout = { id: 'query[0]', group: 0, prompt: chat.prompt, turns: chat.turns, reward: 0, groundTruth: label };
        const file = join(dir, `${format}.jsonl`);
        writeFileSync(file, JSON.stringify(rollout) + '\n');
        const [expected] = cliScore(file, join(dir, `${format}-out.jsonl`));
        const sum = (key) => expected.turns.reduce((s, t) => s + (t[key] ?? 0), 0);
        const body = { query: [text(chat)], prompts: [chat.prompt], labels: [label] };
        const r = await request(`${server.url}/get_reward`, { body });
        assert.equal(r.status, 200, r.text);
        assert.ok(Math.abs(r.json.rewards[0] - sum('infoGain')) < 1e-12, `${r.json.rewards[0]} vs ${sum('infoGain')}`);
        assert.notEqual(sum('infoGain'), 0);
        assert.deepEqual(r.json.scores, r.json.rewards);
        assert.deepEqual(r.json.extra_logs.infogain_turns, [chat.turns.length]);
        assert.deepEqual(r.json.extra_logs.infogain_tokens, [expected.tokens]);
        const g = await request(`${igpo.url}/get_reward`, { body });
        assert.ok(Math.abs(g.json.rewards[0] - sum('beliefGain')) < 1e-12, `${g.json.rewards[0]} vs ${sum('beliefGain')}`);
        // without prompts, or with a prompt cut inside the header, the response starts at the first assistant header: the same split
        const np = await request(`${server.url}/get_reward`, { body: { query: body.query, labels: body.labels } });
        assert.deepEqual(np.json.rewards, r.json.rewards);
        const cut = await request(`${server.url}/get_reward`, { body: { ...body, prompts: [chat.prompt.slice(0, chat.prompt.lastIndexOf('<|'))] } });
        assert.deepEqual(cut.json.rewards, r.json.rewards);
        // OpenRLHF may send empty lists
        const empty = await request(`${server.url}/get_reward`, { body: { query: [], prompts: [], labels: [] } });
        assert.deepEqual(empty.json, { rewards: [], scores: [], extra_logs: {} });
        const bad = await request(`${igpo.url}/get_reward`, { body: { query: body.query } });
        assert.equal(bad.status, 400);
        assert.match(bad.json.error.message, /no label/);
        const long = await request(`${server.url}/get_reward`, { body: { query: [`${'a'.repeat(300)}${chat.prompt}x`] } });
        assert.equal(long.status, 400, long.text);
        assert.match(long.json.error.message, /^query\[0\]: the rollout is \d+ tokens long; the model reads at most 256/);
        const none = await request(`${server.url}/get_reward`, { body: { query: ['no chat markup here'] } });
        assert.equal(none.status, 400);
        assert.equal(none.json.error.index, 0);
      } finally {
        await Promise.all([server.stop(), igpo.stop()]);
      }
    });
  }
});

describe('malformed requests: a 4xx in the error format, never a 500', () => {
  let server;
  before(async () => (server = await startServer(['--body-limit', '4k'])));
  after(() => server.stop());
  const good = examples[0];
  const cases = [
    ['not JSON', '{"rollouts": [', {}, 400, 'ERR_INFOGAIN_JSON'],
    ['an empty body', '', {}, 400, 'ERR_INFOGAIN_JSON'],
    ['a "__proto__" key', '{"rollouts": [], "__proto__": {"polluted": 1}}', {}, 400, 'ERR_INFOGAIN_JSON'],
    ['a "__proto__" key spelled with JSON escapes', '{"rollouts": [], "\\u005f_proto__": {"polluted": 1}}', {}, 400, 'ERR_INFOGAIN_JSON'],
    ['text/plain', 'hello', { 'content-type': 'text/plain' }, 415, 'ERR_INFOGAIN_CONTENT_TYPE'],
    ['an array body', [good], {}, 400, 'ERR_INVALID_ARG_TYPE'],
    ['no rollouts', {}, {}, 400, 'ERR_INVALID_ARG_TYPE'],
    ['rollouts not an array', { rollouts: 'x' }, {}, 400, 'ERR_INVALID_ARG_TYPE'],
    ['an unknown top-level key', { rollouts: [good], extra: 1 }, {}, 400, 'ERR_INFOGAIN_UNKNOWN_OPTION'],
    ['an unknown option', { rollouts: [good], options: { bta: 1 } }, {}, 400, 'ERR_INFOGAIN_UNKNOWN_OPTION'],
    ['a string where a number goes (no coercion)', { rollouts: [good], options: { beta: '0.5' } }, {}, 400, 'ERR_INVALID_ARG_TYPE'],
    ['an option out of range', { rollouts: [good], options: { gamma: 2 } }, {}, 400, 'ERR_OUT_OF_RANGE'],
    ['an unknown reward', { rollouts: [good], options: { rewards: ['nope'] } }, {}, 400, 'ERR_OUT_OF_RANGE'],
    ['cip without a calibration at start', { rollouts: [good], options: { rewards: ['cip'] } }, {}, 400, 'ERR_OUT_OF_RANGE'],
    ['pear without its options', { rollouts: [good], options: { rewards: ['pear'] } }, {}, 400, 'ERR_INVALID_ARG_TYPE'],
    ['a rollout that is not an object', { rollouts: [good, 3] }, {}, 400, 'ERR_INVALID_ARG_TYPE', 1],
    ['a rollout without a reward', { rollouts: [good, { group: 1, turns: [{ action: 'a' }] }] }, {}, 400, 'ERR_INFOGAIN_ROLLOUT', 1],
    ['a token id outside the vocabulary', { rollouts: [{ group: 1, turns: [{ action: [1, 999999] }], reward: 1 }] }, {}, 400, 'ERR_INFOGAIN_ROLLOUT', 0],
    ['a reward that overflows float32', { rollouts: [{ group: 1, turns: [{ action: 'a' }], reward: 1e39 }] }, {}, 400, 'ERR_INFOGAIN_ROLLOUT', 0],
    ['a file name where a rollout goes', { rollouts: [{ group: 1, turns: [{ action: 'a' }], reward: 1, model: '/etc/passwd' }] }, {}, 400, 'ERR_INFOGAIN_ROLLOUT', 0],
    ['get_reward without query', { prompts: [] }, {}, 400, 'ERR_INVALID_ARG_TYPE', undefined, '/get_reward'],
    ['get_reward with a number in query', { query: [1] }, {}, 400, 'ERR_INVALID_ARG_TYPE', 0, '/get_reward'],
    ['get_reward with more labels than queries', { query: ['a'], labels: ['x', 'y'] }, {}, 400, 'ERR_INFOGAIN_SHAPE', undefined, '/get_reward'],
    ['get_reward with a JSONL body (that is /v1/score\'s)', '{"query": []}', { 'content-type': 'application/x-ndjson' }, 415, 'ERR_INFOGAIN_CONTENT_TYPE', undefined, '/get_reward'],
  ];
  for (const [what, body, headers, status, code, index, route = '/v1/score'] of cases) {
    test(what, async () => {
      const r = await request(`${server.url}${route}`, { body, headers });
      assert.equal(r.status, status, r.text);
      assert.equal(r.json?.error?.code, code, r.text);
      assert.equal(typeof r.json.error.message, 'string');
      if (index !== undefined) assert.equal(r.json.error.index, index, r.text);
    });
  }

  test('a bad JSONL line is named by its line number, every one listed', async () => {
    const body = [JSON.stringify(good), '', '{"group": 1', JSON.stringify(good), '{"group": 1, "turns": [], "reward": 0}'].join('\n');
    const r = await request(`${server.url}/v1/score`, { body, headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, 'ERR_INFOGAIN_JSON');
    assert.equal(r.json.error.line, 3);
    assert.match(r.json.error.message, /^line 3: not JSON \(/);
    const r2 = await request(`${server.url}/v1/score`, { body: [JSON.stringify(good), '', '{"group": 1, "turns": [], "reward": 0}'].join('\n'), headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(r2.status, 400, r2.text);
    assert.equal(r2.json.error.code, 'ERR_INFOGAIN_ROLLOUT');
    assert.deepEqual([r2.json.error.index, r2.json.error.line], [1, 3]);
  });

  test('a body over --body-limit is a 413', async () => {
    const r = await request(`${server.url}/v1/score`, { body: { rollouts: Array(40).fill(good) } });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json.error.code, 'ERR_INFOGAIN_BODY_TOO_LARGE');
  });

  test('an unknown route is a 404, and none of the above was a 500', async () => {
    const r = await request(`${server.url}/v2/nothing`, { method: 'GET' });
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'ERR_INFOGAIN_NOT_FOUND');
    const { text } = await request(`${server.url}/metrics`, { method: 'GET' });
    assert.doesNotMatch(text, /code="5\d\d"/);
    // the server still scores
    const ok = await request(`${server.url}/v1/score`, { body: { rollouts: [good] } });
    assert.equal(ok.status, 200, ok.text);
  });
});

test('--token-file: 401 without the bearer token or with a wrong one; /healthz stays open', async () => {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 's3cret-token\n');
  const server = await startServer(['--token-file', tokenFile]);
  try {
    for (const authorization of [undefined, 'Bearer wrong', 'Bearer s3cret-toke', 'Basic s3cret-token', 'Bearer s3cret-token-and-more']) {
      const r = await request(`${server.url}/v1/score`, { body: { rollouts: [examples[0]] }, headers: authorization ? { authorization } : {} });
      assert.equal(r.status, 401, `${authorization}: ${r.text}`);
      assert.equal(r.json.error.code, 'ERR_INFOGAIN_UNAUTHORIZED');
      assert.equal(r.headers['www-authenticate'], 'Bearer');
    }
    assert.equal((await request(`${server.url}/metrics`, { method: 'GET' })).status, 401);
    assert.equal((await request(`${server.url}/healthz`, { method: 'GET' })).status, 200);
    const ok = await request(`${server.url}/v1/score`, { body: { rollouts: [examples[0]] }, headers: { authorization: 'Bearer s3cret-token' } });
    assert.equal(ok.status, 200, ok.text);
  } finally {
    await server.stop();
  }
});

test('bad flags exit 2 before listening; a request can name no file (serve takes none)', () => {
  for (const [args, why] of [
    [['serve', 'rollouts.jsonl'], /serve takes no file/],
    [['serve', '--concurency', '2'], /did you mean --concurrency/],
    [['serve', '--max-queue=-1'], /--max-queue must be an integer/],
    [['serve', '--openrlhf-reward', 'nous'], /--openrlhf-reward must be one of/],
    [['serve', '--chat-format', 'nope'], /--chat-format must be one of chatml, llama3/],
    [['serve', '--out', 'x'], /unknown flag '--out'/],
  ]) {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
});

test('a model that cannot be opened: the server stops listening and exits 1 with the library\'s error', () => {
  const r = spawnSync(process.execPath, [cli, 'serve', '--port', '0', '--model', join(dir, 'no-such-model.onnx')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /ERR_INFOGAIN_MODEL: model file .*no-such-model\.onnx does not exist/);
});

test('without fastify / prom-client: ERR_INFOGAIN_SERVE_DEPENDENCY naming the install command', () => {
  const copy = mkdtempSync(join(tmpdir(), 'infogain-no-fastify-'));
  try {
    for (const part of ['dist', 'model', 'examples', 'package.json']) cpSync(join(root, part), join(copy, part), { recursive: true });
    const addon = candidatePaths().find((c) => existsSync(c.path)).path;
    const r = spawnSync(process.execPath, [join(copy, 'dist', 'cli.js'), 'serve', '--port', '0'], { cwd: copy, encoding: 'utf8', env: { ...process.env, INFOGAIN_NATIVE_PATH: addon, NODE_PATH: '' } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /ERR_INFOGAIN_SERVE_DEPENDENCY: infogain serve needs fastify/);
    assert.match(r.stderr, /^ {2}npm install fastify@\^5 prom-client@\^15$/m);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
