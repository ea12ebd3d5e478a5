// A Llama-style decoder (RMSNorm, rotary positions, grouped-query attention, SwiGLU, untied head)
// with random weights, written straight to ONNX protobuf (no Python), in the layouts Hugging Face
// optimum / onnx-community exports use:
//   plain:   input_ids, attention_mask, position_ids -> logits
//   past:    + past_key_values.N.key / .value -> logits, present.N.key / .value
//   merged:  past + use_cache_branch (an If over the with-past and the no-past decoder)
// Every layout of one seed holds the same weights, so they must give the same log-probs.
// (No command-line entry: `node --test test/` runs every .mjs under test/, helpers included.)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { int64s, model, node, tensor, valueInfo } from '../../dist/onnx/build.js';
import { encodeModel } from '../../dist/onnx/proto.js';
import { toFloat16 } from '../../dist/index.js';

export const realisticShape = { vocab: 151936, width: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 192, maxLength: 4096 };
export const layouts = ['plain', 'past', 'merged'];
export const headForms = ['matmul', 'tied', 'transposed', 'softcap', 'gemm', 'scaled'];

const FLOAT = 1, INT64 = 7, BOOL = 9, FLOAT16 = 10;

/** xorshift32 normal(0, std) weights: deterministic per seed. */
function randomNormal(n, std, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform())), t = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(t) * std;
    if (i + 1 < n) out[i + 1] = r * Math.sin(t) * std;
  }
  return out;
}

function weights(shape, seed) {
  const { vocab: V, width: D, layers, heads: H, kvHeads: KV, ffn: F } = shape;
  const hd = D / H;
  let k = seed * 1000;
  const w = (n, std) => randomNormal(n, std, ++k);
  const ones = (n) => new Float32Array(n).fill(1);
  return {
    embed: w(V * D, 1),
    layers: Array.from({ length: layers }, () => ({
      norm1: ones(D), q: w(D * H * hd, 0.3), k: w(D * KV * hd, 0.3), v: w(D * KV * hd, 0.3), o: w(H * hd * D, 0.3),
      norm2: ones(D), gate: w(D * F, 0.2), up: w(D * F, 0.2), down: w(F * D, 0.2),
    })),
    norm: ones(D),
    // a head with some spread: random logits with a few nats of range, not a flat distribution
    head: w(D * V, 0.5),
    bias: w(V, 1),
  };
}

/**
 * The decoder graph's nodes and initializers. `past`: concatenate past_key_values before attention.
 * `p(name)` prefixes value names (If branches must not reuse the names of the outer graph).
 */
