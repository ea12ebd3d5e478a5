// Argument checks shared by every API function. Each throws a typed error naming the argument.
import { types } from 'node:util';

import { codes, describe, rangeError, typeError, typedArrayKind } from './errors';

export type TypedArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Uint16ArrayConstructor
  | Uint8ArrayConstructor;

const typedArrayBuffer = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'buffer')!.get!;
const dataViewBuffer = Object.getOwnPropertyDescriptor(DataView.prototype, 'buffer')!.get!;

/** A view's buffer, read through the built-in getter (an own `buffer` property cannot stand in for it). */
export function bufferOf(view: ArrayBufferView): ArrayBufferLike {
  return (typedArrayKind(view) ? typedArrayBuffer : dataViewBuffer).call(view) as ArrayBufferLike;
}

/** A view whose buffer was transferred or detached: its memory is gone. */
export function isDetached(view: ArrayBufferView): boolean {
  const buffer = bufferOf(view);
  if (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer) return false;
  const detached = (buffer as ArrayBuffer & { detached?: boolean }).detached;
  if (typeof detached === 'boolean') return detached;
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

export function typedArray<T extends ArrayBufferView>(
  value: unknown,
  name: string,
  ctor: TypedArrayCtor,
  length?: number,
): T {
  if (typedArrayKind(value) !== ctor.name) throw typeError(name, `${name} must be ${/^[AEIOU]/.test(ctor.name) ? 'an' : 'a'} ${ctor.name}, got ${describe(value)}`);
  const view = value as unknown as T & { length: number };
  if (isDetached(view)) throw typeError(name, `${name} is backed by a detached ArrayBuffer`);
  if (length !== undefined && view.length !== length)
    throw rangeError(codes.shape, name, `${name} has ${view.length} elements, expected ${length}`);
  return view;
}

/**
 * An options object (undefined: none). With `keys`, every own key must be one of them: a misspelt
 * option is an ERR_INFOGAIN_UNKNOWN_OPTION naming the closest valid key, never a silent default.
 */
export function options<T extends object>(value: unknown, name = 'options', keys?: readonly (keyof T & string)[]): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw typeError(name, `${name} must be an object, got ${describe(value)}`);
  if (keys) knownKeys(value, name, keys);
  return value as Partial<T>;
}

/** Where a key that belongs elsewhere should go. */
const elsewhere: Record<string, string> = {
  signal: 'an AbortSignal is a call option of the reward pool: pool.with({ signal }).method(...)',
  transfer: 'transfer is a call option of the reward pool: pool.with({ transfer: true }).method(...)',
};

export function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * A Proxy around anything but a plain object or an array: built-in getters (a typed array's
 * length, ...) throw on it and structured clone refuses it. (Behind a plain object or an array,
 * its traps are simply read.)
 */
export function isOpaqueProxy(x: object): boolean {
  return types.isProxy(x) && !Array.isArray(x) && !isPlainObject(x);
}

/**
 * Throws ERR_INFOGAIN_UNKNOWN_OPTION for the first own key of `value` outside `keys`; a typed array
 * or an opaque Proxy is no options object (ERR_INVALID_ARG_TYPE).
 */
