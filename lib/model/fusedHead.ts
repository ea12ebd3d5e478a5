// The split-off head (head.ts) as the fused kernels' parameters, so log-probs, entropies and KL
// come straight from the hidden rows (linearLogprobs / linearKL) and no logits are ever made.
//
// The head is hidden -> MatMul / Gemm with a constant weight -> row-wise steps -> logits. Each step
// is folded into what the kernel computes, softcap * tanh((hidden · Wᵀ + bias) / softcap) divided
// by the temperature, up to a positive factor (the scale: the temperature goes to the kernel as
// temperature / scale) and a constant per row (which no softmax sees):
//   before a Tanh, the logits are a * z + b (z = hidden · Wᵀ; a a number, b a number or a vector);
//   a Tanh makes them tanh(a * z + b) = tanh((z + b / a) / softcap) with softcap = 1 / a (a > 0);
//   after it only numbers may act: c * tanh(...) + d, so the scale is c / softcap and d drops out.
// Anything else (a per-entry scaling, a bias after the Tanh, a second Tanh, a negative scale, a
// quantized or computed weight) is refused with the reason, and the ORT head is used instead.
import type { HeadWeight } from '../linearHead';
import { producers } from '../onnx/graph';
import { DataType, type Graph, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto';
import { floatElements, floatValues, TensorReadError } from '../onnx/tensor';

export interface FusedHead {
  weight: HeadWeight;
  /** The head model's tensor that holds the weight. */
  weightName: string;
  /** Added to every row's logits before the softcap; -Infinity masks an entry. */
  bias?: Float32Array;
  /** > 0: softcap * tanh(logits / softcap); 0: none. */
  softcap: number;
  /** The model's logits are scale x the kernel's (plus a constant per row): the kernel gets temperature / scale. */
  scale: number;
}

/** What reading the head gives: the fused head, or why it cannot be fused. */
export type FusedHeadOrWhy = { head: FusedHead; why?: undefined } | { head?: undefined; why: string };

const attr = (n: NodeProto, name: string) => (n.attribute ?? []).find((a) => a.name === name);
const floatTypes = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);

class Refused extends Error {}
const refuse = (why: string): never => {
  throw new Refused(why);
};

/** a * z + b per row, b a number or a vector over the vocabulary. */
interface Affine {
  a: number;
  b: number | Float64Array;
}

/**
 * Reads the head model that splitHead made (input `hidden`, output `logits`). `view`: the weight
 * may be a view into the model's bytes (keeping them alive) when aligned; `dir`: where external
 * data lives.
 */
export function fusedHeadOf(head: ModelProto, o: { view: boolean; dir?: string }): FusedHeadOrWhy {
  try {
    return { head: readHead(head.graph!, o) };
  } catch (e) {
    if (e instanceof Refused) return { why: e.message };
    if (e instanceof TensorReadError) return { why: e.message };
    throw e;
  }
}

