// Splits a decoder's vocabulary projection (the "head") off its graph, so the scorer computes
// logits only for the rows it scores: the trunk outputs the hidden state of every position, and a
// second tiny model maps gathered hidden rows [n, width] to logits [n, vocab].
//
// The head is found by walking back from `logits` through row-wise steps (Cast, Reshape,
// Identity, Tanh, and Add / Sub / Mul / Div with a constant of shape [..1, k]: bias, scaling,
// soft-capping) to a MatMul, Gemm or MatMulNBits whose other inputs are constant (an initializer,
// or e.g. a Transpose of the tied embedding). Reshape and Identity are dropped in the head: rows
// are rows whatever the batch shape. A merged decoder (an If over use_cache_branch) has its head
// in both branches; both are cut, and the head must be the same in each.
import { model as modelOf, valueInfo } from '../onnx/build';
import { constantTest, findInitializer, producers, prune } from '../onnx/graph';
import { DataType, type Graph, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto';
import { tensorTypeOf, type TensorType } from './layout';

export interface HeadSplit {
  /** The decoder without its head: output `hidden` replaces logits. */
  trunk: ModelProto;
  /** hidden [n, width] -> logits [n, vocab]. */
  head: ModelProto;
  /** The trunk's output that holds the hidden rows. */
  hidden: string;
  hiddenType: TensorType;
  width: number;
  vocab: number;
}

const projections = new Set(['MatMul', 'Gemm', 'MatMulNBits']);
const rowwise = new Set(['Cast', 'Reshape', 'Identity', 'Tanh', 'Add', 'Sub', 'Mul', 'Div']);
const dropped = new Set(['Reshape', 'Identity']);

interface Chain {
  /** From the projection to the node that makes logits. */
  nodes: NodeProto[];
  hidden: string;
  width: number;
  vocab: number;
  hiddenType: TensorType;
}

const attr = (n: NodeProto, name: string) => (n.attribute ?? []).find((a) => a.name === name);

/** The dims of a constant operand: an initializer or a Constant node's tensor. */
function constantDims(name: string, graphs: Graph[]): number[] | undefined {
  const t = findInitializer(graphs, name);
  if (t) return t.dims ?? [];
  for (const g of graphs) {
    const n = producers(g).get(name);
    if (n?.opType === 'Constant') return attr(n, 'value')?.t?.dims ?? undefined;
  }
  return undefined;
}

/** [rows, cols] of the projection's weight as the MatMul sees it, and its element type. */
function weightOf(n: NodeProto, graphs: Graph[]): { width: number; vocab: number; type?: number } | undefined {
  if (n.opType === 'MatMulNBits') {
    const K = attr(n, 'K')?.i, N = attr(n, 'N')?.i;
    const scales = findInitializer(graphs, n.input?.[2] ?? '');
    return K && N ? { width: K, vocab: N, type: scales?.dataType } : undefined;
  }
  const b = n.input?.[1] ?? '';
  let t: TensorProto | undefined = findInitializer(graphs, b);
  let transposed = n.opType === 'Gemm' && attr(n, 'transB')?.i === 1;
  if (!t) {
    // a tied embedding used through Transpose(E)
    for (const g of graphs) {
      const p = producers(g).get(b);
      if (p?.opType === 'Transpose' && (!attr(p, 'perm') || attr(p, 'perm')!.ints!.join() === '1,0')) {
        t = findInitializer(graphs, p.input?.[0] ?? '');
        transposed = !transposed;
        break;
      }
    }
  }
  const dims = t?.dims;
  if (!t || !dims || dims.length !== 2) return undefined;
  return transposed ? { width: dims[1], vocab: dims[0], type: t.dataType } : { width: dims[0], vocab: dims[1], type: t.dataType };
}

function walkHead(logits: string, graphs: Graph[], isConstant: (name: string) => boolean): Chain | undefined {
  const made = producers(graphs[0]);
  const nodes: NodeProto[] = [];
  let current = logits;
  for (let step = 0; step < 32; step++) {
    const n = made.get(current);
    if (!n || !(projections.has(n.opType ?? '') || rowwise.has(n.opType ?? ''))) return undefined;
    const data = n.opType === 'Reshape' ? [n.input?.[0] ?? ''] : (n.input ?? []).filter((x) => !isConstant(x));
    if (data.length !== 1) return undefined;
    nodes.unshift(n);
    if (projections.has(n.opType ?? '')) {
      if (n.input?.[0] !== data[0] || (n.opType === 'Gemm' && attr(n, 'transA')?.i === 1)) return undefined;
      const w = weightOf(n, graphs);
      if (!w) return undefined;
      const hiddenType = tensorTypeOf({ type: { tensorType: { elemType: w.type } } });
      if (!hiddenType) return undefined;
      return { nodes, hidden: data[0], width: w.width, vocab: w.vocab, hiddenType };
    }
    if (['Add', 'Sub', 'Mul', 'Div'].includes(n.opType ?? '')) {
      // the constant operand must act on each row alike: shape [1, .., 1, k]
      const other = (n.input ?? []).find((x) => x !== data[0]) ?? '';
      const dims = constantDims(other, graphs);
      if (!dims || dims.slice(0, -1).some((d) => d !== 1)) return undefined;
    }
    current = data[0];
  }
  return undefined;
}

const signature = (c: Chain) => c.nodes.map((n) => `${n.domain ?? ''}:${n.opType}(${(n.input ?? []).slice(1).join(',')})`).join(' ');

/** The head as its own model: the chain's nodes (minus Reshape / Identity) and the constants they read. */
function headModel(source: ModelProto, chain: Chain, graphs: Graph[], logitsType: number, isConstant: (name: string) => boolean): ModelProto {
  const alias = new Map<string, string>([[chain.hidden, 'hidden']]);
  const resolve = (name: string) => alias.get(name) ?? name;
  const nodes: NodeProto[] = [];
  const last = chain.nodes[chain.nodes.length - 1].output?.[0] ?? '';
  for (const n of chain.nodes) {
    const data = n.input?.[0] ?? '';
    if (dropped.has(n.opType ?? '')) {
      alias.set(n.output?.[0] ?? '', resolve(data));
      continue;
    }
    nodes.push({ ...n, input: (n.input ?? []).map(resolve), output: (n.output ?? []).map((o) => (o === last ? 'logits' : o)) });
  }
  if (!nodes.length) throw new Error('unreachable: a head chain starts with a projection');
  // a Reshape or Identity last: the last kept node makes logits
  const final = nodes[nodes.length - 1];
  if (!(final.output ?? []).includes('logits')) final.output = ['logits', ...(final.output ?? []).slice(1)];

  // constants the head reads that are computed (a Transpose of the embedding, Constant nodes)
  const inits = new Map<string, TensorProto>();
  const constantNodes: NodeProto[] = [];
  const seen = new Set<string>(nodes.flatMap((n) => n.output ?? []));
  const need = (name: string) => {
    if (!name || name === 'hidden' || seen.has(name) || !isConstant(name)) return;
    seen.add(name);
    const t = findInitializer(graphs, name);
    if (t) return void inits.set(name, t);
    for (const g of graphs) {
      const p = producers(g).get(name);
      if (p) {
        (p.input ?? []).forEach(need);
        constantNodes.push(p);
        return;
      }
    }
  };
  for (const n of nodes) (n.input ?? []).forEach(need);
  const opsets = Object.fromEntries((source.opsetImport ?? []).map((o) => [o.domain ?? '', o.version ?? 1]));
  return modelOf(
    {
      name: 'infogain-head',
      node: [...constantNodes, ...nodes],
      initializer: [...inits.values()],
      input: [valueInfo('hidden', elemTypeOf(chain.hiddenType), ['rows', chain.width])],
      // no shape: a constant of rank 3 ([1, 1, vocab]) broadcasts the rows to [1, rows, vocab]
      output: [valueInfo('logits', logitsType)],
    },
    opsets,
  );
}

function elemTypeOf(t: TensorType): number {
  return ({ float32: DataType.FLOAT, float16: DataType.FLOAT16, bfloat16: DataType.BFLOAT16, int64: DataType.INT64, int32: DataType.INT32, bool: DataType.BOOL } as const)[t];
}

/**
 * Splits `model` (decoded; it becomes the trunk) into trunk and head, or returns undefined when no
 * head of the supported form makes `logits` (the scorer then takes the model's own logits rows).
 */
export function splitHead(model: ModelProto): HeadSplit | undefined {
  const top = model.graph;
  const logitsInfo = top?.output?.find((v) => v.name === 'logits');
  if (!top || !logitsInfo) return undefined;
  const logitsType = logitsInfo.type?.tensorType?.elemType ?? DataType.FLOAT;
  const topConstant = constantTest(top);
  const producer = producers(top).get('logits');
  let chain: Chain | undefined, hidden: string;

  if (producer?.opType === 'If') {
    const index = (producer.output ?? []).indexOf('logits');
    const branches = (producer.attribute ?? []).filter((a) => a.g).map((a) => a.g!);
    const tests = branches.map((g) => constantTest(g, topConstant));
    const chains = branches.map((g, i) => walkHead(g.output?.[index]?.name ?? '', [g, top], tests[i]));
    if (chains.length !== 2 || chains.some((c) => !c) || signature(chains[0]!) !== signature(chains[1]!)) return undefined;
    chain = chains[0]!;
    const head = headModel(model, chain, [branches[0], top], logitsType, tests[0]);
    branches.forEach((g, i) => {
      g.output![index] = valueInfo(chains[i]!.hidden, elemTypeOf(chain!.hiddenType));
      prune(g, false);
    });
    hidden = 'infogain_hidden';
    producer.output![index] = hidden;
    return finish(model, head, chain, hidden);
  }
  chain = walkHead('logits', [top], topConstant);
  if (!chain) return undefined;
  const head = headModel(model, chain, [top], logitsType, topConstant);
  return finish(model, head, chain, chain.hidden);
}

function finish(model: ModelProto, head: ModelProto, chain: Chain, hidden: string): HeadSplit {
  const top = model.graph!;
  top.output = top.output!.map((v) => (v.name === 'logits' ? valueInfo(hidden, elemTypeOf(chain.hiddenType)) : v));
  prune(top, true);
  return { trunk: model, head, hidden, hiddenType: chain.hiddenType, width: chain.width, vocab: chain.vocab };
}
