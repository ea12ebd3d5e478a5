// The logits input convention shared by every kernel: { data, rows, vocab, dtype }, row-major,
// or an onnxruntime-common Tensor whose last dimension is the vocabulary.
import { type DType, dtypeCode, dtypes } from './dtype';
import { codes, describe, rangeError, typeError, typedArrayKind } from './errors';
import { integer, isDetached, oneOf } from './validate';

export interface Logits {
  data: Float32Array | Uint16Array;
  rows: number;
  vocab: number;
  /** Default 'float32'. 16-bit data is a Uint16Array of raw bits (see toBFloat16 / toFloat16). */
  dtype?: DType;
}

/** The parts of an onnxruntime-common Tensor that infogain reads. */
export interface TensorLike {
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: unknown;
  readonly location?: string;
}

export type LogitsInput = Logits | TensorLike;

/** What the binding receives: validated, with the dtype as its native code. */
export interface NativeLogits {
  data: Float32Array | Uint16Array;
  rows: number;
  vocab: number;
  dtype: number;
}

export function isTensorLike(x: object): x is TensorLike {
  return Array.isArray((x as TensorLike).dims) && typeof (x as TensorLike).type === 'string';
}

function asUint16(data: unknown): unknown {
  if (typedArrayKind(data) === 'Float16Array') {
    const v = data as ArrayBufferView;
    return new Uint16Array(v.buffer, v.byteOffset, v.byteLength / 2);
  }
  return data;
}

export function fromTensor(t: TensorLike, name: string): Logits {
  if (t.location !== undefined && t.location !== 'cpu' && t.location !== 'cpu-pinned')
    throw typeError(name, `${name} is a tensor on '${t.location}'; infogain reads CPU tensors`);
  const dims = t.dims;
  if (dims.length < 1) throw rangeError(codes.shape, name, `${name} must have at least one dimension`);
  dims.forEach((d, i) => integer(d, `${name}.dims[${i}]`));
  const vocab = dims[dims.length - 1];
  const rows = dims.slice(0, -1).reduce((a, b) => a * b, 1);
  const dtype = oneOf(t.type, `${name}.type`, dtypes);
  return { data: asUint16(t.data) as Float32Array | Uint16Array, rows, vocab, dtype };
}

export function normalizeLogits(value: unknown, name: string): NativeLogits {
  if (value === null || typeof value !== 'object')
    throw typeError(name, `${name} must be a logits object { data, rows, vocab, dtype } or a Tensor, got ${describe(value)}`);
  const l = isTensorLike(value) ? fromTensor(value, name) : (value as Logits);
  const dtype = l.dtype === undefined ? 'float32' : oneOf(l.dtype, `${name}.dtype`, dtypes);
  const rows = integer(l.rows, `${name}.rows`);
  const vocab = integer(l.vocab, `${name}.vocab`, 1, 2 ** 31 - 1);
  const data = asUint16(l.data) as Float32Array | Uint16Array;
  const want = dtype === 'float32' ? Float32Array : Uint16Array;
  if (typedArrayKind(data) !== want.name)
    throw typeError(`${name}.data`, `${name}.data must be a ${want.name} for dtype '${dtype}', got ${describe(data)}`);
  if (isDetached(data)) throw typeError(`${name}.data`, `${name}.data is backed by a detached ArrayBuffer`);
  if (data.length !== rows * vocab)
    throw rangeError(codes.shape, `${name}.data`, `${name}.data has ${data.length} elements, expected rows * vocab = ${rows} * ${vocab} = ${rows * vocab}`);
  return { data, rows, vocab, dtype: dtypeCode[dtype] };
}
