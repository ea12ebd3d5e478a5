// What SGLang and vLLM sources share: options, the tokenizer check, the accounting, and the scoring
// loop (every tree planned and checked before the first request; trees packed into batches up to
// maxRequestTokens, the batches sent concurrently under the client's limit; the first failure
// aborts the rest of the call, so a result is whole or the call rejects). The protocols themselves
// are in sglang.ts and vllm.ts.
import { performance } from 'node:perf_hooks';

import { abortSignal, codes, describe, plainError, rangeError, throwIfAborted, typeError } from '../errors';
import { emptyStats, type LogprobSource, type SourceStats, type TreeRequest, type TreeResult } from '../model/source';
import { byteTokenizer, loadTokenizer, type TextTokenizer } from '../tokenizer';
import { boolean, integer, options as optionsOf, positiveNumber, softmaxTemperature } from '../validate';
import { JsonClient, serverError, type HttpOptions } from './http';
import { type EnginePlan, type EngineSequence, gatherLogprobs, packPlans, planForEngine } from './plan';

/** What an engine returned for one plan's sequences. */
export interface PlanValues {
  trunk: Float32Array | undefined;
  branches: Float32Array[];
}

export interface EngineSourceOptions {
  /** The server's base URL, e.g. http://127.0.0.1:30000. */
  server: string;
  /** tokenizer.json of the served model, or a TextTokenizer. Default: UTF-8 bytes (the bundled model's). */
  tokenizer?: string | TextTokenizer;
  /** The longest sequence the model reads. Default: what the server states (max_model_len), if it does. */
  maxLength?: number;
  /** Most requests in flight at once. Default 8. */
  concurrency?: number;
  /** Milliseconds one attempt of a request may take. Default 300000 (5 minutes). */
  timeoutMs?: number;
  /** Attempts after the first on transient failures (429, 5xx, dropped connections, timeouts). Default 5. */
  retries?: number;
  /** The first backoff in milliseconds, doubled on each retry. Default 250. */
  retryDelayMs?: number;
  /** Compare the tokenizer with the server's /tokenize on a probe text when it has one. Default true. */
  checkTokenizer?: boolean;
  /**
   * Most token ids in one request: the trees of a `score` call are packed into batches up to this
   * (a larger tree alone). Fewer requests cost less; a smaller batch retries less. Default 32768.
   */
  maxRequestTokens?: number;
}

export const engineOptionKeys = ['server', 'tokenizer', 'maxLength', 'concurrency', 'timeoutMs', 'retries', 'retryDelayMs', 'checkTokenizer', 'maxRequestTokens'] as const;

/** What talking to the server cost, over the source's life. */
export interface EngineStats {
  /** HTTP requests (each once, however many attempts). */
  requests: number;
  /** Attempts made again after a transient failure. */
  retries: number;
  /** Sequences the server prefilled. */
  sequences: number;
  /** Token ids sent. */
  tokensSent: number;
  /** Prefill tokens estimated to miss the server's prefix cache (see the README, "Serving engines"). */
  cacheMissEstimate: number;
  /** Prompt tokens and, of them, tokens served from the cache, as the server reported them (null: it did not). */
  promptTokensReported: number | null;
  cachedTokensReported: number | null;
  bytesSent: number;
  bytesReceived: number;
  /** Wall-clock ms with at least one request in flight. */
  busyMs: number;
  /** Ms in infogain's own work on requests and answers (JSON, checks, gathering). */
  clientMs: number;
}

export interface TokenizerCheck {
  checked: boolean;
  /** How it was checked, or why it was not. */
  detail: string;
}

/** Text whose tokens are compared with the server's: ASCII, digits, whitespace, accents, CJK, an emoji, JSON. */
export const tokenizerProbe = 'infogain tokenizer check: The quick brown fox jumps over 13 lazy dogs.\n\tNaïve café, Ärger — 東京 🙂 {"a": [1, 2.5], "b": null}';