export function knownKeys(value: object, name: string, keys: readonly string[]): void {
  if (typedArrayKind(value) || isOpaqueProxy(value)) throw typeError(name, `${name} must be an object of named fields, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (keys.includes(key)) continue;
    const closest = closestKey(key, keys);
    const hint = elsewhere[key] ? `: ${elsewhere[key]}` : closest ? `; did you mean '${closest}'?` : '';
    const known = keys.length ? `known: ${keys.join(', ')}` : 'it takes none';
    const e = typeError(key, `${name}.${key} is not a known option${hint} (${known})`, codes.unknownOption);
    throw Object.assign(e, closest ? { suggestion: closest } : {});
  }
}

/**
 * The key of `keys` nearest to `key`, case ignored, when it is near enough to be a typo: the
 * shortest key that `key` abbreviates (3 characters or more), else the key at the smallest optimal
 * string alignment distance, at most 2 edits or a third of the key's length.
 */
export function closestKey(key: string, keys: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const longer = keys.filter((k) => lower.length >= 3 && k.toLowerCase().startsWith(lower) && k.length > key.length);
  if (longer.length) return longer.reduce((a, b) => (b.length < a.length ? b : a));
  let best: string | undefined, bestDistance = Math.max(2, Math.floor(key.length / 3));
  for (const k of keys) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d <= bestDistance && (best === undefined || d < bestDistance)) (best = k), (bestDistance = d);
  }
  return best;
}

/** Insertions, deletions, substitutions and swaps of two neighbours turning a into b. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  return rows[a.length][b.length];
}

export function integer(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw typeError(name, `${name} must be an integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max)
    throw rangeError(codes.outOfRange, name, `${name} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

export function finiteNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw typeError(name, `${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw rangeError(codes.outOfRange, name, `${name} must be finite, got ${value}`);
  return value;
}

export function positiveNumber(value: unknown, name: string): number {
  const v = finiteNumber(value, name);
  if (!(v > 0)) throw rangeError(codes.outOfRange, name, `${name} must be > 0, got ${v}`);
  return v;
}

/**
 * A softmax temperature: the kernels divide by it as a float32 multiply by 1 / T, so T and 1 / T must
 * both be normal float32 numbers: T in [2^-126, 2^126] (1.2e-38 to 8.5e37).
 */
export function isSoftmaxTemperature(v: number): boolean {
  return v >= 2 ** -126 && v <= 2 ** 126;
}

export function softmaxTemperature(value: unknown, name: string): number {
  const v = finiteNumber(value, name);
  if (!isSoftmaxTemperature(v))
    throw rangeError(codes.outOfRange, name, `${name} must be in [2^-126, 2^126] (it and its reciprocal are taken in float32), got ${v}`);
  return v;
}

export function boolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw typeError(name, `${name} must be a boolean, got ${describe(value)}`);
  return value;
}

export function oneOf<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value))
    throw (typeof value === 'string' ? rangeError.bind(null, codes.outOfRange) : typeError)(
      name,
      `${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}`,
    );
  return value as T;
}

/** Every element in [min, max), except `skip`; reports the first bad index. */
export function int32InRange(values: Int32Array, name: string, min: number, max: number, skip?: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if ((v < min || v >= max) && v !== skip)
      throw rangeError(codes.outOfRange, name, `${name}[${i}] = ${v} is outside [${min}, ${max})`, i);
  }
}

/** The input object of a fusion kernel, every key one of `keys`. */
export function inputObject<T extends object>(value: unknown, keys: readonly (keyof T & string)[]): Partial<T> {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || Array.isArray(value))
    throw typeError('input', `input must be an object of typed arrays, got ${describe(value)}`);
  knownKeys(value, 'input', keys);
  return value as Partial<T>;
}

/** An optional typed array: undefined stays undefined. */
export function optionalArray<T extends ArrayBufferView>(
  value: unknown,
  name: string,
  ctor: Int32ArrayConstructor | Float32ArrayConstructor | Uint8ArrayConstructor,
  length?: number,
): T | undefined {
  return value === undefined ? undefined : typedArray<T>(value, name, ctor, length);
}

/** A finite number >= 0 (epsilons, standard deviations). */
export function nonNegative(value: unknown, name: string): number {
  const v = finiteNumber(value, name);
  if (v < 0) throw rangeError(codes.outOfRange, name, `${name} must be >= 0, got ${v}`);
  return v;
}

/** A number in [0, 1] (discount factors). */
export function unitInterval(value: unknown, name: string): number {
  const v = finiteNumber(value, name);
  if (v < 0 || v > 1) throw rangeError(codes.outOfRange, name, `${name} must be in [0, 1], got ${v}`);
  return v;
}

/** o[key] checked by `check` (which names the key in its errors), or `fallback` when absent. */
export function field<O extends object, T>(o: O, key: keyof O & string, fallback: T, check: (value: unknown, name: string) => T): T {
  const value = o[key];
  return value === undefined ? fallback : check(value, key);
}

/** o[key] as the native code of one of `choices` (its index); `fallback` when absent. */
export function choice<O extends object>(o: O, key: keyof O & string, choices: readonly string[], fallback: string): number {
  return choices.indexOf(field(o, key, fallback, (v, name) => oneOf(v, name, choices)));
}

/**
 * Every key of T, listed at run time for `options(value, name, keys)`; tsc rejects a list that
 * misses a key of T (so a new option cannot be forgotten) or names one T does not have.
 */
export function keysOf<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...keys: K & ([Exclude<keyof T & string, K[number]>] extends [never] ? unknown : ['missing', Exclude<keyof T & string, K[number]>])
  ): readonly (keyof T & string)[] => keys;
}
