// Argument checks shared by every API function. Each throws a typed error naming the argument.
import { codes, describe, rangeError, typeError } from './errors';

export type TypedArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Uint16ArrayConstructor
  | Uint8ArrayConstructor;

/** A view whose buffer was transferred or detached: its memory is gone. */
export function isDetached(view: ArrayBufferView): boolean {
  const buffer = view.buffer;
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
  if (!(value instanceof ctor)) throw typeError(name, `${name} must be a ${ctor.name}, got ${describe(value)}`);
  const view = value as unknown as T & { length: number };
  if (isDetached(view)) throw typeError(name, `${name} is backed by a detached ArrayBuffer`);
  if (length !== undefined && view.length !== length)
    throw rangeError(codes.shape, name, `${name} has ${view.length} elements, expected ${length}`);
  return view;
}

export function options<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw typeError(name, `${name} must be an object, got ${describe(value)}`);
  return value as Partial<T>;
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