interface Resolved {
  client: JsonClient;
  tokenizer: TextTokenizer;
  maxLength: number | undefined;
  checkTokenizer: boolean;
  maxRequestTokens: number;
}

/** The options every engine source takes, checked; the client and tokenizer made. */
export function resolveEngineOptions(o: Partial<EngineSourceOptions>): Resolved {
  if (typeof o.server !== 'string' || o.server === '') throw typeError('server', 'server must be the URL of the serving engine, e.g. http://127.0.0.1:30000');
  let base: URL;
  try {
    base = new URL(o.server);
  } catch {
    throw rangeError(codes.outOfRange, 'server', `server ${JSON.stringify(o.server)} is not a URL (e.g. http://127.0.0.1:30000)`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw rangeError(codes.outOfRange, 'server', `server ${o.server} must be an http:// or https:// URL`);
  const http: HttpOptions = {
    concurrency: o.concurrency === undefined ? 8 : integer(o.concurrency, 'concurrency', 1, 1024),
    timeoutMs: o.timeoutMs === undefined ? 300_000 : positiveNumber(o.timeoutMs, 'timeoutMs'),
    retries: o.retries === undefined ? 5 : integer(o.retries, 'retries', 0, 100),
    retryDelayMs: o.retryDelayMs === undefined ? 250 : integer(o.retryDelayMs, 'retryDelayMs', 0, 60_000),
  };
  const maxLength = o.maxLength === undefined ? undefined : integer(o.maxLength, 'maxLength', 1);
  const checkTokenizer = o.checkTokenizer === undefined ? true : boolean(o.checkTokenizer, 'checkTokenizer');
  const maxRequestTokens = o.maxRequestTokens === undefined ? 32768 : integer(o.maxRequestTokens, 'maxRequestTokens', 1);
  const tokenizer = o.tokenizer === undefined ? byteTokenizer() : typeof o.tokenizer === 'string' ? loadTokenizer(o.tokenizer) : o.tokenizer;
  if (typeof tokenizer?.encode !== 'function' || !Number.isInteger(tokenizer.vocabSize))
    throw typeError('tokenizer', 'tokenizer must be a tokenizer.json path or a TextTokenizer');
  return { client: new JsonClient(base, http), tokenizer, maxLength, checkTokenizer, maxRequestTokens };
}

export abstract class EngineSource implements LogprobSource {
  readonly fullDistributions = false;
  abstract readonly engine: 'sglang' | 'vllm';
  readonly stats: SourceStats = emptyStats();
  protected readonly engineCounts = { sequences: 0, tokensSent: 0, cacheMissEstimate: 0, promptTokensReported: null as number | null, cachedTokensReported: null as number | null, clientMs: 0 };
  /** Whether the server's tokenizer was compared with ours, and how. */
  tokenizerCheck: TokenizerCheck = { checked: false, detail: 'not yet checked' };
  /** What the server says it serves (its model path or name), when it says. */
  served: string | undefined;
  /** Requests made while connecting (model card, tokenizer check): not scoring's. */
  private setupRequests = 0;

  protected readonly client: JsonClient;
  readonly tokenizer: TextTokenizer;
  maxLength: number | undefined;
  private readonly maxRequestTokens: number;
  private readonly tokenizerCheckOn: boolean;

  protected constructor(r: Resolved) {
    if (!(r?.client instanceof JsonClient)) throw typeError('options', 'an engine source is made by SglangSource.create(options) or VllmSource.create(options)');
    this.client = r.client;
    this.tokenizer = r.tokenizer;
    this.maxLength = r.maxLength;
    this.maxRequestTokens = r.maxRequestTokens;
    this.tokenizerCheckOn = r.checkTokenizer;
  }

  /** Runs the steps of connecting (model card, tokenizer check); on failure the connections close. */
  protected async connect(steps: () => Promise<void>): Promise<this> {
    try {
      await steps();
    } catch (e) {
      await this.dispose();
      throw e;
    }
    this.setupRequests = this.client.stats.requests;
    return this;
  }

  /** The server's base URL. */
  get server(): string {
    return this.client.base.href;
  }

  get vocab(): number {
    return this.tokenizer.vocabSize;
  }

  get engineStats(): EngineStats {
    const h = this.client.stats;
    return { requests: h.requests - this.setupRequests, retries: h.retries, bytesSent: h.bytesSent, bytesReceived: h.bytesReceived, busyMs: h.busyMs, ...this.engineCounts, clientMs: this.engineCounts.clientMs + h.jsonMs };
  }

  /** Log-probs of prefix-tree requests (lib/model/source.ts); the engines return those of raw logits only, so temperature must be 1. */
  async score(requests: TreeRequest[], options?: { temperature?: number; signal?: AbortSignal }): Promise<TreeResult[]> {
    const started = performance.now();
    if (!Array.isArray(requests)) throw typeError('requests', 'requests must be an array');
    const o = optionsOf<{ temperature?: number; signal?: AbortSignal }>(options, 'options', ['temperature', 'signal']);
    checkEngineTemperature(o.temperature === undefined ? 1 : softmaxTemperature(o.temperature, 'temperature'), this.engine);
    const signal = abortSignal(o.signal);
    throwIfAborted(signal);
    const plans = requests.map((r, i) => planForEngine(r, i, { vocab: this.vocab, maxLength: this.maxLength, warmTrunk: this.warmsTrunk }));
    // one failed group aborts the rest; so does the caller's signal (the requests in flight are dropped)
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let client = performance.now() - started;
    try {
      const groups = packPlans(plans, this.maxRequestTokens);
      const values = await Promise.all(groups.map((g) => this.scoreGroup(g, abort.signal).catch((e) => (abort.abort(), Promise.reject(e)))));
      const t = performance.now();
      const results = values.flatMap((v, g) =>
        v.map((plan, k): TreeResult => {
          const logprobs = gatherLogprobs(groups[g][k], plan.trunk, plan.branches);
          this.stats.rowsScored += logprobs.length;
          return { logprobs, divergences: new Float32Array(0) };
        }),
      );
      client += performance.now() - t;
      return results;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.engineCounts.clientMs += client;
      this.stats.modelMs += performance.now() - started;
    }
  }

  /** Whether the trunk is sent (first) even when only branches are read: worth it with a prefix cache. */
  protected abstract readonly warmsTrunk: boolean;

  /** The log-probs of each plan's sequences: `trunk` for positions [trunk.first, n), likewise each branch. */
  protected abstract scoreGroup(plans: EnginePlan[], signal: AbortSignal): Promise<PlanValues[]>;

  /** Counts a batch of sequences about to be sent; `miss` is its estimate of tokens the prefix cache will not hold. */
  protected count(sequences: EngineSequence[], miss: number): void {
    this.engineCounts.sequences += sequences.length;
    this.stats.forwardPasses += sequences.length;
    for (const s of sequences) this.engineCounts.tokensSent += s.ids.length;
    this.stats.tokensFed = this.engineCounts.tokensSent;
    this.engineCounts.cacheMissEstimate += miss;
  }

  /** Adds what the server reported of prompt and cached tokens (either may be absent). */
  protected reported(prompt: unknown, cached: unknown): void {
    if (typeof prompt === 'number') this.engineCounts.promptTokensReported = (this.engineCounts.promptTokensReported ?? 0) + prompt;
    if (typeof cached === 'number') this.engineCounts.cachedTokensReported = (this.engineCounts.cachedTokensReported ?? 0) + cached;
  }

  /** Times `f` as infogain's own work. */
  protected timed<T>(f: () => T): T {
    const t = performance.now();
    try {
      return f();
    } finally {
      this.engineCounts.clientMs += performance.now() - t;
    }
  }

  /**
   * Compares the tokenizer with the server's (POST /tokenize on `tokenizerProbe`, special tokens
   * off) and the vocabulary with a `vocab_size` the model card may state. A mismatch is
   * ERR_INFOGAIN_VOCAB_MISMATCH; a server without /tokenize leaves the check undone, and says so.
   * Returns the max_model_len /tokenize states, if it does. Off (checkTokenizer: false): unchecked.
   */
  protected async checkTokenizer(card: Record<string, unknown> | undefined, extra: Record<string, unknown>): Promise<number | undefined> {
    if (!this.tokenizerCheckOn) {
      this.tokenizerCheck = { checked: false, detail: 'unchecked (checkTokenizer: false)' };
      return undefined;
    }
    const stated = card?.vocab_size;
    if (typeof stated === 'number' && this.vocab > stated)
      throw plainError(codes.vocabMismatch, `the tokenizer (${this.tokenizer.kind}) has ${this.vocab} ids but ${this.server} serves a model of ${stated}: they do not belong together`);
    const url = this.client.url('/tokenize');
    const answer = (await this.client.optional('POST', '/tokenize', { ...extra, prompt: tokenizerProbe, add_special_tokens: false })) as { tokens?: unknown; max_model_len?: unknown } | undefined;
    if (answer === undefined) {
      this.tokenizerCheck = { checked: false, detail: `unchecked: ${this.server} has no /tokenize endpoint; make sure --tokenizer is the served model's` };
      return undefined;
    }
    if (!Array.isArray(answer?.tokens) || !answer.tokens.every((t) => Number.isInteger(t))) throw serverError(`${url} answered without a "tokens" array of integers`, { url });
    const ours = this.tokenizer.encode(tokenizerProbe), theirs = answer.tokens as number[];
    const at = ours.findIndex((id, i) => id !== theirs[i]);
    if (at >= 0 || ours.length !== theirs.length) {
      const i = at >= 0 ? at : Math.min(ours.length, theirs.length);
      throw plainError(codes.vocabMismatch,
        `the tokenizer (${this.tokenizer.kind}) does not match the one ${this.server} serves: on a probe text, token ${i} is ${ours[i] ?? 'missing'} here and ${theirs[i] ?? 'missing'} there (${ours.length} vs ${theirs.length} tokens); pass the served model's tokenizer.json as --tokenizer`);
    }
    this.tokenizerCheck = { checked: true, detail: `checked: the server's /tokenize agrees on a ${ours.length}-token probe text` };
    return Number.isInteger(answer.max_model_len) && (answer.max_model_len as number) > 0 ? (answer.max_model_len as number) : undefined;
  }

  async dispose(): Promise<void> {
    this.client.close();
  }
}

/** Why these scoring options cannot go to a serving engine, or undefined. */
export function engineScoringProblem(o: { mode: string; temperature: number }, engine: string): string | undefined {
  if (o === null || typeof o !== 'object') throw typeError('options', `options must be the score options ({ mode, temperature, ... }), got ${describe(o)}`);
  if (typeof engine !== 'string') throw typeError('engine', `engine must be a string, got ${describe(engine)}`);
  if (o.mode === 'full')
    return `mode 'full' (full-vocabulary KL) needs whole next-token distributions, which ${engine} does not return for given tokens; use mode 'sampled' (InfoPO's own) or the onnx backend`;
  if (o.temperature !== 1)
    return `temperature ${o.temperature}: ${engine} returns teacher-forced log-probs of raw logits (temperature 1), and one token's log-prob cannot be rescaled without the whole distribution; use temperature 1 or the onnx backend`;
  return undefined;
}

function checkEngineTemperature(temperature: number, engine: string): void {
  const problem = engineScoringProblem({ mode: 'sampled', temperature }, engine);
  if (problem) throw rangeError(codes.outOfRange, 'temperature', problem);
}