function decoder(shape, dtype, { past, p = (n) => n, skipInitializers = false, w, head = 'matmul', positionIds = true }) {
  const { vocab: V, width: D, layers, heads: H, kvHeads: KV, ffn: F } = shape;
  const hd = D / H, g = H / KV;
  const T = dtype === 'float16' ? FLOAT16 : FLOAT;
  const data = (a) => (dtype === 'float16' ? toFloat16(a) : a);
  const nodes = [], inits = [];
  const init = (name, dims, values, type) => {
    if (!skipInitializers) inits.push(type === undefined ? tensor(name, dims, data(values), T) : tensor(name, dims, values, type));
    return name;
  };
  const named = new Set();
  const constI = (name, values) => {
    if (!skipInitializers && !named.has(name)) inits.push(int64s(name, values));
    named.add(name);
    return name;
  };
  const scalarI = (name, value) => {
    if (!skipInitializers && !named.has(name)) inits.push(tensor(name, [], BigInt64Array.of(BigInt(value))));
    named.add(name);
    return name;
  };
  const add = (op, inputs, attrs = {}) => {
    const out = p(`${op}_${nodes.length}`);
    nodes.push(node(op, inputs, [out], attrs));
    return out;
  };

  const embed = init('model.embed_tokens.weight', [V, D], w.embed);
  let x = add('Gather', [embed, 'input_ids'], { axis: 0 });

  const shapeIds = add('Shape', ['input_ids']);
  const s = add('Gather', [shapeIds, constI('one', [1])], { axis: 0 });
  // without a position_ids input, positions count the attended tokens: cumsum(attention_mask) - 1, last s
  const positions = positionIds
    ? 'position_ids'
    : add('Slice', [add('Sub', [add('CumSum', ['attention_mask', scalarI('cumsum_axis', 1)]), constI('one', [1])]), add('Neg', [s]), constI('int_max', [2 ** 53]), constI('axis_1', [1])]);
  // rotary angles in float32 from the positions: [b, 1, s, hd]
  const invFreq = Float32Array.from({ length: hd / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / hd));
  if (!skipInitializers) inits.push(tensor('rotary.inv_freq', [hd / 2], invFreq));
  const pos = add('Unsqueeze', [add('Cast', [positions], { to: FLOAT }), constI('axes_last', [-1])]);
  const freqs = add('Mul', [pos, 'rotary.inv_freq']);
  const emb = add('Concat', [freqs, freqs], { axis: -1 });
  const toT = (v) => (T === FLOAT ? v : add('Cast', [v], { to: T }));
  const cos = toT(add('Unsqueeze', [add('Cos', [emb]), constI('axes_1', [1])]));
  const sin = toT(add('Unsqueeze', [add('Sin', [emb]), 'axes_1']));

  // additive mask [b, 1, s, total]: causal in cache index space, and the attention mask
  const total = add('Gather', [add('Shape', ['attention_mask']), 'one'], { axis: 0 });
  const zero = constI('zero', [0]);
  const step = constI('step', [1]);
  const keyIdx = add('Range', [add('Squeeze', [zero]), add('Squeeze', [total]), add('Squeeze', [step])]);
  const pastLen = add('Sub', [total, s]);
  const qIdx = add('Add', [add('Range', [add('Squeeze', [zero]), add('Squeeze', [s]), add('Squeeze', [step])]), pastLen]);
  const causal = add('LessOrEqual', [keyIdx, add('Unsqueeze', [qIdx, 'axes_last'])]);
  const padOk = add('Cast', [add('Unsqueeze', ['attention_mask', constI('axes_12', [1, 2])])], { to: BOOL });
  const allowed = add('And', [causal, padOk]);
  const minVal = init('mask_min', [], Float32Array.of(dtype === 'float16' ? -65504 : -3.4028234663852886e38));
  const zeroT = init('zero_t', [], Float32Array.of(0));
  const bias = add('Tile', [add('Where', [allowed, zeroT, minVal]), constI('tile_g', [1, 1, g, 1])]);

  const eps = init('rms_eps', [], Float32Array.of(1e-6), FLOAT);
  const two = init('two', [], Float32Array.of(2), FLOAT);
  const rms = (v, weight) => {
    const v32 = T === FLOAT ? v : add('Cast', [v], { to: FLOAT });
    const ms = add('ReduceMean', [add('Pow', [v32, two])], { axes: [-1], keepdims: 1 });
    const normed = add('Mul', [v32, add('Reciprocal', [add('Sqrt', [add('Add', [ms, eps])])])]);
    return add('Mul', [toT(normed), weight]);
  };
  const half = constI('halves', [hd / 2, hd / 2]);
  const rope = (v) => {
    const split = p(`Split_${nodes.length}`);
    nodes.push(node('Split', [v, half], [split + '_a', split + '_b'], { axis: -1 }));
    const rotated = add('Concat', [add('Neg', [split + '_b']), split + '_a'], { axis: -1 });
    return add('Add', [add('Mul', [v, cos]), add('Mul', [rotated, sin])]);
  };
  const heads = (v, n) => add('Transpose', [add('Reshape', [v, constI(`shape_${n}`, [0, 0, n, hd])])], { perm: [0, 2, 1, 3] });
  const scale = init('attn_scale', [], Float32Array.of(1 / Math.sqrt(hd)));
  const presents = [];

  for (let l = 0; l < layers; l++) {
    const lw = w.layers[l], name = (n) => `model.layers.${l}.${n}`;
    const h = rms(x, init(name('input_layernorm.weight'), [D], lw.norm1));
    const q = rope(heads(add('MatMul', [h, init(name('self_attn.q_proj.weight'), [D, H * hd], lw.q)]), H));
    let k = rope(heads(add('MatMul', [h, init(name('self_attn.k_proj.weight'), [D, KV * hd], lw.k)]), KV));
    let v = heads(add('MatMul', [h, init(name('self_attn.v_proj.weight'), [D, KV * hd], lw.v)]), KV);
    if (past) {
      k = add('Concat', [`past_key_values.${l}.key`, k], { axis: 2 });
      v = add('Concat', [`past_key_values.${l}.value`, v], { axis: 2 });
    }
    presents.push(k, v);
    // grouped-query attention without copying K/V: queries of one KV head side by side
    const qg = add('Reshape', [q, constI('shape_qg', [0, KV, -1, hd])]);
    const scores = add('Add', [add('Mul', [add('MatMul', [qg, add('Transpose', [k], { perm: [0, 1, 3, 2] })]), scale]), bias]);
    const attn = add('MatMul', [add('Softmax', [scores], { axis: -1 }), v]);
    const merged = add('Reshape', [add('Transpose', [add('Reshape', [attn, constI('shape_h', [0, H, -1, hd])])], { perm: [0, 2, 1, 3] }), constI('shape_d', [0, 0, H * hd])]);
    x = add('Add', [x, add('MatMul', [merged, init(name('self_attn.o_proj.weight'), [H * hd, D], lw.o)])]);
    const h2 = rms(x, init(name('post_attention_layernorm.weight'), [D], lw.norm2));
    const gate = add('MatMul', [h2, init(name('mlp.gate_proj.weight'), [D, F], lw.gate)]);
    const up = add('MatMul', [h2, init(name('mlp.up_proj.weight'), [D, F], lw.up)]);
    const act = add('Mul', [add('Mul', [gate, add('Sigmoid', [gate])]), up]);
    x = add('Add', [x, add('MatMul', [act, init(name('mlp.down_proj.weight'), [F, D], lw.down)])]);
  }
  const final = rms(x, init('model.norm.weight', [D], w.norm));
  let logits;
  if (head === 'tied') {
    // Gemm on 2-D rows with the embedding itself (transB), reshaped back to [b, s, vocab]
    const rows = add('Reshape', [final, constI('shape_rows', [-1, D])]);
    const flat = add('Gemm', [rows, embed], { transB: 1 });
    logits = add('Reshape', [flat, add('Concat', [shapeIds, constI('vocab', [V])], { axis: 0 })]);
  } else if (head === 'transposed') {
    // tied embedding through an explicit Transpose, then MatMul
    logits = add('MatMul', [final, add('Transpose', [embed], { perm: [1, 0] })]);
  } else if (head === 'softcap') {
    // Gemma-2 style: cap * tanh(logits / cap), after a bias
    const cap = init('softcap', [], Float32Array.of(5));
    const biased = add('Add', [add('MatMul', [final, init('lm_head.weight', [D, V], w.head)]), init('lm_head.bias', [V], w.bias)]);
    logits = add('Mul', [add('Tanh', [add('Div', [biased, cap])]), cap]);
  } else if (head === 'gemm') {
    // Gemm on 2-D rows: alpha * rows · W + beta * bias, reshaped back to [b, s, vocab]
    const rows = add('Reshape', [final, constI('shape_rows', [-1, D])]);
    const flat = add('Gemm', [rows, init('lm_head.weight', [D, V], w.head), init('lm_head.bias', [1, V], w.bias)], { alpha: 0.75, beta: 1.5 });
    logits = add('Reshape', [flat, add('Concat', [shapeIds, constI('vocab', [V])], { axis: 0 })]);
  } else if (head === 'scaled') {
    // a logit scale and shifts by constants (Cohere-style), and a Cast that changes nothing: (3 - x · W / 2) * -1.5 + 1
    const x = add('Div', [add('MatMul', [final, init('lm_head.weight', [D, V], w.head)]), init('half', [1], Float32Array.of(2))]);
    const flipped = add('Sub', [init('three', [], Float32Array.of(3)), x]);
    logits = add('Add', [add('Mul', [add('Cast', [flipped], { to: T }), init('minus_scale', [1, 1, 1], Float32Array.of(-1.5))]), init('one_t', [], Float32Array.of(1))]);
  } else logits = add('MatMul', [final, init('lm_head.weight', [D, V], w.head)]);
  return { nodes, inits, logits, presents, T };
}

