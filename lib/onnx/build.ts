// Small constructors for ONNX graph pieces: used to write the head model the scorer splits off a
// decoder, and by the test-model generator.
import { AttributeType, DataType, type Attribute, type Graph, type ModelProto, type NodeProto, type TensorProto, type ValueInfo } from './proto';

export type AttributeValue = number | number[] | string | TensorProto | Graph;

/** A node; integer-valued numbers become INT attributes, others FLOAT; an Attribute object is taken as it is. */
export function node(opType: string, input: string[], output: string[], attrs: Record<string, AttributeValue | Attribute> = {}, domain?: string): NodeProto {
  const attribute = Object.entries(attrs).map(([name, v]) => attribute_(name, v));
  return { opType, input, output, name: `${opType}_${output[0]}`, ...(attribute.length ? { attribute } : {}), ...(domain ? { domain } : {}) };
}

function attribute_(name: string, v: AttributeValue | Attribute): Attribute {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return v.every(Number.isInteger) ? { name, type: AttributeType.INTS, ints: v } : { name, type: AttributeType.FLOATS, floats: v };
  if ('dataType' in v) return { name, type: AttributeType.TENSOR, t: v as TensorProto };
  if ('node' in v || 'output' in v) return { name, type: AttributeType.GRAPH, g: v as Graph };
  return { ...(v as Attribute), name };
}

/** A tensor holding `data` as raw little-endian bytes. */
export function tensor(name: string, dims: number[], data: Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array, dataType?: number): TensorProto {
  const type =
    dataType ??
    (data instanceof Float32Array ? DataType.FLOAT : data instanceof BigInt64Array ? DataType.INT64 : data instanceof Int32Array ? DataType.INT32 : data instanceof Uint16Array ? DataType.FLOAT16 : DataType.UINT8);
  return { name, dims, dataType: type, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export const int64s = (name: string, values: number[]) => tensor(name, [values.length], BigInt64Array.from(values, BigInt));

/** A tensor-typed graph input or output; a string dim is symbolic, null unknown. */
export function valueInfo(name: string, elemType: number, dims?: (number | string | null)[]): ValueInfo {
  const tensorType = dims === undefined ? { elemType } : { elemType, shape: { dim: dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } };
  return { name, type: { tensorType } };
}

export function model(graph: Graph, opsets: Record<string, number> = { '': 17 }): ModelProto {
  return {
    irVersion: 8,
    producerName: 'infogain',
    graph,
    opsetImport: Object.entries(opsets).map(([domain, version]) => (domain ? { domain, version } : { version })),
  };
}
