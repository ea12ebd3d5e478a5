// The fastify app of `infogain serve`: its routes, the checks every request goes through (bearer
// token, draining, readiness), the JSON error answers, metrics, and each scoring request's job
// (queued, with an AbortSignal that fires when its client leaves, its deadline passes or the
// drain gives up on it).
import type { FastifyReply, FastifyRequest } from 'fastify';

import { codes } from '../errors';
import { defaultRewards } from '../score';
import { summaryJson } from '../scoreSummary';
import { bearerCheck } from './auth';
import type { ChatFormat } from './chat';
import type { Fastify } from './deps';
import { errorReply, HttpError, retryAfterSeconds, serveCodes } from './errors';
import type { ServeMetrics } from './metrics';
import { getRewardAnswer, type GetRewardBody, type OpenrlhfReward, rolloutsOfQueries } from './openrlhf';
import type { JobQueue } from './queue';
import { getRewardBody, type RequestOptions, scoreBody } from './schemas';
import { requestOptions, requestRollouts, type Scoring, scoreRollouts } from './scoring';

export interface AppConfig {
  queue: JobQueue;
  metrics: ServeMetrics;
  /** The bearer token every route but /healthz needs, if any. */
  token?: string;
  /** Largest request body in bytes (413 beyond). */
  bodyLimit: number;
  /** Milliseconds a request may take from its arrival (503 ERR_INFOGAIN_DEADLINE beyond). */
  deadlineMs: number;
  chat: ChatFormat;
  openrlhfReward: OpenrlhfReward;
  logLevel: string;
}

/** What the app's routes share with the process around it. */
export interface AppState {
  /** The model and options, once loaded: until then /healthz and the scoring routes answer 503. */
  scoring?: Scoring;
  /** Set when SIGTERM / SIGINT started the drain: new requests get 503. */
  draining: boolean;
  /** Aborted when the drain's deadline passes: the jobs still running stop. */
  readonly shutdown: AbortController;
}

/** A JSONL body's line numbers (the rollouts' order), kept beside the parsed body. */
const jsonlLines = Symbol('lines');

/** Why a job's signal fired. */
const reasons = {
  client: 'the client disconnected',
  deadline: 'the request passed its deadline (--deadline)',
  shutdown: 'the server is shutting down and the drain deadline passed (--drain-timeout)',
} as const;

