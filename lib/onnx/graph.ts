// Graph queries and edits on decoded ONNX graphs: who produces a value, which values are constant,
// and dead-node removal. Subgraphs (If branches) read values of the graphs around them by name.
import type { Graph, NodeProto, TensorProto } from './proto';

export function producers(graph: Graph): Map<string, NodeProto> {
  const map = new Map<string, NodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) if (o) map.set(o, n);
  return map;
}

export function subgraphsOf(n: NodeProto): Graph[] {
  const out: Graph[] = [];
  for (const a of n.attribute ?? []) {
    if (a.g) out.push(a.g);
    if (a.graphs) out.push(...a.graphs);
  }
  return out;
}

/** Names a subgraph reads from outside itself (its own nodes' and nested subgraphs' free names). */
function freeNames(graph: Graph): Set<string> {
  const local = new Set<string>([...(graph.initializer ?? []).map((t) => t.name ?? ''), ...(graph.input ?? []).map((v) => v.name ?? '')]);
  for (const n of graph.node ?? []) for (const o of n.output ?? []) local.add(o);
  const free = new Set<string>();
  const use = (name: string) => name && !local.has(name) && free.add(name);
  for (const n of graph.node ?? []) {
    (n.input ?? []).forEach(use);
    for (const g of subgraphsOf(n)) freeNames(g).forEach(use);
  }
  (graph.output ?? []).forEach((v) => use(v.name ?? ''));
  return free;
}

/** Everything a node reads: its inputs and what its subgraphs read from outside. */
export function nodeReads(n: NodeProto): string[] {
  const reads = (n.input ?? []).filter(Boolean);
  for (const g of subgraphsOf(n)) reads.push(...freeNames(g));
  return reads;
}

/**
 * A predicate for "this value never changes between runs": initializers, Constant outputs and
 * outputs of nodes whose inputs are all constant (e.g. a Transpose of a tied embedding), here or
 * (through `outer`) in an enclosing graph.
 */
export function constantTest(graph: Graph, outer?: (name: string) => boolean): (name: string) => boolean {
  const inits = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const made = producers(graph);
  const memo = new Map<string, boolean>();
  const test = (name: string): boolean => {
    if (!name) return true; // an omitted optional input
    const known = memo.get(name);
    if (known !== undefined) return known;
    memo.set(name, false); // cycles are not constant
    let result: boolean;
    const n = made.get(name);
    if (inits.has(name)) result = true;
    else if (n) result = subgraphsOf(n).length === 0 && (n.input ?? []).every(test);
    else result = outer ? outer(name) : false;
    memo.set(name, result);
    return result;
  };
  return test;
}

/** The initializer called `name` here or in an enclosing graph. */
export function findInitializer(graphs: Graph[], name: string): TensorProto | undefined {
  for (const g of graphs) {
    const t = (g.initializer ?? []).find((x) => x.name === name);
    if (t) return t;
  }
  return undefined;
}

/**
 * Removes nodes whose outputs nothing needs (the graph's outputs are the roots) and, when
 * `dropInitializers`, the initializers nothing reads. Nodes are in topological order (ONNX's rule).
 */
export function prune(graph: Graph, dropInitializers: boolean): void {
  const needed = new Set((graph.output ?? []).map((v) => v.name ?? ''));
  const kept: NodeProto[] = [];
  const nodes = graph.node ?? [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!(n.output ?? []).some((o) => needed.has(o))) continue;
    kept.push(n);
    for (const name of nodeReads(n)) needed.add(name);
  }
  graph.node = kept.reverse();
  if (dropInitializers) graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? ''));
  if (graph.valueInfo) graph.valueInfo = graph.valueInfo.filter((v) => needed.has(v.name ?? ''));
}
