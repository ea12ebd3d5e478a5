// JSON over HTTP to a serving engine: at most `concurrency` requests in flight, a time limit per
// attempt, retries with exponential backoff (or the server's Retry-After) on what is transient
// (429, 5xx other than 501 / 505, a refused, reset or dropped connection, a timeout, a body cut
// short), and ERR_INFOGAIN_SERVER errors that name the URL, the status and the attempts made.
// node:http with a keep-alive agent: no dependency, and connection errors keep their codes.
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';

import { codes, type InfogainErrorFields } from '../errors';

export interface HttpOptions {
  /** Most requests in flight at once (also the most open connections). */
  concurrency: number;
  /** Milliseconds one attempt may take, from sending to the last byte of the answer. */
  timeoutMs: number;
  /** Attempts after the first, for transient failures only. */
  retries: number;
  /** The first backoff; each retry doubles it (at most 16x), with jitter. */
  retryDelayMs: number;
}

export interface HttpStats {
  /** Requests asked for (each counted once, however many attempts it took). */
  requests: number;
  /** Attempts that failed transiently and were made again. */
  retries: number;
  bytesSent: number;
  bytesReceived: number;
  /** Wall-clock milliseconds with at least one request in flight. */
  busyMs: number;
  /** Milliseconds writing and parsing JSON. */
  jsonMs: number;
}

export type ServerError = Error & InfogainErrorFields & { url: string; status?: number; attempts: number };

export function serverError(message: string, fields: { url: string; status?: number; attempts?: number }, cause?: unknown): ServerError {
  const e = new Error(message, cause === undefined ? undefined : { cause }) as ServerError;
  e.code = codes.server;
  e.url = fields.url;
  if (fields.status !== undefined) e.status = fields.status;
  e.attempts = fields.attempts ?? 1;
  return e;
}

/** One failed attempt: what happened, whether trying again may help, and when. */
class AttemptError extends Error {
  constructor(message: string, readonly transient: boolean, readonly status?: number, readonly retryAfterMs?: number) {
    super(message);
  }
}

interface Answer {
  status: number;
  text: string;
  retryAfterMs?: number;
}

const transientCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** 429 (too many requests) and server-side failures, but not 501 / 505 (they will not change). */
function transientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** The server's own words for an error: SGLang / vLLM `{error: {message}}`, older vLLM `{message}`, FastAPI `{detail}`, else the text. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text);
    const m = body?.error?.message ?? body?.message ?? body?.detail;
    if (m !== undefined) return typeof m === 'string' ? m : JSON.stringify(m);
  } catch {
    // not JSON: the text itself
  }
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length > 300 ? line.slice(0, 300) + '…' : line || '(no body)';
}

function retryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function abortError(): Error {
  return Object.assign(new Error('the request was aborted'), { name: 'AbortError', code: codes.aborted });
}

export class JsonClient {
  readonly stats: HttpStats = { requests: 0, retries: 0, bytesSent: 0, bytesReceived: 0, busyMs: 0, jsonMs: 0 };
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private active = 0;
  private busySince = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly base: URL, readonly options: HttpOptions) {
    this.transport = base.protocol === 'https:' ? https : http;
    const Agent = base.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  }

  url(path: string): string {
    return new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base : new URL(this.base.href + '/')).href;
  }

  /** POST `body` as JSON; the parsed answer of a 2xx. */
  post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const t = performance.now();
    const payload = JSON.stringify(body);
    this.stats.jsonMs += performance.now() - t;
    return this.call('POST', path, payload, signal);
  }

  get(path: string, signal?: AbortSignal): Promise<unknown> {
    return this.call('GET', path, undefined, signal);
  }

  /**
   * Like post / get, but an endpoint the server does not have (404, 405) is `undefined`, not an
   * error: for the optional endpoints a server may or may not offer.
   */
  async optional(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    try {
      return await this.call(method, path, body === undefined ? undefined : JSON.stringify(body));
    } catch (e) {
      const status = (e as ServerError).status;
      if (status === 404 || status === 405) return undefined;
      throw e;
    }
  }

  /** Stops keeping connections open. */
  close(): void {
    this.agent.destroy();
  }

  private async call(method: string, path: string, payload: string | undefined, signal?: AbortSignal): Promise<unknown> {
    const url = this.url(path);
    this.stats.requests++;
    await this.acquire();
    try {
      for (let attempt = 0; ; attempt++) {
        if (signal?.aborted) throw abortError();
        let failure: AttemptError;
        try {
          const answer = await this.attempt(method, url, payload, signal);
          if (answer.status >= 200 && answer.status < 300) {
            const t = performance.now();
            try {
              return JSON.parse(answer.text);
            } catch {
              // a 2xx whose JSON does not parse was most likely cut short on the way
              failure = new AttemptError(`answered ${answer.status} with malformed JSON (${answer.text.length} bytes: ${JSON.stringify(answer.text.slice(0, 80))}…)`, true, answer.status);
            } finally {
              this.stats.jsonMs += performance.now() - t;
            }
          } else failure = new AttemptError(`HTTP ${answer.status}: ${errorMessage(answer.text)}`, transientStatus(answer.status), answer.status, answer.retryAfterMs);
        } catch (e) {
          if ((e as Error).name === 'AbortError') throw e;
          failure = e instanceof AttemptError ? e : new AttemptError((e as Error).message, transientCodes.has((e as { code?: string }).code ?? ''));
        }
        const attempts = attempt + 1;
        if (!failure.transient || attempt >= this.options.retries) {
          const tried = attempts > 1 ? ` after ${attempts} attempts` : '';
          const why = failure.transient ? '' : ' (not retried: the same request would fail again)';
          throw serverError(`${method} ${url} failed${tried}: ${failure.message}${why}`, { url, status: failure.status, attempts }, failure);
        }
        this.stats.retries++;
        const backoff = this.options.retryDelayMs * Math.min(16, 2 ** attempt) * (0.5 + Math.random() / 2);
        await sleep(Math.min(30_000, failure.retryAfterMs ?? backoff), signal);
      }
    } finally {
      this.release();
    }
  }

  /** One exchange: the status and the whole body, or an error (timeout, connection refused / reset / dropped). */
  private attempt(method: string, url: string, payload: string | undefined, signal?: AbortSignal): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
        this.stats.bytesSent += headers['content-length'];
      }
      const req = this.transport.request(url, { method, headers, agent: this.agent });
      let settled = false;
      const settle = (error: Error | undefined, answer?: Answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) {
          req.destroy();
          reject(error);
        } else resolve(answer!);
      };
      const timer = setTimeout(() => settle(new AttemptError(`no complete answer within ${this.options.timeoutMs / 1000} s`, true)), this.options.timeoutMs);
      const onAbort = () => settle(abortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      const cutShort = () => settle(new AttemptError('the connection closed before the whole answer arrived', true));
      req.on('error', (e) => settle(e));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', cutShort);
        res.on('close', () => res.complete || cutShort());
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          this.stats.bytesReceived += body.length;
          settle(undefined, { status: res.statusCode ?? 0, text: body.toString('utf8'), retryAfterMs: retryAfter(res.headers['retry-after']) });
        });
      });
      req.end(payload);
    });
  }

  /** A slot among `concurrency`: free, or handed over by the request that ends. */
  private async acquire(): Promise<void> {
    if (this.active < this.options.concurrency) {
      if (this.active++ === 0) this.busySince = performance.now();
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) return next();
    if (--this.active === 0) this.stats.busyMs += performance.now() - this.busySince;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
