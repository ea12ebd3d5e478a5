// Loads an ONNX decoder into onnxruntime (its head split off when it can be) and runs forward
// passes: a batch of token rows, each after an optional cached prefix, returning the hidden rows
// (or the logits rows) of every new position and, on request, the updated caches. `head` turns
// gathered hidden rows into logits; with a fused head (`fused`), the kernels take the hidden rows
// and the head's weight instead, and the head session is made only if logits are asked for.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

import { codes, plainError } from '../errors';
import type { Logits } from '../logits';
import { subgraphsOf } from '../onnx/graph';
import { decodeModel, decodeSignature, encodeModel, type Graph, type ModelProto } from '../onnx/proto';
import { loadOrt } from '../ort';
import { fusedHeadOf, ownedHeadModel, type FusedHead } from './fusedHead';
import { splitHead, type HeadSplit } from './head';
import { padPast, Scratch, wholeCache, type CacheArray, type KvCache } from './kvCache';
import { detectLayout, type ModelLayout } from './layout';
import { emptyStats, type SourceStats } from './source';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
type Tensor = import('onnxruntime-node').Tensor;
export type RowArray = Float32Array | Uint16Array;

export interface PassRow {
  /** Cached tokens before the new ones: the first `length` tokens of `cache`. */
  past?: { cache: KvCache; length: number };
  /** The new tokens (at positions past.length, past.length + 1, ...). */
  ids: Int32Array;
}

export interface PassResult {
  /** [batch, length, rowWidth]: the output row of every new position (padding included). */
  out: RowArray;
  length: number;
  /** Per layer key then value, [batch, kvHeads, pastWidth + length, headDim] (when asked for). */
  presents?: CacheArray[];
}

export interface RunnerOptions {
  executionProviders: string[];
  threads?: number;
  /** Split the vocabulary projection off ('auto': when the vocabulary has at least splitVocab ids). */
  splitHead: boolean | 'auto';
  /**
   * Compute log-probs and KL from the hidden rows with the fused kernels, never making logits
   * ('auto': when the head can be fused, the vocabulary has at least fusedVocab ids, the model
   * runs on the CPU and splitHead is not false).
   */
  fusedHead: boolean | 'auto';
}

/** Below this many ids a model's own logits rows cost little: 'auto' keeps the graph whole. */
export const splitVocab = 4096;
/** From this many ids 'auto' fuses the head (measured faster than onnxruntime's head: bench/RESULTS.md). */
export const fusedVocab = 4096;

/**
 * onnxruntime's session options for a runner: every execution provider, all graph optimizations,
 * `threads` intra-op threads when given, and whether those threads spin while they wait for work
 * (session config entry `session.intra_op.allow_spinning`). They do not by default (onnxruntime's
 * own default is to spin): measured on `infogain score`, the same wall time for 6-17% less CPU,
 * and for `infogain serve` 17% less CPU per request for ~5% more latency (bench/RESULTS.md).
 * INFOGAIN_ORT_SPINNING=1 turns the spinning back on; any other value than 0 or 1 is ignored.
 */
export function sessionOptionsOf(o: Pick<RunnerOptions, 'executionProviders' | 'threads'>, env: NodeJS.ProcessEnv = process.env) {
  const spinning = env.INFOGAIN_ORT_SPINNING === '1' ? '1' : '0';
  return {
    executionProviders: o.executionProviders,
    graphOptimizationLevel: 'all' as const,
    ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
    extra: { session: { intra_op: { allow_spinning: spinning } } as Record<string, unknown> },
  };
}

function modelError(what: string, why: string) {
  return plainError(codes.model, `${what} ${why}`);
}

/** Every initializer of a graph and its subgraphs stored in a separate file (ONNX external data). */
function externalFiles(graph: Graph, out = new Set<string>()): Set<string> {
  for (const t of graph.initializer ?? [])
    if (t.dataLocation === 1) {
      const location = t.externalData?.find((e) => e.key === 'location')?.value;
      if (location) out.add(location);
    }
  for (const n of graph.node ?? []) for (const g of subgraphsOf(n)) externalFiles(g, out);
  return out;
}

/** A split-off head: an onnxruntime session, made now or (with a fused head) when logits are first asked for. */
interface Head {
  session?: Promise<Session>;
  make?: () => Promise<Session>;
  fused?: FusedHead;
}

export class ModelRunner {
  readonly stats: SourceStats = emptyStats();
  /** Memory for padded pasts, free again when a pass settles; a pass while another runs allocates its own. */
  private readonly scratch = new Scratch();
  private passing = false;
  private constructor(
    private readonly ort: Ort,
    readonly layout: ModelLayout,
    private readonly trunk: Session,
    private readonly headPart: Head | undefined,
    /** The trunk output read per position. */
    private readonly outName: string,
    /** Width and type of that output's rows. */
    readonly rowWidth: number,
    readonly rowType: 'float32' | 'float16' | 'bfloat16',
    readonly vocab: number,
  ) {}

