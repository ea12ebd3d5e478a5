// Typed errors: TypeError for a wrong kind of value, RangeError for a wrong value, each with a
// stable `code`, the `argument` at fault and, where one applies, the first bad `index`.
// Native code raises the same classes with the same codes (native/core/status.h).
import { types } from 'node:util';

export const codes = {
  invalidType: 'ERR_INVALID_ARG_TYPE',
  outOfRange: 'ERR_OUT_OF_RANGE',
  shape: 'ERR_INFOGAIN_SHAPE',
  nonFinite: 'ERR_INFOGAIN_NONFINITE',
  cuda: 'ERR_INFOGAIN_CUDA',
  cudaUnavailable: 'ERR_INFOGAIN_CUDA_UNAVAILABLE',
  outOfMemory: 'ERR_INFOGAIN_OUT_OF_MEMORY',
  disposed: 'ERR_INFOGAIN_DISPOSED',  // a ShapleyEstimator used after dispose()
  /** A C++ exception other than a failed allocation left a kernel: a bug, reported with its message. */
  internal: 'ERR_INFOGAIN_INTERNAL',
  load: 'ERR_INFOGAIN_LOAD',
  /** An options (or input) object holds a key the function does not know: a typo is never a silent default. */
  unknownOption: 'ERR_INFOGAIN_UNKNOWN_OPTION',
  // the reward pool (lib/pool/)
  queueFull: 'ERR_INFOGAIN_QUEUE_FULL',
  poolClosed: 'ERR_INFOGAIN_POOL_CLOSED',
  worker: 'ERR_INFOGAIN_WORKER',
  userModule: 'ERR_INFOGAIN_USER_MODULE',
  aborted: 'ABORT_ERR',
  // a serving engine (lib/engines): a request that failed for good, or an answer outside the protocol
  server: 'ERR_INFOGAIN_SERVER',
  // the scorer and its inputs (lib/scorer.ts, lib/model/, lib/tokenizer.ts, lib/rollouts.ts)
  model: 'ERR_INFOGAIN_MODEL',
  tokenizer: 'ERR_INFOGAIN_TOKENIZER',
  vocabMismatch: 'ERR_INFOGAIN_VOCAB_MISMATCH',
  rollout: 'ERR_INFOGAIN_ROLLOUT',
  onnxruntime: 'ERR_INFOGAIN_ONNXRUNTIME',
} as const;

export type ErrorCode = (typeof codes)[keyof typeof codes];

export interface InfogainErrorFields {
  code: string;
  argument?: string;
  index?: number;
  /** ERR_INFOGAIN_UNKNOWN_OPTION: the nearest valid key, when one is near enough. */
  suggestion?: string;
  /** ERR_INFOGAIN_USER_MODULE: the module's file URL and the function called. */
  module?: string;
  fn?: string;
  /** ERR_INFOGAIN_SERVER: the request's URL, the last HTTP status, the tries made. */
  url?: string;
  status?: number;
  attempts?: number;
}

function decorate<E extends Error>(error: E, code: string, argument?: string, index?: number): E & InfogainErrorFields {
  const e = error as E & InfogainErrorFields;
  e.code = code;
  if (argument !== undefined) e.argument = argument;
  if (index !== undefined && index >= 0) e.index = index;
  return e;
}

export function typeError(argument: string, message: string, code: string = codes.invalidType): TypeError & InfogainErrorFields {
  return decorate(new TypeError(message), code, argument);
}

export function rangeError(
  code: string,
  argument: string,
  message: string,
  index?: number,
): RangeError & InfogainErrorFields {
  return decorate(new RangeError(message), code, argument, index);
}

/** `value` as an optional AbortSignal (ERR_INVALID_ARG_TYPE when it is something else). */
export function abortSignal(value: unknown, name = 'signal'): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw typeError(name, `${name} must be an AbortSignal, got ${describe(value)}`);
}

/**
 * Throws ABORT_ERR when `signal` is aborted: the scorer checks it between forward passes and
 * chunks, so a caller that gives up (a client of `infogain serve` that disconnected) stops the work.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason = signal.reason as { message?: unknown } | undefined;
  const why = typeof reason?.message === 'string' ? `: ${reason.message}` : '';
  throw Object.assign(new Error(`the scoring was aborted${why}`, { cause: signal.reason }), { name: 'AbortError', code: codes.aborted });
}

export function plainError(code: string, message: string): Error & InfogainErrorFields {
  return decorate(new Error(message), code);
}

/**
 * How a value looks in an error message: its type, and its value when short. Never throws and
 * runs no caller code: a Proxy or an object with throwing getters is described, not inspected.
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value !== 'object' && typeof value !== 'function') return typeof value;
  if (types.isProxy(value)) return 'a Proxy';
  const kind = typedArrayKind(value);
  if (kind) return kind;
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'function') return 'function';
  try {
    const ctor = Object.getPrototypeOf(value)?.constructor;
    return typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name ? ctor.name : 'object';
  } catch {
    return 'object';
  }
}

const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;

/**
 * 'Float32Array', 'Int32Array', ... for a genuine typed array, else undefined. Reads the internal
 * slot (the %TypedArray%.prototype[@@toStringTag] getter), so a Proxy, a changed prototype or an
 * own `constructor` property cannot pass for one.
 */
export function typedArrayKind(value: unknown): string | undefined {
  return typedArrayTag.call(value) as string | undefined;
}
