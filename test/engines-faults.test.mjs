// Serving-engine faults against the stand-in (helpers/standin-server.mjs): 500s, 429s, dropped
// connections, bodies cut short, malformed JSON, a slow server. Transient faults are retried and
// nothing is lost (every result equals the fault-free one); what stays broken is one
// ERR_INFOGAIN_SERVER naming the URL, the status and the attempts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as ig from '../dist/index.js';
import { rng, runSeed } from './helpers/random.mjs';
import { startStandin } from './helpers/standin-server.mjs';

const { codes, defaultScoreOptions: o, OnnxScorer, openSource } = ig;
const rollouts = (await import('node:fs')).readFileSync(new URL('../examples/rollouts.jsonl', import.meta.url), 'utf8').trim().split('\n').slice(0, 8).map((l, i) => ig.parseRollout(l, i + 1));

let onnx, standin, fault = () => undefined, requests, want;
const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);
before(async () => {
  process.on('unhandledRejection', onUnhandled);
  onnx = await OnnxScorer.create();
  standin = await startStandin({ scorer: onnx, faults: (f) => fault(f) });
  const tok = onnx.tokenizer;
  requests = rollouts.map((r) => ig.rolloutTree(ig.tokenizeRollout(r, tok), tok.encode(o.placeholder), tok.encode(o.beliefPrefix), 'sampled'));
  want = await onnx.score(requests, { temperature: 1 });
});
after(async () => {
  await standin.close();
  await onnx.dispose();
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no unhandled rejections');
});

/**
 * Scores `requests` through `backend` with the stand-in failing as `plan` says; the source's stats.
 * maxRequestTokens 1 (unless given): a request per tree, so that there are many to fail.
 */
async function scoreWith(backend, plan, options = {}) {
  fault = plan;
  const source = await openSource({ backend, server: standin.url, retryDelayMs: 1, maxRequestTokens: 1, ...options });
  try {
    const got = await source.score(requests, { temperature: 1 });
    got.forEach((g, i) => {
      assert.equal(g.logprobs.length, want[i].logprobs.length);
      g.logprobs.forEach((v, k) => assert.ok(Math.abs(v - want[i].logprobs[k]) <= 1e-4, `request ${i}[${k}]: ${v} vs ${want[i].logprobs[k]}`));
    });
    return source.engineStats;
  } finally {
    fault = () => undefined;
    await source.dispose();
  }
}

/** The error scoring rejects with while the stand-in fails as `plan` says. */
async function failure(backend, plan, options = {}) {
  fault = plan;
  const source = await openSource({ backend, server: standin.url, retryDelayMs: 1, maxRequestTokens: 1, ...options });
  try {
    await source.score(requests, { temperature: 1 });
  } catch (e) {
    return e;
  } finally {
    fault = () => undefined;
    await source.dispose();
  }
  assert.fail('scoring did not fail');
}

