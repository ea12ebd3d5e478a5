// What each reward-pool worker runs (piscina loads this file): the Sync twin of a registered
// kernel, or an export of a user reward module, loaded once per worker. The reply goes back with
// every output buffer transferred. It never throws: a failure travels as a plain error object
// (remoteError.ts) and is rebuilt in the caller's thread.
import { performance } from 'node:perf_hooks';

import { move, transferableSymbol, valueSymbol } from 'piscina';

import { codes } from '../errors';
import { poolKernels, type PoolKernel, syncKernel } from './kernels';
import { type PlainError, safely, toPlainError } from './remoteError';
import { resultBuffers } from './transfer';

export type Task = { kernel: string; args: unknown[] } | { module: string; fn: string; args: unknown[] };
/** `ms`: how long the worker spent on the task (for the pool's utilization). */
export type Reply = ({ ok: true; value: unknown } | { ok: false; error: PlainError }) & { ms: number };

const served = new Set<string>(poolKernels);

function callKernel(name: string, args: unknown[]): unknown {
  if (!served.has(name)) throw new TypeError(`'${name}' is not a kernel of the reward pool`);
  return syncKernel(name as PoolKernel)(...args);
}

// TypeScript would turn import() into require(); user modules may be ES modules.
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;
const loaded = new Map<string, Promise<Record<string, unknown>>>();

function load(url: string): Promise<Record<string, unknown>> {
  let p = loaded.get(url);
  if (!p) {
    loaded.set(url, (p = importModule(url)));
    p.catch(() => loaded.delete(url));  // a failed load is tried again on the next call
  }
  return p;
}

/** The typed error of a user module: names the module and the function; the original is its cause. */
function userModuleError(url: string, fn: string, what: string, cause?: unknown): Error {
  const e = new Error(`reward module ${url}: ${fn} ${what}`, cause === undefined ? undefined : { cause });
  return Object.assign(e, { code: codes.userModule, module: url, fn });
}

/** 'Name: message' of anything thrown, whatever its getters do. */
function describeThrown(e: unknown): string {
  const { name, message } = toPlainError(e);
  return name === 'Error' && message.startsWith('a non-Error value') ? safely(() => String(e), 'a value') : `${name}: ${message}`;
}

/** A copy of a user's result that postMessage accepts, its buffers moved into it where they can be. */
function cloneForReply(value: unknown): unknown {
  try {
    return structuredClone(value, { transfer: resultBuffers(value) });
  } catch {
    return structuredClone(value);  // e.g. a Buffer over Node's pool, which cannot be transferred
  }
}

async function callModule(url: string, fn: string, args: unknown[]): Promise<unknown> {
  let ns: Record<string, unknown>;
  try {
    ns = await load(url);
  } catch (e) {
    throw userModuleError(url, fn, `could not be loaded: ${describeThrown(e)}`, e);
  }
  const f = ns[fn] ?? (ns.default as Record<string, unknown> | undefined)?.[fn];
  if (typeof f !== 'function') throw userModuleError(url, fn, 'is not an exported function of the module');
  let value: unknown;
  try {
    value = await f(...args);
  } catch (e) {
    throw userModuleError(url, fn, `threw ${describeThrown(e)}`, e);
  }
  // a result postMessage cannot clone would kill the worker: find out here, with a clear error
  try {
    return cloneForReply(value);
  } catch (e) {
    throw userModuleError(url, fn, `returned a value that cannot be sent to another thread: ${describeThrown(e)}`, e);
  }
}

export default async function handleTask(task: Task): Promise<unknown> {
  const start = performance.now();
  let reply: Reply;
  try {
    const value = 'kernel' in task ? callKernel(task.kernel, task.args) : await callModule(task.module, task.fn, task.args);
    reply = { ok: true, value, ms: performance.now() - start };
  } catch (e) {
    reply = { ok: false, error: toPlainError(e), ms: performance.now() - start };
  }
  const buffers = reply.ok ? resultBuffers(reply.value) : [];
  return move({ [transferableSymbol]: buffers, [valueSymbol]: reply } as unknown as Parameters<typeof move>[0]);
}
