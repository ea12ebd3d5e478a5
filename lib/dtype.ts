// Element types of logits and conversions between float32 and the 16-bit formats, which
// travel as Uint16Array bits (Node 20 has no Float16Array, and no JS runtime has bfloat16).

import { describe, typeError, typedArrayKind } from './errors';
import { isDetached, oneOf, typedArray } from './validate';

export type DType = 'float32' | 'float16' | 'bfloat16';
export const dtypes: readonly DType[] = ['float32', 'float16', 'bfloat16'];

/** The code native/core/dtype.h uses for each dtype. */
export const dtypeCode: Record<DType, number> = { float32: 0, float16: 1, bfloat16: 2 };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Numbers to convert: an array of numbers or a typed array of numbers (not BigInt). */
function numbers(values: unknown): ArrayLike<number> {
  const kind = typedArrayKind(values);
  if (kind ? kind.startsWith('Big') : !Array.isArray(values))
    throw typeError('values', `values must be an array or a typed array of numbers, got ${describe(values)}`);
  if (kind && isDetached(values as ArrayBufferView)) throw typeError('values', 'values is backed by a detached ArrayBuffer');
  return values as ArrayLike<number>;
}

/** float32 -> bfloat16 bits, rounding to nearest even; NaN stays NaN. */
export function toBFloat16(values: ArrayLike<number>): Uint16Array {
  numbers(values);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const u = u32[0];
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

/** float32 -> IEEE binary16 bits, rounding to nearest even, with subnormals, inf and NaN. */
export function toFloat16(values: ArrayLike<number>): Uint16Array {
  numbers(values);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const u = u32[0];
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
export function toFloat32(data: Float32Array | Uint16Array, dtype: DType): Float32Array {
  oneOf(dtype, 'dtype', dtypes);
  typedArray(data, 'data', dtype === 'float32' ? Float32Array : Uint16Array);
  if (dtype === 'float32') return data as Float32Array;
  return dtype === 'float16' ? fromFloat16(data as Uint16Array) : fromBFloat16(data as Uint16Array);
}
