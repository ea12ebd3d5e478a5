// The elements of a floating-point TensorProto as a typed array, wherever they are stored: raw
// bytes in the model (a view when aligned and wanted, else a copy), the typed fields, or a
// separate file (ONNX external data: only the tensor's range is read). 16-bit floats come as
// their raw bits in a Uint16Array, the way the kernels take them.
import { closeSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';

import { fromBFloat16, fromFloat16 } from '../dtype';
import { DataType, type TensorProto } from './proto';

export type FloatElements =
  | { dtype: 'float32'; data: Float32Array }
  | { dtype: 'float16' | 'bfloat16'; data: Uint16Array }
  | { dtype: 'float64'; data: Float64Array };

const kinds = {
  [DataType.FLOAT]: { dtype: 'float32', Array: Float32Array },
  [DataType.FLOAT16]: { dtype: 'float16', Array: Uint16Array },
  [DataType.BFLOAT16]: { dtype: 'bfloat16', Array: Uint16Array },
  [DataType.DOUBLE]: { dtype: 'float64', Array: Float64Array },
} as const;

export class TensorReadError extends Error {}

export const elementCount = (t: TensorProto) => (t.dims ?? []).reduce((n, d) => n * d, 1);

/** Bytes [offset, offset + length) of a file, in a buffer of their own. */
function readRange(path: string, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = openSync(path, 'r');
  try {
    for (let done = 0; done < length; ) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) throw new TensorReadError(`${path} ends before byte ${offset + length}`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** The raw little-endian bytes of an external tensor, read from `dir`. */
function externalBytes(t: TensorProto, dir: string | undefined): Uint8Array {
  const entry = (key: string) => t.externalData?.find((e) => e.key === key)?.value;
  const location = entry('location');
  if (!location || dir === undefined) throw new TensorReadError(`tensor ${t.name} keeps its data in a separate file the scorer cannot locate`);
  // as onnxruntime: a location relative to the model's directory, never outside it
  if (isAbsolute(location) || normalize(location).startsWith('..')) throw new TensorReadError(`tensor ${t.name}: external data location ${location} is outside the model's directory`);
  const size = kinds[t.dataType as keyof typeof kinds].Array.BYTES_PER_ELEMENT * elementCount(t);
  const offset = Number(entry('offset') ?? 0), length = Number(entry('length') ?? size);
  if (length !== size) throw new TensorReadError(`tensor ${t.name}: external data of ${length} bytes for ${size}`);
  return readRange(join(dir, location), offset, length);
}

/**
 * The elements of `t` (float32, float16, bfloat16 or double), or undefined for another element
 * type. `view`: return a view into the model's bytes when they are aligned (the view keeps the
 * whole buffer alive); otherwise the elements get a buffer of their own. `dir`: where external
 * data is read from.
 */
export function floatElements(t: TensorProto, o: { view: boolean; dir?: string }): FloatElements | undefined {
  const kind = kinds[t.dataType as keyof typeof kinds];
  if (!kind) return undefined;
  const { Array: A, dtype } = kind;
  const count = elementCount(t);
  let data: Float32Array | Uint16Array | Float64Array;
  if (t.dataLocation === 1) data = new A(externalBytes(t, o.dir).buffer as ArrayBuffer);
  else if (t.rawData) {
    const raw = t.rawData;
    if (raw.byteLength !== count * A.BYTES_PER_ELEMENT) throw new TensorReadError(`tensor ${t.name} holds ${raw.byteLength} bytes for ${count} elements of ${dtype}`);
    if (o.view && raw.byteOffset % A.BYTES_PER_ELEMENT === 0) data = new A(raw.buffer as ArrayBuffer, raw.byteOffset, count);
    else {
      data = new A(count);
      new Uint8Array(data.buffer).set(raw);
    }
  } else {
    // typed fields: float_data (float32), int32_data (16-bit floats as their bits), double_data
    const values = dtype === 'float32' ? t.floatData : dtype === 'float64' ? t.doubleData : t.int32Data;
    if ((values?.length ?? 0) !== count) throw new TensorReadError(`tensor ${t.name} holds ${values?.length ?? 0} values for ${count} elements`);
    data = A.from(values ?? []);
  }
  return { dtype, data } as FloatElements;
}

/** The elements of a floating-point tensor as float64 numbers (small constants: scales, biases). */
export function floatValues(t: TensorProto, dir?: string): Float64Array | undefined {
  const e = floatElements(t, { view: true, dir });
  if (!e) return undefined;
  if (e.dtype === 'float16') return Float64Array.from(fromFloat16(e.data));
  if (e.dtype === 'bfloat16') return Float64Array.from(fromBFloat16(e.data));
  return Float64Array.from(e.data);
}
