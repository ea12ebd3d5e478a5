// Every failure as JSON `{ error: { code, message, index?, line? } }` with the library's codes
// (lib/errors.ts) and the HTTP status it means. What a client sends can only ever be a 4xx (or a
// 503 when the server is busy): a 500 is a fault of the server or its model, never of the input.
import { codes } from '../errors';

/** Codes of the service's own (HTTP-level) failures; the rest are the library's. */
export const serveCodes = {
  /** The body is not JSON (or not JSONL), or not a JSON object where one is expected. */
  json: 'ERR_INFOGAIN_JSON',
  /** A body that is not application/json (or application/x-ndjson on /v1/score). */
  contentType: 'ERR_INFOGAIN_CONTENT_TYPE',
  bodyTooLarge: 'ERR_INFOGAIN_BODY_TOO_LARGE',
  unauthorized: 'ERR_INFOGAIN_UNAUTHORIZED',
  notFound: 'ERR_INFOGAIN_NOT_FOUND',
  /** The request took longer than --deadline. */
  deadline: 'ERR_INFOGAIN_DEADLINE',
  /** The server is draining (SIGTERM / SIGINT) or not loaded yet. */
  unavailable: 'ERR_INFOGAIN_UNAVAILABLE',
  /** A bad rollout in a request (its index, and its line in a JSONL body). */
  rollout: 'ERR_INFOGAIN_ROLLOUT',
} as const;

export interface ErrorBody {
  error: { code: string; message: string; index?: number; line?: number; problems?: { index: number; line?: number; message: string }[] };
}

/** An error the service answers with `status`. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly extra: Omit<ErrorBody['error'], 'code' | 'message'> = {}, readonly retryAfter?: number) {
    super(message);
  }
}

/** Library codes a request's content can cause: its values, shapes and options. */
const inputCodes = new Set<string>([codes.invalidType, codes.outOfRange, codes.shape, codes.nonFinite, codes.unknownOption, codes.outOfMemory, 'ERR_INFOGAIN_ROLLOUT']);

/** Seconds a client is told to wait before trying again after a 503. */
export const retryAfterSeconds = 1;

/**
 * The status and body of any error a route threw: an HttpError as it is; the library's typed
 * errors from the request's content 400; a full queue or a deadline 503; a serving engine that
 * failed 502; anything else 500 (a fault here, logged).
 */
export function errorReply(e: unknown): { status: number; body: ErrorBody; retryAfter?: number } {
  const err = e as Error & { code?: unknown; index?: unknown; statusCode?: unknown; validation?: unknown };
  const message = typeof err?.message === 'string' ? err.message : String(e);
  if (e instanceof HttpError) return { status: e.status, body: { error: { code: e.code, message, ...e.extra } }, retryAfter: e.retryAfter };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const index = typeof err?.index === 'number' ? { index: err.index } : {};
  if (code === codes.queueFull) return { status: 503, body: { error: { code, message } }, retryAfter: retryAfterSeconds };
  if (code === codes.server) return { status: 502, body: { error: { code, message } } };
  if (code && inputCodes.has(code)) return { status: 400, body: { error: { code, message, ...index } } };
  // fastify's own: a body too large, a bad content type, a body that is not JSON
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: { error: { code: serveCodes.bodyTooLarge, message } } };
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, body: { error: { code: serveCodes.contentType, message } } };
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)
    return { status: 400, body: { error: { code: serveCodes.json, message: `the body is not JSON: ${message}` } } };
  if (typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
    return { status: err.statusCode, body: { error: { code: code ?? serveCodes.json, message } } };
  return { status: 500, body: { error: { code: codes.internal, message: `internal error: ${message}` } } };
}