function readHead(graph: Graph, o: { view: boolean; dir?: string }): FusedHead {
  const made = producers(graph);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const readers = new Map<string, NodeProto>();
  for (const n of graph.node ?? []) for (const x of n.input ?? []) if (x && !readers.has(x)) readers.set(x, n);

  /** A constant operand's tensor: an initializer or a Constant node's value. */
  const constant = (name: string): TensorProto => {
    const t = inits.get(name);
    if (t) return t;
    const n = made.get(name);
    if (n?.opType === 'Constant') {
      const v = attr(n, 'value'), f = attr(n, 'value_float'), fs = attr(n, 'value_floats');
      if (v?.t) return v.t;
      if (f) return { name, dims: [], dataType: DataType.FLOAT, floatData: [f.f ?? 0] };
      if (fs) return { name, dims: [fs.floats?.length ?? 0], dataType: DataType.FLOAT, floatData: fs.floats ?? [] };
    }
    return refuse(`the head reads ${name}, a constant computed by a ${n?.opType ?? 'missing'} node`);
  };

  const projection = readers.get('hidden');
  if (!projection || !['MatMul', 'Gemm'].includes(projection.opType ?? ''))
    refuse(`the vocabulary projection is a ${projection?.opType} (the fused head takes MatMul or Gemm with a float weight)`);
  const p = projection!;
  const { weight, weightName } = weightOf(p, constant, made, o);
  const V = weight.vocab;

  /** A constant as a number (all its entries equal, e.g. shape [] or [1]) or a vector over the vocabulary. */
  const operand = (name: string): number | Float64Array => {
    const t = constant(name);
    if (!floatTypes.has(t.dataType ?? 0)) refuse(`the head's constant ${name} is not a float tensor`);
    const dims = t.dims ?? [];
    if (dims.slice(0, -1).some((d) => d !== 1)) refuse(`the head's constant ${name} [${dims.join(', ')}] does not act on each row alike`);
    const values = floatValues(t, o.dir)!;
    if (values.length === 1) return values[0];
    if (values.length !== V) refuse(`the head's constant ${name} has ${values.length} entries for a vocabulary of ${V}`);
    return values;
  };

  let y: Affine = { a: 1, b: 0 };
  if (p.opType === 'Gemm') {
    const alpha = attr(p, 'alpha')?.f ?? 1, beta = attr(p, 'beta')?.f ?? 1;
    y = { a: alpha, b: p.input?.[2] ? times(operand(p.input[2]), beta) : 0 };
  }
  let beforeTanh: Affine | undefined;
  let current = p.output?.[0] ?? '';
  for (let steps = 0; current !== 'logits'; steps++) {
    const n = readers.get(current);
    if (!n || steps > 64) return refuse('the head does not lead from the projection to logits through one chain of steps');
    const data = (n.input ?? []).indexOf(current);
    const other = n.input?.[1 - data] ?? '';
    switch (n.opType) {
      case 'Cast':
        if (!floatTypes.has(attr(n, 'to')?.i ?? 0)) refuse('the head casts the logits to a type that is not float');
        break; // precision only: the kernel keeps float32 logits
      case 'Identity':
      case 'Reshape':
        break;
      case 'Add':
        y = { a: y.a, b: plus(y.b, operand(other)) };
        break;
      case 'Sub':
        y = data === 0 ? { a: y.a, b: plus(y.b, times(operand(other), -1)) } : { a: -y.a, b: plus(times(y.b, -1), operand(other)) };
        break;
      case 'Mul':
      case 'Div': {
        const c = operand(other);
        if (typeof c !== 'number') refuse(`the head scales each vocabulary entry differently (${n.opType} by ${other})`);
        if (n.opType === 'Div' && data !== 0) refuse(`the head divides by the logits (${n.name})`);
        const k = n.opType === 'Mul' ? (c as number) : 1 / (c as number);
        y = { a: y.a * k, b: times(y.b, k) };
        break;
      }
      case 'Tanh':
        if (beforeTanh) refuse('the head applies Tanh twice');
        beforeTanh = y;
        y = { a: 1, b: 0 };
        break;
      default:
        refuse(`the head applies ${n.opType}, which the fused kernel cannot express`);
    }
    current = n.output?.[0] ?? '';
  }
  return { weightName, ...finish(weight, y, beforeTanh) };
}

