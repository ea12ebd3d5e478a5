// A stand-in for SGLang and vLLM: the documented subset of their HTTP protocols (lib/engines/*.ts
// name the sources) answered from the ONNX scorer, so scoring through a backend can be compared
// with scoring in-process. It is not an engine: it handles one request at a time, recomputes every
// sequence whole, and ignores temperature (both engines return log-probs of raw logits). For
// SGLang it keeps the sequences it has seen and reports meta_info.cached_tokens as a radix cache
// would (the longest prefix seen, capped at logprob_start_len). Faults can be injected per scoring
// request: a status, a dropped connection, a body cut short, malformed JSON, a delay.
// GET /standin/stats gives its counts and timings (bench/engines.mjs runs it in a process of its own).
import http from 'node:http';
import { performance } from 'node:perf_hooks';

import { byteTokenizer, OnnxScorer } from '../../dist/index.js';

class BadRequest extends Error {}

/**
 * Starts the stand-in on 127.0.0.1. `faults({ index, path, body })` is asked before each scoring
 * request (/generate, /v1/completions; index counts them from 0; body: the request's text) and may
 * return { status, message, retryAfter }, { drop: true }, { truncate: true }, { malformed: true }
 * or { delayMs }.
 * `vocabSize` puts a vocab_size into the model cards (no engine states one today).
 */
