// The fused output head: token log-probs, entropy and full-vocabulary divergences from hidden
// states and the head weight, logits = hidden · weightᵀ (+ bias, softcap), never materialized.
import { backendCode, type BackendOption } from './backend';
import { type Direction, directionCodes, directions } from './klDivergence';
import { type DTyped, dtypeCode, dtypeData, dtypes } from './dtype';
import { codes, describe, rangeError, typeError } from './errors';
import { fromTensor, isTensorLike, type TensorLike } from './logits';
import type { TokenLogprobsResult } from './logprobs';
import { native } from './native';
import { boolean, finiteNumber, int32InRange, integer, keysOf, knownKeys, oneOf, options, softmaxTemperature, typedArray } from './validate';

/**
 * Hidden states [rows, dim], row-major: `dtype` 'float32' (the default) with a Float32Array,
 * 'float16' or 'bfloat16' with a Uint16Array of raw bits.
 */
export type Hidden = DTyped<{ rows: number; dim: number }>;

/**
 * The head weight: [vocab, dim] row-major (a Linear's weight, a tied embedding table), or with
 * `transposed: true` [dim, vocab] row-major (the B operand of an ONNX MatMul, as exported models
 * hold their lm_head). `dtype` and `data` as for Hidden.
 */
export type HeadWeight = DTyped<{
  vocab: number;
  dim: number;
  /** data is [dim, vocab]. Default false. */
  transposed?: boolean;
}>;

/** A Hidden, or a CPU onnxruntime Tensor whose last dimension is dim (the rows are the rest). */
export type HiddenInput = Hidden | TensorLike;
/** A HeadWeight, or a CPU onnxruntime Tensor [vocab, dim]. */
export type HeadWeightInput = HeadWeight | TensorLike;

export interface LinearHeadOptions {
  /** Logits are divided by it before the softmax. Default 1. */
  temperature?: number;
  /** Float32Array [vocab] added to every row's logits (a Linear's bias); -Infinity masks an entry. */
  bias?: Float32Array;
  /** > 0: logits = softcap * tanh(logits / softcap), after the bias (Gemma 2's final softcapping). Default 0: none. */
  softcap?: number;
  /** 'auto' (default): CUDA when present and the inputs are at least 64 MiB; 'cpu'; 'cuda'. */
  backend?: BackendOption;
}

export interface LinearLogprobsOptions extends LinearHeadOptions {
  /** Also return the entropy of each row's distribution. Default false. */
  entropy?: boolean;
}

export interface LinearKLOptions extends LinearHeadOptions {
  /** 'forward' KL(P||Q) (default), 'reverse', 'symmetric', 'js' (two passes: the matmul runs twice). */
  direction?: Direction;
}

const linearLogprobsOptionKeys = keysOf<LinearLogprobsOptions>()('temperature', 'entropy', 'bias', 'softcap', 'backend');
const linearKLOptionKeys = keysOf<LinearKLOptions>()('direction', 'temperature', 'bias', 'softcap', 'backend');

/** What the binding receives: validated, the dtype as its native code. */
export interface NativeHidden {
  data: Float32Array | Uint16Array;
  rows: number;
  dim: number;
  dtype: number;
}
export interface NativeHeadWeight {
  data: Float32Array | Uint16Array;
  vocab: number;
  dim: number;
  dtype: number;
  transposed: boolean;
}

