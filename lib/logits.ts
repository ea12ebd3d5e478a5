// The logits input convention shared by every kernel: { data, rows, vocab, dtype }, row-major,
// or an onnxruntime-common Tensor whose last dimension is the vocabulary.
import { type DType, type DTypeData, type DTyped, dtypeCode, dtypeData, dtypes } from './dtype';
import { codes, describe, rangeError, typeError } from './errors';
import { integer, knownKeys, oneOf } from './validate';

/**
 * A logits matrix [rows, vocab], row-major: `dtype` 'float32' (the default) with a Float32Array,
 * 'float16' or 'bfloat16' with a Uint16Array of raw bits (see toBFloat16 / toFloat16).
 */
export type Logits = DTyped<{ rows: number; vocab: number }>;

/** A CPU tensor of one float dtype: an onnxruntime-common Tensor ('float32', 'float16') or any object of this shape. */
export interface FloatTensor<D extends DType> {
  readonly dims: readonly number[];
  readonly type: D;
  readonly data: DTypeData[D];
  readonly location?: string;
}

/**
 * The tensors infogain reads: float32, float16 or bfloat16 ones on the CPU. An onnxruntime
 * `Tensor` of any other element type is a type error; one whose element type is known only at
 * run time (what session.run returns) is narrowed first, e.g. `as TypedTensor<'float32'>`.
 */
export type TensorLike = FloatTensor<'float32'> | FloatTensor<'float16'> | FloatTensor<'bfloat16'>;

export type LogitsInput = Logits | TensorLike;

/** What the binding receives: validated, with the dtype as its native code. */
export interface NativeLogits {
  data: Float32Array | Uint16Array;
  rows: number;
  vocab: number;
  dtype: number;
}

/** Any object that looks like a tensor; what it holds is checked by fromTensor. */
interface AnyTensor {
  readonly dims: readonly unknown[];
  readonly type: string;
  readonly data: unknown;
  readonly location?: unknown;
}

export function isTensorLike(x: object): x is AnyTensor {
  return Array.isArray((x as AnyTensor).dims) && typeof (x as AnyTensor).type === 'string';
}

/** A CPU tensor as { data, rows, cols, dtype }: rows is the product of every dimension but the last, cols the last; data unchecked. */
export function fromTensor(t: AnyTensor, name: string): { data: unknown; rows: number; cols: number; dtype: DType } {
  if (t.location !== undefined && t.location !== 'cpu' && t.location !== 'cpu-pinned')
    throw typeError(name, `${name} is a tensor on '${t.location}'; infogain reads CPU tensors`);
  const dims = t.dims;
  if (dims.length < 1) throw rangeError(codes.shape, name, `${name} must have at least one dimension`);
  const sizes = dims.map((d, i) => integer(d, `${name}.dims[${i}]`));
  const cols = sizes[sizes.length - 1];
  const rows = sizes.slice(0, -1).reduce((a, b) => a * b, 1);
  return { data: t.data, rows, cols, dtype: oneOf(t.type, `${name}.type`, dtypes) };
}

const logitsKeys = ['data', 'rows', 'vocab', 'dtype'] as const;

export function normalizeLogits(value: unknown, name: string): NativeLogits {
  if (value === null || typeof value !== 'object')
    throw typeError(name, `${name} must be a logits object { data, rows, vocab, dtype } or a Tensor, got ${describe(value)}`);
  let l: { data?: unknown; rows?: unknown; vocab?: unknown; dtype?: unknown };
  if (isTensorLike(value)) {
    const t = fromTensor(value, name);
    l = { data: t.data, rows: t.rows, vocab: t.cols, dtype: t.dtype };
  } else {
    knownKeys(value, name, logitsKeys);  // a misspelt dtype would read the bits as float32
    l = value;
  }
  const dtype = l.dtype === undefined ? 'float32' : oneOf(l.dtype, `${name}.dtype`, dtypes);
  const rows = integer(l.rows, `${name}.rows`);
  const vocab = integer(l.vocab, `${name}.vocab`, 1, 2 ** 31 - 1);
  const data = dtypeData(l.data, dtype, `${name}.data`);
  if (data.length !== rows * vocab)
    throw rangeError(codes.shape, `${name}.data`, `${name}.data has ${data.length} elements, expected rows * vocab = ${rows} * ${vocab} = ${rows * vocab}`);
  return { data, rows, vocab, dtype: dtypeCode[dtype] };
}