/** z -> the kernel's parameters, from the affine steps before and after the Tanh (if any). */
function finish(weight: HeadWeight, y: Affine, beforeTanh: Affine | undefined): Omit<FusedHead, 'weightName'> {
  const vector = (b: number | Float64Array, a: number, tanh: boolean) => {
    // a number added without a Tanh after it is a constant per row: no softmax sees it
    if (typeof b === 'number' && (!tanh || b === 0)) return undefined;
    const out = typeof b === 'number' ? new Float32Array(weight.vocab).fill(b / a) : Float32Array.from(b, (x) => x / a);
    const bad = out.findIndex((x) => Number.isNaN(x) || x === Infinity);
    if (bad >= 0) refuse(`the head's bias is ${out[bad]} at entry ${bad}`);
    return out;
  };
  if (!Number.isFinite(y.a) || y.a <= 0) refuse(`the head scales the logits by ${y.a} (the fused kernel takes a positive scale)`);
  if (!beforeTanh) return { weight, bias: vector(y.b, y.a, false), softcap: 0, scale: y.a };
  if (typeof y.b !== 'number') refuse('the head adds a vector after the Tanh (the fused kernel adds its bias before the softcap)');
  if (!Number.isFinite(y.b)) refuse(`the head adds ${y.b} after the Tanh`);
  if (!Number.isFinite(beforeTanh.a) || beforeTanh.a <= 0) refuse(`the head scales the logits by ${beforeTanh.a} before the Tanh (the fused kernel takes a positive softcap)`);
  const softcap = 1 / beforeTanh.a;
  return { weight, bias: vector(beforeTanh.b, beforeTanh.a, true), softcap, scale: y.a / softcap };
}

const times = (b: number | Float64Array, k: number) => (typeof b === 'number' ? b * k : b.map((x) => x * k));
function plus(x: number | Float64Array, y: number | Float64Array): number | Float64Array {
  if (typeof x === 'number' && typeof y === 'number') return x + y;
  if (typeof x === 'number') return (y as Float64Array).map((v) => v + x);
  if (typeof y === 'number') return x.map((v) => v + y);
  return x.map((v, i) => v + y[i]);
}

/** The projection's weight in the kernel's form: [vocab, dim], or [dim, vocab] with transposed. */
function weightOf(p: NodeProto, constant: (name: string) => TensorProto, made: Map<string, NodeProto>, o: { view: boolean; dir?: string }): { weight: HeadWeight; weightName: string } {
  const b = p.input?.[1] ?? '';
  // [dim, vocab] as the projection reads it, unless Gemm's transB or a Transpose of an embedding flips it
  let flipped = p.opType === 'Gemm' && attr(p, 'transB')?.i === 1;
  let source = b;
  const t = made.get(b);
  if (t?.opType === 'Transpose') {
    const perm = attr(t, 'perm')?.ints;
    if (perm && perm.join() !== '1,0') refuse(`the head's weight is a Transpose with perm [${perm.join(', ')}]`);
    source = t.input?.[0] ?? '';
    flipped = !flipped;
  }
  const w = constant(source);
  const dims = w.dims ?? [];
  if (dims.length !== 2) refuse(`the head's weight ${source} has ${dims.length} dims, not 2`);
  const e = floatElements(w, o);
  if (!e || e.dtype === 'float64') refuse(`the head's weight ${source} is not float32, float16 or bfloat16`);
  const { dtype, data } = e as Exclude<typeof e, { dtype: 'float64' } | undefined>;
  // floatElements pairs a Float32Array with 'float32' and bits with the 16-bit dtypes
  const weight = (flipped ? { data, dtype, vocab: dims[0], dim: dims[1], transposed: false } : { data, dtype, vocab: dims[1], dim: dims[0], transposed: true }) as HeadWeight;
  return { weight, weightName: source };
}

/**
 * The head model with bytes of its own (the weight's shared with the fused head), so it can be
 * kept for the rare caller that wants logits (positionLogits) without keeping the whole model
 * file's buffer alive through views.
 */
export function ownedHeadModel(head: ModelProto, fused: FusedHead, dir: string | undefined): ModelProto {
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const own = (t: TensorProto): TensorProto => {
    const data = t.name === fused.weightName ? fused.weight.data : floatTypes.has(t.dataType ?? 0) ? floatElements(t, { view: false, dir })!.data : undefined;
    if (data) return { ...t, rawData: bytes(data), dataLocation: undefined, externalData: undefined };
    return t.rawData ? { ...t, rawData: t.rawData.slice() } : t;
  };
  const graph = head.graph!;
  const node = (graph.node ?? []).map((n) => ({ ...n, attribute: n.attribute?.map((a) => (a.t ? { ...a, t: own(a.t) } : a)) }));
  return { ...head, graph: { ...graph, node, initializer: (graph.initializer ?? []).map(own) } };
}