for (const backend of ['sglang', 'vllm']) {
  const path = backend === 'sglang' ? '/generate' : '/v1/completions';
  describe(`${backend}: transient faults are retried and nothing is lost`, () => {
    // each request fails at most once (by its body): with requests in lockstep, a fault by index alone could hit one request every time
    const once = (pick) => {
      const failed = new Set();
      return (f) => {
        if (failed.has(f.body)) return undefined;
        const fault = pick(f);
        if (fault) failed.add(f.body);
        return fault;
      };
    };
    const cases = {
      'every third request a 500': once(({ index }) => (index % 3 === 0 ? { status: 500 } : undefined)),
      'a 503 and 429s (Retry-After 0)': once(({ index }) => (index % 4 === 1 ? { status: index % 8 === 1 ? 503 : 429, retryAfter: 0 } : undefined)),
      'dropped connections before any answer': once(({ index }) => (index % 2 === 0 ? { drop: true } : undefined)),
      'connections cut in the middle of the body': once(({ index }) => (index % 3 === 1 ? { truncate: true } : undefined)),
      'complete answers of malformed JSON': once(({ index }) => (index % 3 === 2 ? { malformed: true } : undefined)),
    };
    for (const [name, plan] of Object.entries(cases))
      test(name, async () => {
        const s = await scoreWith(backend, plan, { concurrency: 3 });
        assert.ok(s.retries > 0, 'some requests were retried');
      });

    test(`a random mix of every fault on 40% of the requests, 4 in flight (seed ${runSeed})`, async () => {
      const r = rng(runSeed);
      const kinds = [{ status: 500 }, { status: 502 }, { status: 429, retryAfter: 0 }, { drop: true }, { truncate: true }, { malformed: true }, { delayMs: 30 }];
      const s = await scoreWith(backend, () => (r.next() < 0.4 ? kinds[r.int(kinds.length)] : undefined), { concurrency: 4, retries: 12 });
      assert.equal(s.requests, backend === 'sglang' ? 2 * requests.length : requests.length);
    });

    test('all trees in one batch: a 500 retries the batch, nothing lost', async () => {
      let first = true;
      const s = await scoreWith(backend, () => (first ? ((first = false), { status: 500 }) : undefined), { maxRequestTokens: 1e6 });
      assert.deepEqual([s.requests, s.retries], [backend === 'sglang' ? 2 : 1, 1]);
    });

    test('a slow server: within the time limit it is waited for; past it, retried, then one clear error', async () => {
      await scoreWith(backend, () => ({ delayMs: 40 }), { timeoutMs: 5000, concurrency: 8 });
      const e = await failure(backend, () => ({ delayMs: 400 }), { timeoutMs: 50, retries: 1, concurrency: 1 });
      assert.equal(e.code, codes.server);
      assert.equal(e.url, `${standin.url}${path}`);
      assert.equal(e.attempts, 2);
      assert.match(e.message, new RegExp(`POST ${standin.url}${path} failed after 2 attempts: no complete answer within 0.05 s`));
    });
  });

  describe(`${backend}: what stays broken is one ERR_INFOGAIN_SERVER`, () => {
    test('a 503 on every attempt: the status, the URL and the attempts; the source works again afterwards', async () => {
      const e = await failure(backend, () => ({ status: 503, message: 'Service Unavailable: the engine is overloaded' }), { retries: 3 });
      assert.equal(e.code, codes.server);
      assert.equal(e.status, 503);
      assert.equal(e.attempts, 4);
      assert.match(e.message, new RegExp(`POST ${standin.url}${path} failed after 4 attempts: HTTP 503: Service Unavailable: the engine is overloaded`));
      await scoreWith(backend, () => undefined);
    });

    test('a 400 is not retried: the server\'s message', async () => {
      const e = await failure(backend, () => ({ status: 400, message: 'Token id 70000 is out of vocabulary' }));
      assert.equal(e.status, 400);
      assert.equal(e.attempts, 1);
      assert.match(e.message, /failed: HTTP 400: Token id 70000 is out of vocabulary \(not retried: the same request would fail again\)/);
    });

    test('malformed JSON on every attempt', async () => {
      const e = await failure(backend, () => ({ malformed: true }), { retries: 2 });
      assert.equal(e.attempts, 3);
      assert.match(e.message, /failed after 3 attempts: answered 200 with malformed JSON/);
    });

    test('a server that is not there', async () => {
      const gone = await startStandin({ scorer: onnx });
      const url = gone.url;
      await gone.close();
      await assert.rejects(openSource({ backend, server: url, retries: 1, retryDelayMs: 1 }), (e) => {
        assert.equal(e.code, codes.server);
        assert.match(e.message, new RegExp(`GET ${url}/(get_model_info|v1/models) failed after 2 attempts: connect ECONNREFUSED`));
        return true;
      });
    });
  });
}

test('Retry-After is waited for', async () => {
  let first = true;
  const started = performance.now();
  await scoreWith('vllm', () => (first ? ((first = false), { status: 429, retryAfter: 1 }) : undefined));
  assert.ok(performance.now() - started >= 900, 'waited about the second the server asked for');
});