// { data, rows, cols, dtype } from either form; the plain object's keys are `rowsKey` and 'dim'.
function matrix(value: unknown, name: string, rowsKey: 'rows' | 'vocab') {
  if (value === null || typeof value !== 'object')
    throw typeError(name, `${name} must be an object { data, ${rowsKey}, dim, dtype } or a Tensor, got ${describe(value)}`);
  if (isTensorLike(value)) {
    const t = fromTensor(value, name);
    if (rowsKey === 'vocab' && value.dims.length !== 2)
      throw rangeError(codes.shape, name, `${name} must be a 2-D Tensor [vocab, dim], got dims [${value.dims.join(', ')}]`);
    return { ...t, data: dtypeData(t.data, t.dtype, `${name}.data`), o: {} as Record<string, unknown> };
  }
  // a misspelt `transposed` would read [dim, vocab] as [vocab, dim]: the same size, silently wrong
  knownKeys(value, name, rowsKey === 'vocab' ? ['data', 'vocab', 'dim', 'dtype', 'transposed'] : ['data', 'rows', 'dim', 'dtype']);
  const o = value as Record<string, unknown>;
  const dtype = o.dtype === undefined ? 'float32' : oneOf(o.dtype, `${name}.dtype`, dtypes);
  const rows = integer(o[rowsKey], `${name}.${rowsKey}`, rowsKey === 'vocab' ? 1 : 0, 2 ** 31 - 1);
  const cols = integer(o.dim, `${name}.dim`, 1, 2 ** 31 - 1);
  return { data: dtypeData(o.data, dtype, `${name}.data`), rows, cols, dtype, o };
}

function checkData(m: { data: Float32Array | Uint16Array; rows: number; cols: number }, name: string, rowsKey: string) {
  if (m.data.length !== m.rows * m.cols)
    throw rangeError(codes.shape, `${name}.data`, `${name}.data has ${m.data.length} elements, expected ${rowsKey} * dim = ${m.rows} * ${m.cols} = ${m.rows * m.cols}`);
}

export function normalizeHidden(value: unknown, name: string): NativeHidden {
  const m = matrix(value, name, 'rows');
  if (m.cols < 1) throw rangeError(codes.outOfRange, `${name}.dim`, `${name}.dim must be an integer in [1, ${2 ** 31 - 1}], got ${m.cols}`);
  checkData(m, name, 'rows');
  return { data: m.data, rows: m.rows, dim: m.cols, dtype: dtypeCode[m.dtype] };
}

export function normalizeHeadWeight(value: unknown, dim: number): NativeHeadWeight {
  const m = matrix(value, 'weight', 'vocab');
  if (m.rows < 1) throw rangeError(codes.outOfRange, 'weight.vocab', `weight.vocab must be an integer in [1, ${2 ** 31 - 1}], got ${m.rows}`);
  checkData(m, 'weight', 'vocab');
  if (m.cols !== dim) throw rangeError(codes.shape, 'weight.dim', `weight.dim = ${m.cols} differs from the hidden states' dim = ${dim}`);
  const transposed = m.o.transposed === undefined ? false : boolean(m.o.transposed, 'weight.transposed');
  return { data: m.data, vocab: m.rows, dim: m.cols, dtype: dtypeCode[m.dtype], transposed };
}

/** bias (no NaN / +Infinity; -Infinity masks), temperature, softcap, backend: the binding's options. */
function headOptions(o: Partial<LinearHeadOptions>, vocab: number) {
  const temperature = o.temperature === undefined ? 1 : softmaxTemperature(o.temperature, 'temperature');
  const softcap = o.softcap === undefined ? 0 : finiteNumber(o.softcap, 'softcap');
  if (softcap < 0) throw rangeError(codes.outOfRange, 'softcap', `softcap must be >= 0 (0: none), got ${softcap}`);
  let bias: Float32Array | undefined;
  if (o.bias !== undefined) {
    bias = typedArray<Float32Array>(o.bias, 'bias', Float32Array, vocab);
    for (let j = 0; j < bias.length; j++) {
      const b = bias[j];
      if (Number.isNaN(b) || b === Infinity)
        throw rangeError(codes.nonFinite, 'bias', `bias[${j}] is ${b} (-Infinity masks an entry; NaN and +Infinity are not logits)`, j);
    }
  }
  return { temperature, softcap, bias, backend: backendCode(o.backend) };
}

function prepareLogprobs(hidden: unknown, weight: unknown, targets: unknown, opts: unknown) {
  const h = normalizeHidden(hidden, 'hidden');
  const w = normalizeHeadWeight(weight, h.dim);
  const t = typedArray<Int32Array>(targets, 'targets', Int32Array, h.rows);
  const o = options<LinearLogprobsOptions>(opts, 'options', linearLogprobsOptionKeys);
  const entropy = o.entropy === undefined ? false : boolean(o.entropy, 'entropy');
  const nativeOptions = { ...headOptions(o, w.vocab), entropy };
  int32InRange(t, 'targets', 0, w.vocab);
  return [h, w, t, nativeOptions] as const;
}

