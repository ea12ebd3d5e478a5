// Builds small ONNX models in memory (a minimal protobuf writer), so the benchmarks can run the
// same computation in onnxruntime-node without files or Python.
'use strict';

const varint = (n) => {
  const out = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
};
const key = (field, wire) => varint((field << 3) | wire);
const int = (field, n) => [...key(field, 0), ...varint(n)];
const bytes = (field, b) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field, s) => bytes(field, [...Buffer.from(s, 'utf8')]);
const msg = (field, parts) => bytes(field, parts.flat());

const elemType = { float32: 1, uint16: 4, int32: 6, int64: 7, float16: 10, bfloat16: 16 };

function valueInfo(field, name, type, dims) {
  const dimMsgs = dims.map((d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]));
  const tensorType = msg(1, [int(1, elemType[type]), msg(2, dimMsgs)]);
  return msg(field, [str(1, name), msg(2, [tensorType])]);
}

/** node(opType, inputs, outputs, { attrName: integer | integer[] }) */
function node(opType, inputs, outputs, attrs = {}) {
  const attrMsgs = Object.entries(attrs).map(([name, v]) =>
    Array.isArray(v) ? msg(5, [str(1, name), ...v.map((x) => int(8, x)), int(20, 7)]) : msg(5, [str(1, name), int(3, v), int(20, 2)]),
  );
  return msg(1, [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(4, opType), ...attrMsgs]);
}

/** initializer(name, int64 values): a constant 1-D int64 tensor (e.g. the axes input of ReduceSum). */
function initializer(name, values) {
  return msg(5, [int(1, values.length), int(2, elemType.int64), ...values.flatMap((v) => int(7, v)), str(8, name)]);
}

/**
 * externalInitializer(name, dims, file): a float32 constant whose bytes lie in `file` (relative to
 * the model file), as large weights are stored; the session must then be created from a model path.
 */
function externalInitializer(name, dims, file) {
  const entry = (k, v) => msg(13, [str(1, k), str(2, v)]);
  return msg(5, [...dims.flatMap((d) => int(1, d)), int(2, elemType.float32), str(8, name), entry('location', file), int(14, 1)]);
}

/**
 * model({ inputs: [[name, type, dims]], outputs: [[name, type, dims]], nodes: [node(...)],
 *         initializers?: [initializer(...)] }) -> Uint8Array of an ONNX ModelProto (IR 8, opset 17).
 */
function model({ inputs, outputs, nodes, initializers = [] }) {
  const graph = msg(7, [...nodes, str(2, 'g'), ...initializers, ...inputs.map((i) => valueInfo(11, ...i)), ...outputs.map((o) => valueInfo(12, ...o))]);
  return Uint8Array.from([...int(1, 8), ...str(2, 'infogain-bench'), ...graph, ...msg(8, [str(1, ''), int(2, 17)])]);
}

module.exports = { externalInitializer, initializer, model, node };