/**
 * One layout's ModelProto. `head`: 'matmul' (an untied lm_head), 'tied' (Gemm with the embedding,
 * transB, between reshapes), 'transposed' (MatMul with Transpose(embedding)), 'softcap' (bias,
 * then cap * tanh(x / cap)), 'gemm' (Gemm with alpha, beta and a bias) or 'scaled' (scalings and
 * shifts by constants, one of them negative, and an identity Cast). `positionIds` false:
 * no position_ids input (positions from the attention mask, as some exports do).
 */
export function buildModel(layout, { shape = realisticShape, dtype = 'float32', seed = 1, head = 'matmul', positionIds = true } = {}) {
  const w = weights(shape, seed);
  const { width: D, layers, heads: H, kvHeads: KV, vocab: V } = shape;
  const hd = D / H;
  const T = dtype === 'float16' ? FLOAT16 : FLOAT;
  const inputs = [
    valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', INT64, ['batch_size', layout === 'plain' ? 'sequence_length' : 'total_sequence_length']),
    ...(positionIds ? [valueInfo('position_ids', INT64, ['batch_size', 'sequence_length'])] : []),
  ];
  const outputs = [valueInfo('logits', T, ['batch_size', 'sequence_length', V])];
  if (layout !== 'plain') {
    for (let l = 0; l < layers; l++)
      for (const kv of ['key', 'value']) {
        inputs.push(valueInfo(`past_key_values.${l}.${kv}`, T, ['batch_size', KV, 'past_sequence_length', hd]));
        outputs.push(valueInfo(`present.${l}.${kv}`, T, ['batch_size', KV, 'total_sequence_length', hd]));
      }
  }
  const rename = (nodes, from, to) => {
    for (const n of nodes) for (const list of [n.input, n.output]) list.forEach((v, i) => v === from && (list[i] = to));
  };
  let graph;
  if (layout !== 'merged') {
    const d = decoder(shape, dtype, { past: layout === 'past', w, head, positionIds });
    rename(d.nodes, d.logits, 'logits');
    if (layout === 'past') d.presents.forEach((v, i) => rename(d.nodes, v, `present.${i >> 1}.${i & 1 ? 'value' : 'key'}`));
    graph = { name: `llama-${layout}`, node: d.nodes, initializer: d.inits, input: inputs, output: outputs };
  } else {
    inputs.push(valueInfo('use_cache_branch', BOOL, [1]));
    const branch = (past, tag) => {
      const d = decoder(shape, dtype, { past, p: (n) => `${tag}/${n}`, w, head, positionIds, skipInitializers: past === false });
      const outs = [d.logits, ...d.presents];
      return { d, graph: { name: tag, node: d.nodes, output: outs.map((o) => valueInfo(o, T)) } };
    };
    const withPast = branch(true, 'with_past'), noPast = branch(false, 'no_past');
    graph = {
      name: 'llama-merged',
      node: [node('If', ['use_cache_branch'], outputs.map((o) => o.name), { then_branch: withPast.graph, else_branch: noPast.graph })],
      initializer: withPast.d.inits,
      input: inputs,
      output: outputs,
    };
  }
  return model(graph, { '': 17 });
}