function prepareKL(hiddenP: unknown, hiddenQ: unknown, weight: unknown, opts: unknown) {
  const p = normalizeHidden(hiddenP, 'hiddenP');
  const q = normalizeHidden(hiddenQ, 'hiddenQ');
  if (q.rows !== p.rows || q.dim !== p.dim)
    throw rangeError(codes.shape, 'hiddenQ', `hiddenQ is [${q.rows}, ${q.dim}] but hiddenP is [${p.rows}, ${p.dim}]`);
  const w = normalizeHeadWeight(weight, p.dim);
  const o = options<LinearKLOptions>(opts, 'options', linearKLOptionKeys);
  const direction = o.direction === undefined ? 'forward' : oneOf(o.direction, 'direction', directions);
  const nativeOptions = { ...headOptions(o, w.vocab), direction: directionCodes[direction] };
  return [p, q, w, nativeOptions] as const;
}

/**
 * tokenLogprobs of the logits hidden · weightᵀ (+ bias, softcap) without materializing them: per
 * row r, log softmax(logits[r] / temperature)[targets[r]], logsumexp and (entropy: true) the
 * entropy, float32 accumulation, off the main thread. A row whose logits hold NaN or +Infinity, or
 * no finite entry, rejects with a RangeError (ERR_INFOGAIN_NONFINITE) naming the hidden row or the
 * weight row at fault. The inputs are copied when the call is made unless they live in a
 * SharedArrayBuffer (README's contract).
 */
export async function linearLogprobs(
  hidden: HiddenInput,
  weight: HeadWeightInput,
  targets: Int32Array,
  options: LinearLogprobsOptions & { entropy: true },
): Promise<TokenLogprobsResult & { entropy: Float32Array }>;
export async function linearLogprobs(hidden: HiddenInput, weight: HeadWeightInput, targets: Int32Array, options?: LinearLogprobsOptions): Promise<TokenLogprobsResult>;
export async function linearLogprobs(
  hidden: HiddenInput,
  weight: HeadWeightInput,
  targets: Int32Array,
  options?: LinearLogprobsOptions,
): Promise<TokenLogprobsResult> {
  return native().linearLogprobs(...prepareLogprobs(hidden, weight, targets, options));
}

/** linearLogprobs on the calling thread. */
export function linearLogprobsSync(
  hidden: HiddenInput,
  weight: HeadWeightInput,
  targets: Int32Array,
  options: LinearLogprobsOptions & { entropy: true },
): TokenLogprobsResult & { entropy: Float32Array };
export function linearLogprobsSync(hidden: HiddenInput, weight: HeadWeightInput, targets: Int32Array, options?: LinearLogprobsOptions): TokenLogprobsResult;
export function linearLogprobsSync(
  hidden: HiddenInput,
  weight: HeadWeightInput,
  targets: Int32Array,
  options?: LinearLogprobsOptions,
): TokenLogprobsResult {
  return native().linearLogprobsSync(...prepareLogprobs(hidden, weight, targets, options));
}

/**
 * klDivergence between softmax(head(hiddenP[r]) / T) and softmax(head(hiddenQ[r]) / T) for every
 * row r, with head(h) = h · weightᵀ (+ bias, softcap), never materializing the logits. Values in
 * nats; same semantics as klDivergence (Infinity where P > 0 = Q, clamped at 0, JS in [0, ln 2]).
 */
export async function linearKL(
  hiddenP: HiddenInput,
  hiddenQ: HiddenInput,
  weight: HeadWeightInput,
  options?: LinearKLOptions,
): Promise<{ values: Float32Array }> {
  return native().linearKL(...prepareKL(hiddenP, hiddenQ, weight, options));
}

/** linearKL on the calling thread. */
export function linearKLSync(
  hiddenP: HiddenInput,
  hiddenQ: HiddenInput,
  weight: HeadWeightInput,
  options?: LinearKLOptions,
): { values: Float32Array } {
  return native().linearKLSync(...prepareKL(hiddenP, hiddenQ, weight, options));
}
