// The parts of onnx.proto (ModelProto and what a graph is made of) that infogain reads or writes,
// as schemas for protobuf.ts and as TypeScript types. Field numbers are onnx.proto's.
import { decode, encode, type Message, type MessageSchema } from './protobuf';

/** TensorProto.DataType values infogain meets. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;

/** onnx.proto's AttributeProto.AttributeType values infogain writes. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7 } as const;

export interface StringStringEntry extends Message {
  key?: string;
  value?: string;
}

export interface Dimension extends Message {
  dimValue?: number;
  dimParam?: string;
}

export interface TensorTypeProto extends Message {
  elemType?: number;
  shape?: { dim?: Dimension[] } & Message;
}

export interface TypeProto extends Message {
  tensorType?: TensorTypeProto;
}

export interface ValueInfo extends Message {
  name?: string;
  type?: TypeProto;
  docString?: string;
}

export interface TensorProto extends Message {
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  name?: string;
  rawData?: Uint8Array;
  externalData?: StringStringEntry[];
  /** 1 = EXTERNAL */
  dataLocation?: number;
  doubleData?: number[];
}

export interface Attribute extends Message {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: Graph;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: Graph[];
}

export interface NodeProto extends Message {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: Attribute[];
  docString?: string;
}

export interface Graph extends Message {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  docString?: string;
  input?: ValueInfo[];
  output?: ValueInfo[];
  valueInfo?: ValueInfo[];
}

export interface OperatorSetId extends Message {
  domain?: string;
  version?: number;
}

export interface ModelProto extends Message {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: Graph;
  opsetImport?: OperatorSetId[];
  metadataProps?: StringStringEntry[];
}

const entry: MessageSchema = { name: 'StringStringEntryProto', fields: { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: 'string' } } };
const dimension: MessageSchema = { name: 'Dimension', fields: { 1: { name: 'dimValue', type: 'int64' }, 2: { name: 'dimParam', type: 'string' }, 3: { name: 'denotation', type: 'string' } } };
const shape: MessageSchema = { name: 'TensorShapeProto', fields: { 1: { name: 'dim', type: dimension, repeated: true } } };
const tensorType: MessageSchema = { name: 'TypeProto.Tensor', fields: { 1: { name: 'elemType', type: 'int32' }, 2: { name: 'shape', type: shape } } };
const typeProto: MessageSchema = { name: 'TypeProto', fields: { 1: { name: 'tensorType', type: tensorType }, 6: { name: 'denotation', type: 'string' } } };
const valueInfo: MessageSchema = { name: 'ValueInfoProto', fields: { 1: { name: 'name', type: 'string' }, 2: { name: 'type', type: typeProto }, 3: { name: 'docString', type: 'string' } } };
const tensor: MessageSchema = {
  name: 'TensorProto',
  fields: {
    1: { name: 'dims', type: 'int64', repeated: true },
    2: { name: 'dataType', type: 'int32' },
    4: { name: 'floatData', type: 'float', repeated: true, packed: true },
    5: { name: 'int32Data', type: 'int32', repeated: true, packed: true },
    7: { name: 'int64Data', type: 'int64', repeated: true, packed: true },
    8: { name: 'name', type: 'string' },
    12: { name: 'docString', type: 'string' },
    9: { name: 'rawData', type: 'bytes' },
    13: { name: 'externalData', type: entry, repeated: true },
    14: { name: 'dataLocation', type: 'int32' },
    10: { name: 'doubleData', type: 'double', repeated: true, packed: true },
  },
};
const attribute: MessageSchema = { name: 'AttributeProto', fields: {} };
const node: MessageSchema = {
  name: 'NodeProto',
  fields: {
    1: { name: 'input', type: 'string', repeated: true },
    2: { name: 'output', type: 'string', repeated: true },
    3: { name: 'name', type: 'string' },
    4: { name: 'opType', type: 'string' },
    7: { name: 'domain', type: 'string' },
    5: { name: 'attribute', type: attribute, repeated: true },
    6: { name: 'docString', type: 'string' },
  },
};
const graph: MessageSchema = {
  name: 'GraphProto',
  fields: {
    1: { name: 'node', type: node, repeated: true },
    2: { name: 'name', type: 'string' },
    5: { name: 'initializer', type: tensor, repeated: true },
    10: { name: 'docString', type: 'string' },
    11: { name: 'input', type: valueInfo, repeated: true },
    12: { name: 'output', type: valueInfo, repeated: true },
    13: { name: 'valueInfo', type: valueInfo, repeated: true },
  },
};
// attributes hold tensors and subgraphs (the If branches of merged decoders): filled in after graph exists
Object.assign(attribute.fields, {
  1: { name: 'name', type: 'string' },
  20: { name: 'type', type: 'int32' },
  2: { name: 'f', type: 'float' },
  3: { name: 'i', type: 'int64' },
  4: { name: 's', type: 'bytes' },
  5: { name: 't', type: tensor },
  6: { name: 'g', type: graph },
  7: { name: 'floats', type: 'float', repeated: true },
  8: { name: 'ints', type: 'int64', repeated: true },
  9: { name: 'strings', type: 'bytes', repeated: true },
  10: { name: 'tensors', type: tensor, repeated: true },
  11: { name: 'graphs', type: graph, repeated: true },
  13: { name: 'docString', type: 'string' },
  21: { name: 'refAttrName', type: 'string' },
});
const opset: MessageSchema = { name: 'OperatorSetIdProto', fields: { 1: { name: 'domain', type: 'string' }, 2: { name: 'version', type: 'int64' } } };
const model: MessageSchema = {
  name: 'ModelProto',
  fields: {
    1: { name: 'irVersion', type: 'int64' },
    8: { name: 'opsetImport', type: opset, repeated: true },
    2: { name: 'producerName', type: 'string' },
    3: { name: 'producerVersion', type: 'string' },
    4: { name: 'domain', type: 'string' },
    5: { name: 'modelVersion', type: 'int64' },
    6: { name: 'docString', type: 'string' },
    7: { name: 'graph', type: graph },
    14: { name: 'metadataProps', type: entry, repeated: true },
  },
};

// the graph's inputs, outputs, initializer names and nodes' operators (subgraphs included) only:
// weights and everything else are skipped unread
const tensorName: MessageSchema = { name: 'TensorProto', fields: { 8: { name: 'name', type: 'string' } } };
const graphSignature: MessageSchema = { name: 'GraphProto', fields: {} };
const attributeSignature: MessageSchema = { name: 'AttributeProto', fields: { 6: { name: 'g', type: graphSignature }, 11: { name: 'graphs', type: graphSignature, repeated: true } } };
const nodeSignature: MessageSchema = { name: 'NodeProto', fields: { 4: node.fields[4], 7: node.fields[7], 5: { name: 'attribute', type: attributeSignature, repeated: true } } };
Object.assign(graphSignature.fields, { 1: { name: 'node', type: nodeSignature, repeated: true }, 5: { name: 'initializer', type: tensorName, repeated: true }, 11: graph.fields[11], 12: graph.fields[12] });
const modelSignature: MessageSchema = { name: 'ModelProto', fields: { 7: { name: 'graph', type: graphSignature } } };

/** A ModelProto with only what layout detection reads: inputs, outputs, initializer names, operators. */
export function decodeSignature(bytes: Uint8Array): ModelProto {
  return decode(modelSignature, bytes) as ModelProto;
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  return decode(model, bytes) as ModelProto;
}

export function encodeModel(m: ModelProto): Uint8Array {
  return encode(model, m);
}