  /** Whether the trunk's rows are hidden rows of a split-off head (else they are logits rows). */
  get splitHead(): boolean {
    return this.headPart !== undefined;
  }

  /** The fused head's parameters, when the kernels compute from hidden rows (then `head` is only for logits asked for). */
  get fused(): FusedHead | undefined {
    return this.headPart?.fused;
  }

  static async load(model: string | Uint8Array, o: RunnerOptions): Promise<ModelRunner> {
    const what = typeof model === 'string' ? `model ${model}` : 'the model bytes';
    const bytes = typeof model === 'string' ? readFileSync(model) : model;
    let signature: ModelProto;
    try {
      signature = decodeSignature(bytes);
    } catch (e) {
      throw modelError(what, `could not be loaded by onnxruntime (is it an ONNX file?): not a valid ONNX protobuf (${(e as Error).message})`);
    }
    if (!signature.graph) throw modelError(what, 'could not be loaded by onnxruntime (is it an ONNX file?): it holds no graph');
    const layout = detectLayout(signature.graph);
    const ort = loadOrt();
    const sessionOptions = sessionOptionsOf(o);

    // 'auto' keeps a graph whole when its logits state a small vocabulary (or its head does)
    const atLeast = (n: number) => !(layout.vocab !== undefined && layout.vocab < n);
    const cpu = o.executionProviders.every((p) => p === 'cpu');
    const fuseAuto = o.fusedHead === 'auto' && o.splitHead !== false && cpu;
    const wanted = o.splitHead === true || o.fusedHead === true || (o.splitHead === 'auto' && atLeast(splitVocab)) || (fuseAuto && atLeast(fusedVocab));
    const decoded = wanted ? decodeModel(bytes) : undefined;
    const external = decoded ? externalFiles(decoded.graph!) : new Set<string>();
    if (external.size && typeof model !== 'string') throw modelError(what, 'keeps its weights in separate files (external data): pass its path, not its bytes');
    let split: HeadSplit | undefined = decoded ? splitHead(decoded) : undefined;
    const dir = typeof model === 'string' ? dirname(model) : undefined;
    let fused: FusedHead | undefined;
    if (o.fusedHead === true && !split) throw modelError(what, 'cannot have a fused head: no MatMul or Gemm with a constant weight makes its logits through row-wise steps');
    if (split && (o.fusedHead === true || (fuseAuto && split.vocab >= fusedVocab))) {
      // a view into a file's bytes would keep the whole file in memory: the weight is copied out
      // of them (a caller's bytes are kept by the caller anyway: viewed when aligned)
      const read = fusedHeadOf(split.head, { view: typeof model !== 'string', dir });
      if (read.why !== undefined && o.fusedHead === true) throw modelError(what, `cannot have a fused head: ${read.why}`);
      fused = read.head;
    }
    if (split && !fused && o.splitHead === 'auto' && split.vocab < splitVocab) split = undefined;
    if (split && layout.vocab !== undefined && split.vocab !== layout.vocab)
      throw modelError(what, `has logits of ${layout.vocab} ids but its output projection makes ${split.vocab}`);
    const create = async (m: ModelProto | undefined): Promise<Session> => {
      try {
        if (!m) return await (typeof model === 'string' ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions));
        // external data is read from the model file's directory, named by a session config entry
        const { extra } = sessionOptions;
        const options = external.size
          ? { ...sessionOptions, extra: { ...extra, session: { ...extra.session, model_external_initializers_file_folder_path: dirname(model as string) } } }
          : sessionOptions;
        return await ort.InferenceSession.create(encodeModel(m), options);
      } catch (e) {
        throw modelError(what, `could not be loaded by onnxruntime (is it an ONNX file?): ${(e as Error).message}`);
      }
    };
    const trunk = await create(split?.trunk);
    if (split) {
      // a fused head keeps a model of the head that owns its bytes, for logits asked for later
      const owned = fused && ownedHeadModel(split.head, fused, dir);
      const head: Head = owned ? { fused, make: () => create(owned) } : { session: Promise.resolve(await create(split.head)) };
      return new ModelRunner(ort, layout, trunk, head, split.hidden, split.width, split.hiddenType as 'float32', split.vocab);
    }
    if (layout.vocab !== undefined) return new ModelRunner(ort, layout, trunk, undefined, 'logits', layout.vocab, layout.logits, layout.vocab);
    // the model's own logits rows, of a width the graph does not state: one forward pass tells
    const probe = await new ModelRunner(ort, layout, trunk, undefined, 'logits', 0, layout.logits, 0).pass([{ ids: Int32Array.of(0) }], false);
    if (!(probe.out.length >= 1)) throw modelError(what, 'gives empty logits');
    return new ModelRunner(ort, layout, trunk, undefined, 'logits', probe.out.length, layout.logits, probe.out.length);
  }

  private tensor(type: string, data: RowArray | BigInt64Array | Int32Array | Uint8Array, dims: number[]): Tensor {
    return new this.ort.Tensor(type as 'float32', data as Float32Array, dims);
  }

  /** One forward pass. Rows shorter than the longest are right-padded (causal: padding cannot affect them). */
  async pass(rows: PassRow[], presents: boolean): Promise<PassResult> {
    const { layout } = this;
    const B = rows.length;
    const S = Math.max(...rows.map((r) => r.ids.length));
    const P = layout.kind === 'past' ? Math.max(0, ...rows.map((r) => r.past?.length ?? 0)) : 0;
    const ids = layout.ids === 'int64' ? new BigInt64Array(B * S) : new Int32Array(B * S);
    const mask = layout.hasMask ? new BigInt64Array(B * (P + S)) : undefined;
    const positions = layout.hasPositions ? new BigInt64Array(B * S) : undefined;
    let real = 0;
    rows.forEach((r, b) => {
      const p = r.past?.length ?? 0;
      real += r.ids.length;
      for (let k = 0; k < S; k++) {
        const id = k < r.ids.length ? r.ids[k] : 0;
        if (ids instanceof BigInt64Array) ids[b * S + k] = BigInt(id);
        else ids[b * S + k] = id;
        if (positions) positions[b * S + k] = BigInt(p + k);
      }
      if (mask) mask.fill(1n, b * (P + S) + P - p, b * (P + S) + P + r.ids.length);
    });
    const feeds: Record<string, Tensor> = { input_ids: this.tensor(layout.ids, ids, [B, S]) };
    if (mask) feeds.attention_mask = this.tensor('int64', mask, [B, P + S]);
    if (positions) feeds.position_ids = this.tensor('int64', positions, [B, S]);
    const fetches = [this.outName];
    if (layout.kind === 'past') {
      const shape = { kvHeads: layout.kvHeads, headDim: layout.headDim, type: layout.cache };
      const only = rows[0].past;
      const none = { cache: { arrays: [], row: 0, width: 0, length: 0 }, length: 0 };
      const past =
        B === 1 && only && only.length === only.cache.length && wholeCache(only.cache, shape)
          ? only.cache.arrays
          : P === 0
            ? Array.from({ length: 2 * layout.layers }, () => (layout.cache === 'float16' ? new Uint16Array(0) : new Float32Array(0)))
            : padPast(rows.map((r) => r.past ?? none), P, shape, this.passing ? undefined : this.scratch);
      for (let l = 0; l < layout.layers; l++)
        ['key', 'value'].forEach((kv, i) => {
          feeds[`past_key_values.${l}.${kv}`] = this.tensor(layout.cache, past[2 * l + i], [B, layout.kvHeads, P, layout.headDim]);
          if (presents) fetches.push(`present.${l}.${kv}`);
        });
      if (layout.merged) feeds.use_cache_branch = this.tensor('bool', Uint8Array.of(P > 0 ? 1 : 0), [1]);
    }
    const start = performance.now();
    const owner = !this.passing;
    this.passing = true;
    let result: Awaited<ReturnType<Session['run']>>;
    try {
      result = await this.trunk.run(feeds, fetches);
    } catch (e) {
      // onnxruntime's error has no code; the likeliest cause of one on valid ids is a length past the
      // context of a model whose context infogain was not told (a model given as bytes, no config.json)
      throw Object.assign(modelError(`onnxruntime failed on a pass of ${B} sequence(s) of ${P + S} positions:`, `${(e as Error)?.message ?? e} (past the model's context? give maxLength / --max-length)`), { cause: e });
    } finally {
      if (owner) {
        this.passing = false;
        this.scratch.reset();
      }
    }
    this.stats.modelMs += performance.now() - start;
    this.stats.forwardPasses++;
    this.stats.tokensFed += real;
    this.stats.paddingFed += B * S - real;
    const out = result[this.outName];
    if (!this.splitHead) this.stats.largestLogitsChunk = Math.max(this.stats.largestLogitsChunk, B * S);
    return {
      out: out.data as RowArray,
      length: S,
      presents: presents ? fetches.slice(1).map((name) => result[name].data as CacheArray) : undefined,
    };
  }

  /** Logits of n gathered rows (the rows themselves when the head is not split). */
  async head(rows: RowArray, n: number): Promise<Logits> {
    const dtype = this.layout.logits;
    this.stats.largestLogitsChunk = Math.max(this.stats.largestLogitsChunk, n);
    const part = this.headPart;
    if (!part) return { data: rows.subarray(0, n * this.vocab), rows: n, vocab: this.vocab, dtype } as Logits;
    const session = await (part.session ??= part.make!());
    const start = performance.now();
    const out = await session.run({ hidden: this.tensor(this.rowType, rows.subarray(0, n * this.rowWidth), [n, this.rowWidth]) });
    const ms = performance.now() - start;
    this.stats.modelMs += ms;
    this.stats.headMs += ms;
    this.stats.headPasses++;
    return { data: out.logits.data as RowArray, rows: n, vocab: this.vocab, dtype } as Logits;
  }

  async dispose(): Promise<void> {
    await this.trunk.release();
    // a head session that failed to load has nothing to release
    await (await this.headPart?.session?.catch(() => undefined))?.release();
  }
}