export function buildApp(fastify: Fastify, c: AppConfig) {
  const state: AppState = { draining: false, shutdown: new AbortController() };
  const app = fastify({
    logger: { level: c.logLevel },
    bodyLimit: c.bodyLimit,
    return503OnClosing: false,  // the drain answers itself, in the service's error format
    forceCloseConnections: 'idle',
    // a client that trickles its body holds a connection (and the drain) no longer than a request may take
    requestTimeout: c.deadlineMs,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  const { metrics, queue } = c;
  const authorized = c.token === undefined ? undefined : bearerCheck(c.token);

  app.removeContentTypeParser('text/plain');  // JSON or JSONL only: anything else is a 415
  // JSON.parse's own message says where a body stops being JSON (fastify's says only that it is not)
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: c.bodyLimit }, (_req, text, done) => {
    try {
      done(null, parseJson(text as string));
    } catch (e) {
      done(e as Error);
    }
  });
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: c.bodyLimit }, (_req, text, done) => {
    // the rollouts file's format: one rollout a line, blank lines skipped, every bad line named
    const rollouts: unknown[] = [], lines: number[] = [];
    const bad: { index: number; line: number; message: string }[] = [];
    (text as string).replace(/^\uFEFF/, '').split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        rollouts.push(jsonValue(line));
        lines.push(i + 1);
      } catch (e) {
        bad.push({ index: rollouts.length + bad.length, line: i + 1, message: `line ${i + 1}: not JSON (${(e as Error).message})` });
      }
    });
    if (bad.length) return done(new HttpError(400, serveCodes.json, `${bad[0].message}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}`, { line: bad[0].line, problems: bad.slice(0, 20) }));
    done(null, Object.assign({ rollouts }, { [jsonlLines]: lines }));
  });

  const fail = (request: FastifyRequest, reply: FastifyReply, e: unknown) => {
    const { status, body, retryAfter } = errorReply(e);
    if (status >= 500 && status !== 503) request.log.error({ err: e }, 'request failed');
    metrics.errors.inc({ route: routeOf(request), status, code: body.error.code });
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    return reply.code(status).send(body);
  };
  app.setErrorHandler((e, request, reply) => fail(request, reply, validationError(e) ?? e));
  app.setNotFoundHandler((request, reply) => fail(request, reply, new HttpError(404, serveCodes.notFound, `no route ${request.method} ${request.url.split('?')[0]}`)));

  app.addHook('onRequest', async (request) => {
    const health = request.url.split('?')[0] === '/healthz';  // a probe: it says 'draining' itself
    if (state.draining && !health) throw new HttpError(503, serveCodes.unavailable, 'the server is shutting down', {}, retryAfterSeconds);
    if (authorized && !health && !authorized(request.headers.authorization))
      throw new HttpError(401, serveCodes.unauthorized, 'a valid bearer token is required (Authorization: Bearer <token>)');
  });
  // while draining every answer closes its connection, so keep-alive clients reconnect elsewhere
  app.addHook('onSend', async (_request, reply, payload) => {
    if (state.draining) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({ route: routeOf(request), code: reply.statusCode });
    metrics.latency.observe({ route: routeOf(request) }, reply.elapsedTime / 1000);
  });

  const ready = (): Scoring => {
    if (!state.scoring) throw new HttpError(503, serveCodes.unavailable, 'the model is still loading', {}, retryAfterSeconds);
    return state.scoring;
  };

  /** Runs `work` as a queued job whose signal fires when the client leaves, the deadline passes or the drain gives up. */
  async function job<T>(request: FastifyRequest, reply: FastifyReply, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    const stop = (why: keyof typeof reasons) => abort.signal.aborted || abort.abort(Object.assign(new Error(reasons[why]), { why }));
    const onClose = () => reply.raw.writableFinished || stop('client');
    const onShutdown = () => stop('shutdown');
    reply.raw.once('close', onClose);
    state.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    if (state.shutdown.signal.aborted) stop('shutdown');  // arrived after the drain gave up: its event has fired
    const timer = setTimeout(() => stop('deadline'), Math.max(0, c.deadlineMs - reply.elapsedTime));
    try {
      return await queue.run(() => work(abort.signal), abort.signal);
    } catch (e) {
      const why = (abort.signal.reason as { why?: keyof typeof reasons } | undefined)?.why;
      if (!why || (e as { code?: unknown }).code !== codes.aborted) throw e;
      metrics.aborted.inc({ why });
      request.log.info({ why }, 'scoring job stopped');
      // 499: nginx's "client closed request" (nobody reads it); a deadline or a drain is the server's 503
      if (why === 'client') throw new HttpError(499, codes.aborted, reasons.client);
      throw new HttpError(503, why === 'deadline' ? serveCodes.deadline : serveCodes.unavailable, reasons[why], {}, retryAfterSeconds);
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
      state.shutdown.signal.removeEventListener('abort', onShutdown);
    }
  }

  app.get('/healthz', async (_request, reply) => {
    if (state.draining) return reply.code(503).send({ status: 'draining' });
    if (!state.scoring) return reply.code(503).send({ status: 'loading' });
    return { status: 'ok', running: queue.active, queued: queue.depth };
  });

  app.get('/metrics', async (_request, reply) => {
    metrics.running.set(queue.active);
    metrics.queued.set(queue.depth);
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.post('/v1/score', { schema: { body: scoreBody } }, async (request, reply) => {
    const scoring = ready();
    const body = request.body as { rollouts: unknown[]; options?: RequestOptions; [jsonlLines]?: number[] };
    const lines = body[jsonlLines];
    const rollouts = requestRollouts(body.rollouts, lines);
    const o = requestOptions(scoring, body.options);
    const started = performance.now();
    const records = await job(request, reply, (signal) => scoreRollouts(scoring, rollouts, o, signal, lines));
    metrics.rollouts.inc(records.length);
    const summary = summaryJson(records, o.rewards ?? defaultRewards);
    return { results: records, summary: { ...summary, tokens: records.reduce((n, r) => n + r.tokens, 0), seconds: (performance.now() - started) / 1000 } };
  });

  // JSONL is the rollouts file's format, for /v1/score; OpenRLHF sends JSON
  const jsonOnly = async (request: FastifyRequest) => {
    if (/^application\/x-ndjson\s*(;|$)/i.test(request.headers['content-type'] ?? ''))
      throw new HttpError(415, serveCodes.contentType, '/get_reward takes application/json (application/x-ndjson is for /v1/score)');
  };
  app.post('/get_reward', { schema: { body: getRewardBody }, onRequest: jsonOnly }, async (request, reply) => {
    const scoring = ready();
    const body = request.body as GetRewardBody;
    const rollouts = rolloutsOfQueries(body, c.chat, c.openrlhfReward);
    if (!rollouts.length) return { rewards: [], scores: [], extra_logs: {} };
    const records = await job(request, reply, (signal) => scoreRollouts(scoring, rollouts, scoring.options, signal, undefined, (i) => `query[${i}]`));
    metrics.rollouts.inc(records.length);
    return getRewardAnswer(records, c.openrlhfReward);
  });

  return { app, state };
}

/**
 * A body as JSON (a byte order mark dropped); ERR_INFOGAIN_JSON when it is not, or when it holds a
 * "__proto__" key (refused like fastify's default parser does: a merge elsewhere could act on it).
 */
function parseJson(text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (!body.trim()) throw new HttpError(400, serveCodes.json, 'the body is empty: send a JSON object');
  try {
    return jsonValue(body);
  } catch (e) {
    throw new HttpError(400, serveCodes.json, `the body is not JSON: ${(e as Error).message}`);
  }
}

/** A "__proto__" key, also spelled with JSON escapes ("\u005f_proto__" parses to the same key). */
const protoKey = /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"/;

/** JSON.parse, refusing a "__proto__" key (SyntaxError). */
function jsonValue(text: string): unknown {
  if (!protoKey.test(text)) return JSON.parse(text);
  return JSON.parse(text, (key, value) => {
    if (key === '__proto__') throw new SyntaxError('a "__proto__" key is not accepted');
    return value;
  });
}

const routeOf = (request: FastifyRequest) => request.routeOptions?.url ?? 'unmatched';

/** A body that failed its JSON schema, as the library's codes: an unknown key, a wrong type, a value out of range. */
function validationError(e: unknown): HttpError | undefined {
  const v = (e as { validation?: { keyword: string; instancePath: string; message?: string; params?: Record<string, unknown> }[] }).validation;
  if (!Array.isArray(v) || !v.length) return undefined;
  const { keyword, instancePath, message, params } = v[0];
  const at = `body${instancePath.replace(/\//g, '.')}`.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  if (keyword === 'additionalProperties')
    return new HttpError(400, codes.unknownOption, `${at} has an unknown key '${String(params?.additionalProperty)}'`);
  if (keyword === 'required') return new HttpError(400, codes.invalidType, `${at} needs '${String(params?.missingProperty)}'`);
  const code = keyword === 'type' ? codes.invalidType : codes.outOfRange;
  const index = /\[(\d+)\]/.exec(at);
  return new HttpError(400, code, `${at} ${message ?? 'is not valid'}${keyword === 'enum' ? ` (${(params?.allowedValues as unknown[] | undefined)?.map((x) => JSON.stringify(x)).join(', ')})` : ''}`, index ? { index: Number(index[1]) } : {});
}
