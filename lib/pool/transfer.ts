// How arguments travel to a pool worker and results travel back (index.ts, worker.ts).
// Views over a SharedArrayBuffer go as they are: the worker reads the caller's memory in place.
// Views over an ArrayBuffer are copied when the call is made, or with { transfer: true } moved out
// of the caller's hands (detached) when the call is made. Either way the worker then receives a
// buffer of its own by transfer, so nothing is copied twice. Results come back by transfer.
import { isTensorLike } from '../logits';
import { isDetached, isOpaqueProxy, isPlainObject } from '../validate';

export interface Outgoing {
  value: unknown;
  /** The buffers to hand to postMessage: each one once. */
  transferList: ArrayBuffer[];
  /** False when something in it cannot reach a worker: a function, a symbol, a detached buffer, a Proxy (but of a plain object or array). */
  sendable: boolean;
}

type View = ArrayBufferView & { length?: number };

function isShared(buffer: ArrayBufferLike): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}



/**
 * A function making the same kind of view as `view`, of the same length, over other memory (a Node
 * Buffer comes back as a Uint8Array, as structured clone does). Read before the view is detached.
 */
function sameViewOver(view: View): (buffer: ArrayBuffer, byteOffset: number) => View {
  if (view instanceof DataView) {
    const bytes = view.byteLength;
    return (buffer, byteOffset) => new DataView(buffer, byteOffset, bytes);
  }
  const tag = (view as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
  const Ctor = (globalThis as unknown as Record<string, new (b: ArrayBuffer, o: number, n: number) => View>)[tag];
  const length = view.length as number;
  return (buffer, byteOffset) => new Ctor(buffer, byteOffset, length);
}

/** A new buffer holding ab's memory, ab detached; Node's pooled Buffer memory cannot move and is copied. */
function moveBuffer(ab: ArrayBuffer): ArrayBuffer {
  try {
    return structuredClone(ab, { transfer: [ab] });
  } catch {
    return ab.slice(0);
  }
}

/** Calls fn on every view and bare ArrayBuffer reachable through arrays, plain objects and tensors. */
function visitBuffers(value: unknown, fn: (x: View | ArrayBuffer) => void): void {
  const seen = new Set<object>();
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || seen.has(x) || isOpaqueProxy(x)) return;
    seen.add(x);
    if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer) fn(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (isPlainObject(x)) for (const key of Object.keys(x)) walk((x as Record<string, unknown>)[key]);
    else if (isTensorLike(x)) walk((x as { data: unknown }).data);
  };
  walk(value);
}

/** Rewrites call arguments for the trip to a worker; `transfer` picks moving over copying. */
export function prepareArguments(args: unknown, transfer: boolean): Outgoing {
  const transferList = new Set<ArrayBuffer>();
  const seen = new Map<object, unknown>();
  const moved = new Map<ArrayBuffer, ArrayBuffer>();
  let sendable = true;
  // where each view sits, read before moving detaches any buffer (two views may share one)
  const geometry = new Map<View, { byteOffset: number; byteLength: number; remake: ReturnType<typeof sameViewOver> }>();
  const place = (view: View) => ({ byteOffset: view.byteOffset, byteLength: view.byteLength, remake: sameViewOver(view) });
  if (transfer) visitBuffers(args, (x) => ArrayBuffer.isView(x) && !isDetached(x) && geometry.set(x, place(x)));

  const own = (ab: ArrayBuffer): ArrayBuffer => {
    transferList.add(ab);
    return ab;
  };
  const movedBuffer = (ab: ArrayBuffer): ArrayBuffer => {
    let m = moved.get(ab);
    if (!m) moved.set(ab, (m = moveBuffer(ab)));
    return own(m);
  };

  const walk = (x: unknown): unknown => {
    if (typeof x === 'function' || typeof x === 'symbol') sendable = false;
    if (x === null || typeof x !== 'object') return x;
    if (seen.has(x)) return seen.get(x);
    let out: unknown;
    if (isOpaqueProxy(x)) {
      (out = x), (sendable = false);
    } else if (ArrayBuffer.isView(x)) {
      const view = x as View;
      if (isShared(view.buffer)) {
        out = view;
      } else {
        const where = geometry.get(view) ?? (isDetached(view) ? undefined : place(view));
        if (!where) (out = view), (sendable = false);  // detached by the caller
        else if (transfer) out = where.remake(movedBuffer(view.buffer as ArrayBuffer), where.byteOffset);
        else out = where.remake(own(view.buffer.slice(where.byteOffset, where.byteOffset + where.byteLength) as ArrayBuffer), 0);
      }
    } else if (x instanceof ArrayBuffer) {
      // an empty buffer carries nothing (and a detached one has byteLength 0 and cannot be cloned)
      if (moved.has(x)) out = movedBuffer(x);
      else out = x.byteLength === 0 ? new ArrayBuffer(0) : transfer ? movedBuffer(x) : own(x.slice(0));
    } else if (Array.isArray(x)) {
      const a: unknown[] = [];
      seen.set(x, a);
      for (const item of x) a.push(walk(item));
      return a;
    } else if (isPlainObject(x)) {
      const o: Record<string, unknown> = {};
      seen.set(x, o);
      for (const key of Object.keys(x)) o[key] = walk((x as Record<string, unknown>)[key]);
      return o;
    } else if (isTensorLike(x)) {
      // an onnxruntime Tensor keeps `data` behind a prototype getter, which structured clone drops
      const t = x as { dims: readonly number[]; type: string; data: unknown; location?: string };
      out = { dims: [...t.dims], type: t.type, data: walk(t.data), location: t.location };
    } else {
      out = x;  // Map, Date, a class instance...: structured clone copies it when the task starts
    }
    seen.set(x, out);
    return out;
  };

  const value = walk(args);
  return { value, transferList: [...transferList], sendable };
}

/** Every ArrayBuffer behind the views (and bare buffers) in a result, each once; shared ones stay. */
export function resultBuffers(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  visitBuffers(value, (x) => {
    if (x instanceof ArrayBuffer) {
      if (x.byteLength > 0) found.add(x);
    } else if (!isShared(x.buffer) && !isDetached(x)) {
      found.add(x.buffer as ArrayBuffer);
    }
  });
  return [...found];
}