/** Writes the layouts (model-plain.onnx, model-past.onnx, model-merged.onnx; -fp16 for float16) and config.json to dir. */
export function writeTestModels(dir, opts = {}) {
  const shape = opts.shape ?? realisticShape;
  mkdirSync(dir, { recursive: true });
  const paths = {};
  for (const layout of opts.layouts ?? layouts) {
    paths[layout] = join(dir, `model-${layout}${opts.dtype === 'float16' ? '-fp16' : ''}${opts.positionIds === false ? '-nopos' : ''}${opts.head && opts.head !== 'matmul' ? `-${opts.head}` : ''}.onnx`);
    writeFileSync(paths[layout], encodeModel(buildModel(layout, { ...opts, shape })));
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: shape.vocab, hidden_size: shape.width, num_hidden_layers: shape.layers, num_attention_heads: shape.heads, num_key_value_heads: shape.kvHeads, max_position_embeddings: shape.maxLength }, null, 2));
  return paths;
}

/**
 * Writes `m` to `path` with the initializers `names` moved to `data/weights.bin` beside it (ONNX
 * external data), after `lead` bytes of something else (so offsets are not 0).
 */
export function writeWithExternalData(m, path, names, lead = 0) {
  mkdirSync(join(dirname(path), 'data'), { recursive: true });
  const chunks = [Buffer.alloc(lead, 7)];
  let offset = lead;
  for (const t of m.graph.initializer) {
    if (!names.includes(t.name)) continue;
    chunks.push(Buffer.from(t.rawData));
    t.externalData = [{ key: 'location', value: 'data/weights.bin' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(t.rawData.length) }];
    t.dataLocation = 1;
    offset += t.rawData.length;
    delete t.rawData;
  }
  writeFileSync(join(dirname(path), 'data', 'weights.bin'), Buffer.concat(chunks));
  writeFileSync(path, encodeModel(m));
  return path;
}
