// Which decoder layout an ONNX causal LM uses, read from its graph's inputs and outputs:
//  - plain:  input_ids [, attention_mask] [, position_ids] -> logits [batch, length, vocab]
//  - past:   the above + past_key_values.N.key / .value [batch, kv_heads, past, head_dim]
//            -> logits + present.N.key / .value (Hugging Face optimum / onnx-community exports),
//            optionally with a boolean use_cache_branch (optimum's merged decoders).
// Anything else is ERR_INFOGAIN_MODEL naming what was expected and what was found.
import { codes, plainError } from '../errors';
import { DataType, type Graph, type ValueInfo } from '../onnx/proto';

export type TensorType = 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'bool';

export interface ModelLayout {
  kind: 'plain' | 'past';
  /** A merged decoder: takes use_cache_branch. */
  merged: boolean;
  ids: 'int64' | 'int32';
  hasMask: boolean;
  hasPositions: boolean;
  /** 'past' only: layers, KV heads per layer and head size of the cache, and its element type. */
  layers: number;
  kvHeads: number;
  headDim: number;
  cache: 'float32' | 'float16';
  logits: 'float32' | 'float16' | 'bfloat16';
  /** The vocabulary when the graph states it (the last dim of logits), else undefined. */
  vocab?: number;
  /**
   * Whether sequences of different lengths may share a pass (padding hidden by the attention
   * mask). Fused attention operators of onnxruntime (GroupQueryAttention, ...) take sequence
   * lengths from the mask's sums and assume their own padding: such models get one sequence a pass.
   */
  padding: boolean;
}

/** onnxruntime's fused attention operators, which read the attention mask as lengths. */
const fusedAttention = new Set(['GroupQueryAttention', 'MultiHeadAttention', 'Attention', 'PackedAttention', 'SparseAttention']);

function usesFusedAttention(graph: Graph): boolean {
  return (graph.node ?? []).some((n) => (fusedAttention.has(n.opType ?? '') && (n.domain ?? '') === 'com.microsoft') || (n.attribute ?? []).some((a) => (a.g && usesFusedAttention(a.g)) || (a.graphs ?? []).some(usesFusedAttention)));
}

const typeNames: Record<number, TensorType> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.BFLOAT16]: 'bfloat16',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.BOOL]: 'bool',
};

export function tensorTypeOf(v: ValueInfo | undefined): TensorType | undefined {
  const t = v?.type?.tensorType?.elemType;
  return t === undefined ? undefined : typeNames[t];
}

/** Static dims as numbers, symbolic or unknown ones as undefined. */
export function dimsOf(v: ValueInfo | undefined): (number | undefined)[] | undefined {
  return v?.type?.tensorType?.shape?.dim?.map((d) => (d.dimValue !== undefined && d.dimParam === undefined ? d.dimValue : undefined));
}

const pastName = /^past_key_values\.(\d+)\.(key|value)$/;
const presentName = /^present\.(\d+)\.(key|value)$/;

const expected =
  'expected inputs input_ids [, attention_mask] [, position_ids] [, past_key_values.N.key and .value for every layer N [, use_cache_branch]] ' +
  'and outputs logits [, present.N.key and .value]';

export function detectLayout(graph: Graph): ModelLayout {
  const inputs = new Map((graph.input ?? []).map((v) => [v.name ?? '', v]));
  // initializers listed as inputs (older exports) are not inputs the caller feeds
  for (const t of graph.initializer ?? []) inputs.delete(t.name ?? '');
  const outputs = new Map((graph.output ?? []).map((v) => [v.name ?? '', v]));
  const found = `found inputs [${[...inputs.keys()].join(', ')}] and outputs [${[...outputs.keys()].join(', ')}]`;
  const fail = (why: string) => plainError(codes.model, `${why}; ${expected}; ${found}`);

  if (!inputs.has('input_ids') || !outputs.has('logits')) throw fail("the model does not take 'input_ids' and give 'logits'");
  const pastLayers = new Set<number>(), unknown: string[] = [];
  for (const name of inputs.keys()) {
    const m = pastName.exec(name);
    if (m) pastLayers.add(Number(m[1]));
    else if (!['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch'].includes(name)) unknown.push(name);
  }
  if (unknown.length) throw fail(`the model needs inputs infogain does not provide: ${unknown.join(', ')}`);

  const ids = tensorTypeOf(inputs.get('input_ids'));
  if (ids !== 'int64' && ids !== 'int32') throw fail(`input_ids is ${ids ?? 'of unknown type'}, not int64 or int32`);
  const logitsType = tensorTypeOf(outputs.get('logits'));
  if (logitsType !== 'float32' && logitsType !== 'float16' && logitsType !== 'bfloat16') throw fail(`logits are ${logitsType ?? 'of unknown type'}, not float32, float16 or bfloat16`);
  const logitsDims = dimsOf(outputs.get('logits'));
  if (logitsDims && logitsDims.length !== 3) throw fail(`logits have ${logitsDims.length} dimensions, not [batch, length, vocab]`);
  const base = {
    merged: false,
    ids,
    hasMask: inputs.has('attention_mask'),
    hasPositions: inputs.has('position_ids'),
    logits: logitsType,
    vocab: logitsDims?.[2],
    padding: !usesFusedAttention(graph),
  } as const;

  if (pastLayers.size === 0) {
    if (inputs.has('use_cache_branch')) throw fail('use_cache_branch without past_key_values inputs');
    return { ...base, kind: 'plain', layers: 0, kvHeads: 0, headDim: 0, cache: 'float32' };
  }
  if (!base.hasMask) throw fail('a model with past_key_values must take attention_mask (its length tells the model the past length)');
  const layers = pastLayers.size;
  let kvHeads = 0, headDim = 0, cache: TensorType | undefined;
  for (let l = 0; l < layers; l++)
    for (const kv of ['key', 'value']) {
      const name = `past_key_values.${l}.${kv}`;
      const v = inputs.get(name);
      if (!v) throw fail(`${name} is missing (layers must be numbered 0..${layers - 1})`);
      if (!outputs.has(`present.${l}.${kv}`)) throw fail(`present.${l}.${kv} is missing`);
      const d = dimsOf(v);
      if (!d || d.length !== 4 || d[1] === undefined || d[3] === undefined)
        throw fail(`${name} must have shape [batch, kv_heads, past, head_dim] with kv_heads and head_dim fixed numbers`);
      const t = tensorTypeOf(v);
      if (l === 0 && kv === 'key') [kvHeads, headDim, cache] = [d[1], d[3], t];
      else if (d[1] !== kvHeads || d[3] !== headDim || t !== cache) throw fail(`${name} is [${d}] ${t}, unlike past_key_values.0.key [_, ${kvHeads}, _, ${headDim}] ${cache}`);
    }
  for (const name of outputs.keys()) {
    const m = presentName.exec(name);
    if (m && !pastLayers.has(Number(m[1]))) throw fail(`${name} has no matching past_key_values input`);
  }
  if (cache !== 'float32' && cache !== 'float16') throw fail(`the cache is ${cache ?? 'of unknown type'}, not float32 or float16`);
  const merged = inputs.has('use_cache_branch');
  if (merged && tensorTypeOf(inputs.get('use_cache_branch')) !== 'bool') throw fail('use_cache_branch must be a bool tensor');
  return { ...base, kind: 'past', merged, layers, kvHeads, headDim, cache };
}
