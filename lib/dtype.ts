// Element types of logits and conversions between float32 and the 16-bit formats, which
// travel as Uint16Array bits (Node 20 has no Float16Array, and no JS runtime has bfloat16).

import { describe, typeError, typedArrayKind } from './errors';
import { bufferOf, isDetached, oneOf, typedArray } from './validate';

export type DType = 'float32' | 'float16' | 'bfloat16';
export const dtypes: readonly DType[] = ['float32', 'float16', 'bfloat16'];

/** Float16Array where the TypeScript lib declares it (lib esnext.float16), else nothing. */
type Float16 = typeof globalThis extends { Float16Array: { prototype: infer T } } ? T : never;

/**
 * The typed array that holds each dtype: a Float32Array, or for the 16-bit dtypes a Uint16Array
 * of raw bits (float16 also a Float16Array, on runtimes that have one).
 */
export interface DTypeData {
  float32: Float32Array;
  float16: Uint16Array | Float16;
  bfloat16: Uint16Array;
}

/**
 * `Shape` with `data` and its `dtype`, tied so that a mismatch is a type error: 'float32' (the
 * default) with a Float32Array, 'float16' or 'bfloat16' with a Uint16Array of raw bits.
 */
export type DTyped<Shape> =
  | (Shape & { data: DTypeData['float32']; dtype?: 'float32' })
  | (Shape & { data: DTypeData['float16']; dtype: 'float16' })
  | (Shape & { data: DTypeData['bfloat16']; dtype: 'bfloat16' });

/** The code native/core/dtype.h uses for each dtype. */
export const dtypeCode: Record<DType, number> = { float32: 0, float16: 1, bfloat16: 2 };

/**
 * `data` as the binding reads it for `dtype`, or a TypeError naming `name`: its kind must be the
 * dtype's (a Float16Array, for 'float16' only, is read as its bits) and its buffer not detached.
 */
export function dtypeData(data: unknown, dtype: DType, name: string): Float32Array | Uint16Array {
  const want = dtype === 'float32' ? Float32Array : Uint16Array;
  const kind = typedArrayKind(data);
  const float16Array = dtype === 'float16' && kind === 'Float16Array';
  if (kind !== want.name && !float16Array)
    throw typeError(name, `${name} must be a ${want.name}${dtype === 'float16' ? ' (or a Float16Array)' : ''} for dtype '${dtype}', got ${describe(data)}`);
  const view = data as ArrayBufferView;
  if (isDetached(view)) throw typeError(name, `${name} is backed by a detached ArrayBuffer`);
  return float16Array ? new Uint16Array(bufferOf(view), view.byteOffset, view.byteLength / 2) : (data as Float32Array | Uint16Array);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Numbers to convert: an array of numbers or a typed array of numbers (not BigInt). */
export type Numbers =
  | readonly number[]
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint8ClampedArray
  | Uint16Array
  | Uint32Array
  | Float16;

function numbers(values: unknown): ArrayLike<number> {
  const kind = typedArrayKind(values);
  if (kind ? kind.startsWith('Big') : !Array.isArray(values))
    throw typeError('values', `values must be an array or a typed array of numbers, got ${describe(values)}`);
  if (kind && isDetached(values as ArrayBufferView)) throw typeError('values', 'values is backed by a detached ArrayBuffer');
  if (!kind) {
    // a string, a BigInt, a hole or undefined would be converted (or throw a bare engine error) instead
    const list = values as readonly unknown[];
    for (let i = 0; i < list.length; i++)
      if (typeof list[i] !== 'number')
        throw Object.assign(typeError('values', `values[${i}] must be a number, got ${i in list ? describe(list[i]) : 'a hole'}`), { index: i });
  }
  return values as ArrayLike<number>;
}

/**
 * x rounded to float32 to odd, as bits: toward zero, then the last bit set when that was inexact. A
 * second rounding of these bits to 16 bits is then x correctly rounded to nearest even (Boldo and
 * Melquiond, 2008), where rounding x to nearest float32 first could round twice (1 + 2^-8 + 2^-40 went
 * to bfloat16 1 instead of 1 + 2^-7). float32 inputs are exact here.
 */
function float32BitsRoundedToOdd(x: number): number {
  f32[0] = x;
  let u = u32[0];
  const rounded = f32[0];
  if (rounded !== x && x === x) {
    if (Math.abs(rounded) > Math.abs(x)) u -= 1;  // rounded away from zero (to Infinity too): one step back
    u |= 1;
  }
  return u;
}

/** Numbers -> bfloat16 bits, rounding to nearest even; NaN stays NaN. */
export function toBFloat16(values: Numbers): Uint16Array {
  numbers(values);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const u = float32BitsRoundedToOdd(values[i]);
    if ((u & 0x7fffffff) > 0x7f800000) out[i] = (u >>> 16) | 0x40;  // quiet NaN
    else out[i] = (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
  }
  return out;
}

export function fromBFloat16(bits: Uint16Array): Float32Array {
  typedArray(bits, 'bits', Uint16Array);
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

/** Numbers -> IEEE binary16 bits, rounding to nearest even, with subnormals, inf and NaN. */
export function toFloat16(values: Numbers): Uint16Array {
  numbers(values);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const u = float32BitsRoundedToOdd(values[i]);
    const sign = (u >>> 16) & 0x8000;
    const exp = (u >>> 23) & 0xff;
    let man = u & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (man ? 0x200 : 0);
      continue;
    }
    let e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;  // overflow -> inf
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;  // underflow -> 0
        continue;
      }
      man |= 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rest = man & ((1 << shift) - 1);
      let h = man >>> shift;
      if (rest > half || (rest === half && (h & 1))) h++;
      out[i] = sign | h;
      continue;
    }
    let h = (e << 10) | (man >>> 13);
    const rest = man & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;  // may carry into the exponent: correct
    out[i] = sign | h;
  }
  return out;
}

export function fromFloat16(bits: Uint16Array): Float32Array {
  typedArray(bits, 'bits', Uint16Array);
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const man = h & 0x3ff;
    if (exp === 0) out[i] = sign * man * 2 ** -24;
    else if (exp === 0x1f) out[i] = man ? NaN : sign * Infinity;
    else out[i] = sign * (1 + man / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** Widens a logits matrix's data to float32, whatever its dtype. */
export function toFloat32(data: Float32Array, dtype: 'float32'): Float32Array;
export function toFloat32(data: DTypeData['float16'], dtype: 'float16'): Float32Array;
export function toFloat32(data: Uint16Array, dtype: 'bfloat16'): Float32Array;
/** Any logits' data and dtype (`toFloat32(l.data, l.dtype ?? 'float32')`, the dtype a union): checked at run time. */
export function toFloat32<D extends DType>(data: DTypeData[D], dtype: D): Float32Array;
export function toFloat32(data: unknown, dtype: DType): Float32Array {
  const d = dtypeData(data, oneOf(dtype, 'dtype', dtypes), 'data');
  if (dtype === 'float32') return d as Float32Array;
  return dtype === 'float16' ? fromFloat16(d as Uint16Array) : fromBFloat16(d as Uint16Array);
}
