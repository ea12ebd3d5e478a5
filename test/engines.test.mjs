// Scoring through a serving engine (SGLang, vLLM) against a stand-in server that answers the
// documented subset of each protocol from the ONNX scorer (helpers/standin-server.mjs): the same
// gains as scoring in-process, requests placed for SGLang's radix cache, the tokenizer check, bad
// options, and `infogain score --backend`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import * as ig from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import { rng, runSeed } from './helpers/random.mjs';
import { startStandin } from './helpers/standin-server.mjs';

const { codes, defaultScoreOptions: o, openSource, OnnxScorer, scoreChunk, finishScores } = ig;
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const examplesPath = join(root, 'examples', 'rollouts.jsonl');
const rollouts = readFileSync(examplesPath, 'utf8').trim().split('\n').map((l, i) => ig.parseRollout(l, i + 1));
const backends = ['sglang', 'vllm'];
const dir = mkdtempSync(join(tmpdir(), 'infogain-engines-'));

let onnx, standin, reference;
before(async () => {
  onnx = await OnnxScorer.create();
  standin = await startStandin({ scorer: onnx, record: true });
  reference = finishScores(rollouts, await scoreChunk(rollouts, onnx, o), o);
});
after(async () => {
  await standin.close();
  await onnx.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Every number of two lists of output records within 1e-4 (nulls in the same places). */
function assertSameRecords(got, want, what) {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => {
    const w = want[i];
    assert.equal(g.id, w.id);
    const pairs = [
      ...g.turns.flatMap((t, k) => [[t.infoGain, w.turns[k].infoGain, `turns[${k}].infoGain`], [t.beliefGain, w.turns[k].beliefGain, `turns[${k}].beliefGain`]]),
      ...(g.beliefs ?? []).map((b, k) => [b, w.beliefs[k], `beliefs[${k}]`]),
      ...['tokenRewards', 'infopoAdvantages', 'igpoAdvantages'].flatMap((f) => g[f].map((v, k) => [v, w[f][k], `${f}[${k}]`])),
    ];
    for (const [a, b, name] of pairs) {
      if (a === null || b === null) assert.equal(a, b, `${what} ${g.id} ${name}`);
      else assert.ok(Math.abs(a - b) <= 1e-4, `${what} ${g.id} ${name}: ${a} vs ${b}`);
    }
  });
}

/** A random prefix-tree request over the bundled model's 256 ids, with the edge cases spans can have. */
function randomRequest(r) {
  const ids = Int32Array.from({ length: 1 + r.int(60) }, () => r.int(256));
  const branches = Array.from({ length: r.int(5) }, () => ({ at: r.int(ids.length + 1), ids: Int32Array.from({ length: r.int(12) }, () => r.int(256)) }));
  const logprobs = [];
  const span = (sequence, n) => {
    const start = 1 + r.int(Math.max(1, n)), end = Math.min(n, start + r.int(8));
    if (start <= n) logprobs.push({ sequence, start, end: Math.max(start, end) });
  };
  for (let k = r.int(4); k > 0; k--) span(-1, ids.length);
  branches.forEach((b, i) => {
    const n = b.at + b.ids.length;
    for (let k = r.int(3); k > 0; k--) span(i, n);
    // a span starting at the branch point: its first row is the trunk's, its token the branch's
    if (b.ids.length && b.at >= 1 && r.next() < 0.5) logprobs.push({ sequence: i, start: b.at, end: b.at + 1 + r.int(b.ids.length) });
  });
  return { tree: { ids, branches }, logprobs };
}

describe('each backend scores like the ONNX scorer (the bundled model behind the stand-in)', () => {
  for (const backend of backends) {
    test(`${backend}: the bundled examples' gains, beliefs and advantages within 1e-4`, async () => {
      const source = await openSource({ backend, server: standin.url });
      try {
        assert.equal(source.fullDistributions, false);
        assertSameRecords(finishScores(rollouts, await scoreChunk(rollouts, source, o), o), reference, backend);
      } finally {
        await source.dispose();
      }
    });

    test(`${backend}: random prefix trees (branch at 0 and at the end, spans at the branch point, empty spans) within 1e-4`, async () => {
      const r = rng(runSeed + backends.indexOf(backend));
      const requests = Array.from({ length: 24 }, () => randomRequest(r));
      const want = await onnx.score(requests, { temperature: 1 });
      const source = await openSource({ backend, server: standin.url, concurrency: 3 });
      try {
        const got = await source.score(requests, { temperature: 1 });
        got.forEach((g, i) => assertClose(g.logprobs, want[i].logprobs, { atol: 1e-4, what: `${backend} request ${i}` }));
      } finally {
        await source.dispose();
      }
    });
  }
});

describe('SGLang: requests placed so the radix cache serves shared prefixes', () => {
  test('one tree: the trunk first, then the branches as one batch, each logprob_start_len one before its first position read', async () => {
    const fresh = await startStandin({ scorer: onnx, record: true });
    const source = await openSource({ backend: 'sglang', server: fresh.url });
    try {
      const t = ig.tokenizeRollout(rollouts[0], source.tokenizer);
      const request = ig.rolloutTree(t, source.tokenizer.encode(o.placeholder), source.tokenizer.encode(o.beliefPrefix), 'sampled');
      await source.score([request], { temperature: 1 });
      const [trunk, batch, ...rest] = fresh.stats.bodies.map((b) => b.body);
      assert.equal(rest.length, 0);
      const firstRead = Math.min(...request.logprobs.filter((s) => s.sequence < 0).map((s) => s.start));
      assert.equal(trunk.logprob_start_len, firstRead - 1);
      assert.deepEqual(trunk.sampling_params, { max_new_tokens: 0, temperature: 1 });
      assert.equal(batch.input_ids.length, request.tree.branches.length);
      request.tree.branches.forEach((b, i) => {
        const first = Math.min(...request.logprobs.filter((s) => s.sequence === i).map((s) => s.start));
        assert.equal(batch.logprob_start_len[i], first - 1);
        assert.ok(batch.logprob_start_len[i] >= b.at, 'the cache may serve the whole shared prefix');
        assert.deepEqual(batch.input_ids[i].slice(0, b.at), Array.from(t.ids.subarray(0, b.at)));
      });
      // one tree on a cold cache: the estimate is what the stand-in's radix cache measured, but for
      // branches that go on like the trunk past their point (the belief prefix "\nA: " is how the next
      // action starts), which hit more than the estimate counts
      const s = source.engineStats;
      let beyond = 0;
      request.tree.branches.forEach((b, i) => {
        let k = b.at;
        while (k < t.ids.length && k - b.at < b.ids.length && batch.input_ids[i][k] === t.ids[k] && k < batch.logprob_start_len[i]) k++;
        beyond += k - b.at;
      });
      assert.ok(beyond > 0);
      assert.equal(s.cacheMissEstimate - beyond, fresh.stats.prefillTokens);
      assert.equal(s.cachedTokensReported, fresh.stats.cachedTokens);
      assert.equal(s.promptTokensReported - s.cachedTokensReported, fresh.stats.prefillTokens);
      assert.equal(s.requests, 2);
    } finally {
      await source.dispose();
      await fresh.close();
    }
  });

  test('trees packed up to maxRequestTokens: the estimate bounds what the cache missed', async () => {
    const fresh = await startStandin({ scorer: onnx, record: true });
    const source = await openSource({ backend: 'sglang', server: fresh.url, maxRequestTokens: 4096, concurrency: 1 });
    try {
      await scoreChunk(rollouts, source, o);
      const s = source.engineStats;
      // prompts shared by the rollouts of a group hit more than the estimate counts (the order of
      // trunks and branches is checked on one tree above)
      assert.ok(fresh.stats.prefillTokens <= s.cacheMissEstimate, `${fresh.stats.prefillTokens} > ${s.cacheMissEstimate}`);
      assert.ok(s.cacheMissEstimate < s.tokensSent);
      const bodies = fresh.stats.bodies.map((b) => b.body);
      assert.equal(s.requests, bodies.length);
      assert.ok(bodies.length >= 8 && bodies.length % 2 === 0, `${bodies.length} requests`);
      for (const body of bodies) assert.ok(body.input_ids.reduce((n, ids) => n + ids.length, 0) <= 4096, 'one batch stays within maxRequestTokens');
    } finally {
      await source.dispose();
      await fresh.close();
    }
  });
});

test('vLLM: one request per group of trees (one per tree with maxRequestTokens 1), prompt_logprobs 0, max_tokens 1', async () => {
  const fresh = await startStandin({ scorer: onnx, record: true });
  const packed = await openSource({ backend: 'vllm', server: fresh.url });
  await scoreChunk(rollouts.slice(0, 3), packed, o);
  assert.equal(fresh.stats.bodies.length, 1);
  assert.equal(fresh.stats.bodies[0].body.prompt.length, packed.engineStats.sequences);
  await packed.dispose();
  fresh.stats.bodies.length = 0;
  const source = await openSource({ backend: 'vllm', server: fresh.url, maxRequestTokens: 1 });
  try {
    await scoreChunk(rollouts.slice(0, 3), source, o);
    assert.equal(fresh.stats.bodies.length, 3);
    for (const { path, body } of fresh.stats.bodies) {
      assert.equal(path, '/v1/completions');
      assert.equal(body.model, 'tiny-clarify');
      assert.equal(body.max_tokens, 1);
      assert.equal(body.prompt_logprobs, 0);
      assert.equal(body.temperature, 1);
      assert.ok(Array.isArray(body.prompt[0]));
    }
    assert.equal(source.engineStats.cacheMissEstimate, source.engineStats.tokensSent);
  } finally {
    await source.dispose();
    await fresh.close();
  }
});

describe('the tokenizer and vocabulary check', () => {
  const shifted = { ...ig.byteTokenizer(), encode: (text) => ig.byteTokenizer().encode(text).map((b) => (b + 1) % 256) };
  for (const backend of backends) {
    test(`${backend}: a server whose tokenizer differs is ERR_INFOGAIN_VOCAB_MISMATCH`, async () => {
      const other = await startStandin({ scorer: onnx, tokenizer: shifted });
      try {
        await assert.rejects(openSource({ backend, server: other.url }), (e) => e.code === 'ERR_INFOGAIN_VOCAB_MISMATCH' && /token 0 is 105 here and 106 there/.test(e.message));
      } finally {
        await other.close();
      }
    });

    test(`${backend}: a model card stating a smaller vocabulary is ERR_INFOGAIN_VOCAB_MISMATCH`, async () => {
      const other = await startStandin({ scorer: onnx, vocabSize: 128 });
      try {
        await assert.rejects(openSource({ backend, server: other.url }), (e) => e.code === 'ERR_INFOGAIN_VOCAB_MISMATCH' && /256 ids but .* serves a model of 128/.test(e.message));
      } finally {
        await other.close();
      }
    });

    test(`${backend}: no /tokenize: unchecked, and said so; checkTokenizer false: unchecked`, async () => {
      const other = await startStandin({ scorer: onnx, tokenize: false });
      try {
        const a = await openSource({ backend, server: other.url });
        assert.equal(a.tokenizerCheck.checked, false);
        assert.match(a.tokenizerCheck.detail, /unchecked: .* has no \/tokenize endpoint/);
        await a.dispose();
        const b = await openSource({ backend, server: standin.url, checkTokenizer: false });
        assert.deepEqual(b.tokenizerCheck, { checked: false, detail: 'unchecked (checkTokenizer: false)' });
        await b.dispose();
      } finally {
        await other.close();
      }
    });
  }

  test('the context length the server states (vLLM keeps one token for the one it generates); maxLength given wins', async () => {
    const s = await openSource({ backend: 'sglang', server: standin.url });
    const v = await openSource({ backend: 'vllm', server: standin.url });
    const w = await openSource({ backend: 'vllm', server: standin.url, maxLength: 100 });
    const x = await openSource({ backend: 'sglang', server: standin.url, maxLength: 100 });
    assert.deepEqual([s.maxLength, v.maxLength, w.maxLength, x.maxLength], [2048, 2047, 100, 100]);
    // a context given does not skip the tokenizer check
    assert.deepEqual([s, v, w, x].map((a) => a.tokenizerCheck.checked), [true, true, true, true]);
    await Promise.all([s.dispose(), v.dispose(), w.dispose(), x.dispose()]);
  });
});

describe('bad input: typed errors before any request', () => {
  test('options', async () => {
    await assert.rejects(openSource({ backend: 'tgi' }), (e) => e instanceof RangeError && e.code === codes.outOfRange && e.argument === 'backend');
    await assert.rejects(openSource({ backend: 3 }), (e) => e instanceof TypeError && e.argument === 'backend');
    await assert.rejects(openSource(null), (e) => e instanceof TypeError && e.argument === 'options');
    await assert.rejects(openSource({ backend: 'sglang' }), (e) => e instanceof TypeError && e.argument === 'server');
    await assert.rejects(openSource({ backend: 'sglang', server: 'not a url' }), (e) => e instanceof RangeError && e.argument === 'server');
    await assert.rejects(openSource({ backend: 'vllm', server: 'ftp://x' }), (e) => e instanceof RangeError && /http:\/\/ or https:\/\//.test(e.message));
    await assert.rejects(openSource({ backend: 'sglang', server: standin.url, concurrency: 0 }), (e) => e instanceof RangeError && e.argument === 'concurrency');
    await assert.rejects(openSource({ backend: 'sglang', server: standin.url, model: 'x' }), (e) => e.code === codes.unknownOption && e.argument === 'model');
    await assert.rejects(openSource({ backend: 'vllm', server: standin.url, model: 'llama' }), (e) => e.code === codes.server && /does not serve model "llama"; it serves "tiny-clarify"/.test(e.message));
    await assert.rejects(openSource({ backend: 'onnx', server: standin.url }), (e) => e.code === codes.unknownOption && e.argument === 'server');
  });

  for (const backend of backends)
    test(`${backend}: temperature other than 1, divergences, ids outside the vocabulary: nothing sent`, async () => {
      const source = await openSource({ backend, server: standin.url });
      try {
        const sent = standin.stats.scoring;
        const request = { tree: { ids: Int32Array.of(1, 2, 3), branches: [] }, logprobs: [{ sequence: -1, start: 1, end: 3 }] };
        await assert.rejects(source.score([request], { temperature: 0.7 }), (e) => e instanceof RangeError && e.argument === 'temperature' && /raw logits/.test(e.message));
        await assert.rejects(source.score([request, { ...request, divergences: [[request.logprobs[0], request.logprobs[0]]] }], { temperature: 1 }),
          (e) => e instanceof RangeError && e.argument === 'requests[1].divergences');
        await assert.rejects(source.score([request, { ...request, tree: { ids: Int32Array.of(1, 256), branches: [] }, logprobs: [] }], { temperature: 1 }),
          (e) => e instanceof RangeError && e.argument === 'requests[1].tree.ids' && e.index === 1);
        await assert.rejects(ig.scoreTokenized([], source, { ...o, mode: 'full' }), (e) => e instanceof RangeError && /mode 'full'/.test(e.message));
        assert.equal(standin.stats.scoring, sent);
      } finally {
        await source.dispose();
      }
    });
});

describe('infogain score --backend', () => {
  const run = async (args) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, 'score', ...args], { cwd: dir });
      return { code: 0, stdout, stderr };
    } catch (e) {
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const records = (file) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

  // 36 rollouts, 8 a call: 5 calls, each one batch (SGLang: trunks, then branches)
  for (const [backend, requests] of [['sglang', 10], ['vllm', 5]])
    test(`${backend}: the same records as --backend onnx; requests and tokens per rollout in the summary`, async () => {
      const out = join(dir, `${backend}.jsonl`), summary = join(dir, `${backend}.json`);
      const r = await run(['--backend', backend, '--server', standin.url, '--out', out, '--json-summary', summary, '--concurrency', '4']);
      assert.equal(r.code, 0, r.stderr);
      assertSameRecords(records(out), reference, backend);
      assert.match(r.stdout, new RegExp(`requests: ${requests} for 36 rollouts \\(${(requests / 36).toFixed(2)} per rollout\\), 0 retried; \\d+ sequences, \\d+ tokens sent \\([\\d.]+ per rollout`));
      assert.match(r.stdout, /tokenizer checked: the server's \/tokenize agrees/);
      const json = JSON.parse(readFileSync(summary, 'utf8'));
      assert.equal(json.backend, backend);
      assert.equal(json.requestsPerRollout, requests / 36);
      assert.ok(json.tokens.sentPerRollout > 0 && json.tokens.cacheMissEstimate <= json.tokens.sent);
    });

  test('flags that do not fit: exit 2 with the reason', async () => {
    const cases = [
      [['--backend', 'vllm', '--server', standin.url, '--mode', 'full'], /--backend vllm: mode 'full' .* needs whole next-token distributions/],
      [['--backend', 'sglang', '--server', standin.url, '--temperature', '0.5'], /--backend sglang: temperature 0.5: sglang returns teacher-forced log-probs of raw logits/],
      [['--server', standin.url], /--server needs --backend sglang or vllm/],
      [['--backend', 'sglang'], /--backend sglang needs --server URL/],
      [['--backend', 'sglang', '--server', standin.url, '--model', 'm.onnx'], /--model does not apply to --backend sglang/],
      [['--backend', 'sglang', '--server', standin.url, '--server-model', 'x'], /--server-model does not apply to --backend sglang/],
      [['--backend', 'tgi'], /--backend must be one of onnx, sglang, vllm, got 'tgi'/],
      [['--backend', 'vllm', '--server', standin.url, '--concurrency', '0'], /--concurrency must be an integer in \[1, 1024\]/],
    ];
    for (const [args, pattern] of cases) {
      const r = await run([...args, '--out', join(dir, 'never.jsonl')]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });

  test('a server that refuses the request: exit 1, ERR_INFOGAIN_SERVER with the URL and status, nothing written', async () => {
    const failing = await startStandin({ scorer: onnx, faults: () => ({ status: 400, message: 'Token id 7 is out of vocabulary' }) });
    try {
      const out = join(dir, 'refused.jsonl');
      const r = await run(['--backend', 'vllm', '--server', failing.url, '--out', out]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`ERR_INFOGAIN_SERVER: POST ${failing.url}/v1/completions failed: HTTP 400: Token id 7 is out of vocabulary \\(not retried`));
      assert.throws(() => readFileSync(out), /ENOENT/);
    } finally {
      await failing.close();
    }
  });
});