export async function startStandin({ scorer, tokenizer = byteTokenizer(), faults = () => undefined, model = 'tiny-clarify', maxModelLen = 2048, tokenize = true, vocabSize, record = false } = {}) {
  const own = !scorer;
  scorer ??= await OnnxScorer.create();
  const stats = { requests: 0, scoring: 0, computeMs: 0, handleMs: 0, prefillTokens: 0, cachedTokens: 0, bodies: [] };
  const seen = [];
  let queue = Promise.resolve();

  /** Log-probs of ids[j] for j in [from, n) and, with k, each position's top k and the token's rank. */
  async function positions(ids, from, k) {
    const t = performance.now();
    const n = ids.length, rows = n - from;
    if (rows <= 0) return [];
    const logits = await scorer.positionLogits([Int32Array.from(ids)], [Int32Array.of(from, n)]);
    stats.computeMs += performance.now() - t;
    const V = logits.vocab, out = [];
    for (let r = 0; r < rows; r++) {
      const row = logits.data.subarray(r * V, (r + 1) * V);
      let max = -Infinity;
      for (const x of row) max = Math.max(max, x);
      let sum = 0;
      for (const x of row) sum += Math.exp(x - max);
      const lse = max + Math.log(sum), token = ids[from + r];
      let rank = 1;
      for (const x of row) if (x > row[token]) rank++;
      const top = k ? Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, k).map((id) => [id, row[id] - lse]) : [];
      out.push({ logprob: row[token] - lse, rank, top });
    }
    return out;
  }

  const common = (a, b) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
  };

  function tokenIds(value, name) {
    if (!Array.isArray(value) || !value.every((id) => Number.isInteger(id))) throw new BadRequest(`${name} must be a list of token ids`);
    const bad = value.findIndex((id) => id < 0 || id >= scorer.vocab);
    if (bad >= 0) throw new BadRequest(`Token id ${value[bad]} is out of vocabulary`);
    return value;
  }

  // SGLang: sglang/srt/managers/io_struct.py GenerateReqInput; scheduler_output_processor (the leading None)
  async function generate(body) {
    const batch = Array.isArray(body.input_ids?.[0]);
    const inputs = batch ? body.input_ids : [body.input_ids];
    const pick = (v, i) => (Array.isArray(v) ? v[i] : v);
    const sampling = body.sampling_params ?? {};
    if (sampling.max_new_tokens !== 0) throw new BadRequest('the stand-in answers prefill-only requests (max_new_tokens 0)');
    const results = [];
    for (const [i, raw] of inputs.entries()) {
      const ids = tokenIds(raw, 'input_ids');
      const logprob = pick(body.return_logprob, i) === true, start = pick(body.logprob_start_len, i) ?? -1;
      if (logprob && !(Number.isInteger(start) && start >= 0 && start < ids.length)) throw new BadRequest(`logprob_start_len ${start} is outside the input of ${ids.length} tokens`);
      const cap = logprob ? Math.min(ids.length - 1, start) : ids.length - 1;
      const cached = Math.min(cap, seen.reduce((m, s) => Math.max(m, common(s, ids)), 0));
      stats.prefillTokens += ids.length - cached;
      stats.cachedTokens += cached;
      const meta = { id: `standin-${stats.requests}-${i}`, prompt_tokens: ids.length, completion_tokens: 0, cached_tokens: cached, finish_reason: { type: 'length', length: 0 } };
      if (logprob) {
        const rows = await positions(ids, start + 1, 0);
        meta.input_token_logprobs = [[null, ids[start], null], ...rows.map((r, j) => [r.logprob, ids[start + 1 + j], null])];
        meta.output_token_logprobs = [];
      }
      seen.push(ids);
      results.push({ text: '', output_ids: [], meta_info: meta });
    }
    return batch ? results : results[0];
  }

  // vLLM: vllm/entrypoints/openai protocol (CompletionRequest, CompletionResponse), sampling_params.py
  async function completions(body) {
    if (body.model !== model) return { status: 404, body: { error: { message: `The model \`${body.model}\` does not exist.`, type: 'NotFoundError', param: null, code: 404 } } };
    if (!(Number.isInteger(body.max_tokens) && body.max_tokens >= 1)) throw new BadRequest(`max_tokens must be at least 1, got ${body.max_tokens}.`);
    const prompts = Array.isArray(body.prompt?.[0]) ? body.prompt : [body.prompt];
    const k = body.prompt_logprobs;
    const choices = [];
    let total = 0;
    for (const [index, raw] of prompts.entries()) {
      const ids = tokenIds(raw, 'prompt');
      if (ids.length + body.max_tokens > maxModelLen) throw new BadRequest(`This model's maximum context length is ${maxModelLen} tokens. However, you requested ${ids.length + body.max_tokens} tokens.`);
      total += ids.length;
      stats.prefillTokens += ids.length;
      let prompt_logprobs = null;
      if (k !== undefined && k !== null) {
        const rows = await positions(ids, 1, k);
        const entry = (r, token) => {
          const e = { [token]: { logprob: r.logprob, rank: r.rank, decoded_token: tokenizer.decode([token]) } };
          r.top.forEach(([id, lp], j) => (e[id] ??= { logprob: lp, rank: j + 1, decoded_token: tokenizer.decode([id]) }));
          return e;
        };
        prompt_logprobs = [null, ...rows.map((r, j) => entry(r, ids[1 + j]))];
      }
      choices.push({ index, text: ' ', logprobs: null, finish_reason: 'length', stop_reason: null, prompt_logprobs });
    }
    return { status: 200, body: { id: `cmpl-standin-${stats.requests}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model, choices, usage: { prompt_tokens: total, total_tokens: total + choices.length, completion_tokens: choices.length, prompt_tokens_details: null } } };
  }

  async function route(method, path, body) {
    if (method === 'GET' && path === '/get_model_info')
      return { status: 200, body: { model_path: model, tokenizer_path: model, is_generation: true, preferred_sampling_params: null, weight_version: 'default', ...(vocabSize ? { vocab_size: vocabSize } : {}) } };
    if (method === 'GET' && path === '/v1/models')
      return { status: 200, body: { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'vllm', root: model, parent: null, max_model_len: maxModelLen, permission: [], ...(vocabSize ? { vocab_size: vocabSize } : {}) }] } };
    if (method === 'POST' && path === '/tokenize' && tokenize) {
      if (typeof body.prompt !== 'string') throw new BadRequest('prompt must be a string');
      const tokens = Array.from(tokenizer.encode(body.prompt));
      return { status: 200, body: { tokens, count: tokens.length, max_model_len: maxModelLen } };
    }
    if (method === 'POST' && path === '/generate') return { status: 200, body: await generate(body) };
    if (method === 'POST' && path === '/v1/completions') return completions(body);
    if (method === 'GET' && path === '/standin/stats') {
      const { bodies, ...rest } = stats;
      return { status: 200, body: rest };
    }
    return { status: 404, body: { detail: 'Not Found' } };
  }

  async function handle(req, res, text) {
    const t = performance.now();
    const path = new URL(req.url, 'http://x').pathname;
    stats.requests++;
    const scoring = path === '/generate' || path === '/v1/completions';
    // a request its client gave up on (aborted, timed out) while it waited in the queue is dropped
    if (req.socket.destroyed) return;
    const fault = scoring ? faults({ index: stats.scoring++, path, body: text }) : undefined;
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.drop) return req.socket.destroy();
    if (fault?.status) {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}) });
      return res.end(JSON.stringify({ error: { message: fault.message ?? `injected ${fault.status}` } }));
    }
    let answer;
    try {
      const body = text ? JSON.parse(text) : {};
      if (record && scoring) stats.bodies.push({ path, body });
      answer = await route(req.method, path, body);
    } catch (e) {
      if (!(e instanceof BadRequest) && !(e instanceof SyntaxError)) throw e;
      answer = { status: 400, body: { error: { message: e.message, type: 'BadRequestError', code: 400 } } };
    }
    let out = JSON.stringify(answer.body);
    stats.handleMs += performance.now() - t;
    if (fault?.malformed) out = out.slice(0, out.length >> 1);
    if (fault?.truncate) {
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.write(out.slice(0, out.length >> 1));
      return setTimeout(() => req.socket.destroy(), 5);
    }
    res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      // one request at a time, as one engine step would; an error is a 500 with its message
      queue = queue.then(() => handle(req, res, Buffer.concat(chunks).toString('utf8'))).catch((e) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(e?.stack ?? e) } }));
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    stats,
    scorer,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (own) await scorer.dispose();
    },
  };
}
