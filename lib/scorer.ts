// OnnxScorer: a causal LM in ONNX as a LogprobSource. It reads the model's layout (plain, or with a
// KV cache, merged or not; float32 or float16; any number of KV heads), splits the vocabulary
// projection off the graph so logits are made only for scored rows (or, with a fused head, never:
// the kernels take the hidden rows and the head's weight), and scores prefix trees in a memory
// budget (lib/model/trees.ts). The math on logits is the kernels'.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { abortSignal, codes, describe, plainError, rangeError, typeError } from './errors';
import type { Logits } from './logits';
import type { ModelLayout } from './model/layout';
import { defaultMaxMemory, MemoryBudget, modelCosts } from './model/memory';
import { ModelRunner, type RowArray } from './model/runner';
import type { LogprobSource, SourceStats, TreeSpan, TreeRequest, TreeResult } from './model/source';
import { requestProblem, scoreTrees } from './model/trees';
import { byteTokenizer, loadTokenizer, type TextTokenizer } from './tokenizer';
import { integer, keysOf, options as optionsOf, softmaxTemperature, typedArray } from './validate';

export interface OnnxScorerOptions {
  /** An .onnx file path or its bytes. Default: the bundled tiny byte-level model. */
  model?: string | Uint8Array;
  /** tokenizer.json path, or a TextTokenizer. Default: UTF-8 bytes. */
  tokenizer?: string | TextTokenizer;
  /** onnxruntime execution providers, default ['cpu']. */
  executionProviders?: string[];
  /** Most sequences in one forward pass, default 8 (memory may allow fewer). */
  batchSize?: number;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number;
  /** Bytes the scorer may use beyond the model's weights. Default: half the free memory, at most 8 GiB. */
  maxMemory?: number;
  /**
   * The longest sequence the model reads. Default: the bundled model's, or max_position_embeddings
   * (n_positions) of a config.json beside the model or one directory up, or `<model>.json`'s maxLength.
   */
  maxLength?: number;
  /**
   * Split the vocabulary projection off the graph, so logits are made only for scored rows: 'auto'
   * (default) when the vocabulary has at least 4096 ids (below that, logits of every position cost
   * little and a second session does not pay); true: whenever the head is found; false: never.
   */
  splitHead?: boolean | 'auto';
  /**
   * Compute log-probs, entropies and KL straight from the scored rows' hidden states and the
   * head's weight with the fused kernels (linearLogprobs / linearKL), never making logits. 'auto'
   * (default): when the head is a MatMul or Gemm with a constant float weight whose row-wise steps
   * the kernels express (bias, scaling, soft-capping), the vocabulary has at least 4096 ids, the
   * model runs on the CPU and splitHead is not false; else onnxruntime's head. true: always (a
   * head that cannot be fused is ERR_INFOGAIN_MODEL with the reason); false: never.
   */
  fusedHead?: boolean | 'auto';
}

/** Where the bundled model lives, and what it needs. */
export const bundledModel = {
  path: join(__dirname, '..', 'model', 'tiny-clarify.onnx'),
  info: join(__dirname, '..', 'model', 'tiny-clarify.json'),
};

/** [start, end) pairs, flattened. */
export type Spans = Int32Array;

/** The context length a model's files state, if any. */
function statedContext(modelPath: string): number | undefined {
  const candidates = [modelPath.replace(/\.onnx$/, '') + '.json', join(dirname(modelPath), 'config.json'), join(dirname(modelPath), '..', 'config.json')];
  for (const file of candidates) {
    if (!existsSync(file) || basename(file) === basename(modelPath)) continue;
    try {
      const c = JSON.parse(readFileSync(file, 'utf8'));
      const n = c.maxLength ?? c.max_position_embeddings ?? c.n_positions ?? c.text_config?.max_position_embeddings;
      if (Number.isInteger(n) && n > 0) return n;
    } catch {
      // not JSON: not a statement about the model
    }
  }
  return undefined;
}

const scorerOptionKeys = keysOf<OnnxScorerOptions>()('model', 'tokenizer', 'executionProviders', 'batchSize', 'threads', 'maxMemory', 'maxLength', 'splitHead', 'fusedHead');

export class OnnxScorer implements LogprobSource {
  readonly fullDistributions = true;
  private disposed = false;
  private constructor(
    private readonly runner: ModelRunner,
    readonly tokenizer: TextTokenizer,
    readonly maxLength: number | undefined,
    readonly batchSize: number,
    readonly budget: MemoryBudget,
  ) {}

  static async create(opts?: OnnxScorerOptions): Promise<OnnxScorer> {
    const o = optionsOf<OnnxScorerOptions>(opts, 'options', scorerOptionKeys);
    const batchSize = o.batchSize === undefined ? 8 : integer(o.batchSize, 'batchSize', 1, 4096);
    const threads = o.threads === undefined ? undefined : integer(o.threads, 'threads', 1, 1024);
    const maxMemory = o.maxMemory === undefined ? defaultMaxMemory() : integer(o.maxMemory, 'maxMemory', 1 << 20);
    if (o.executionProviders !== undefined && (!Array.isArray(o.executionProviders) || o.executionProviders.some((p) => typeof p !== 'string')))
      throw typeError('executionProviders', 'executionProviders must be an array of strings');
    let maxLength = o.maxLength === undefined ? undefined : integer(o.maxLength, 'maxLength', 1);
    let model = o.model;
    if (model === undefined) {
      model = bundledModel.path;
      maxLength ??= JSON.parse(readFileSync(bundledModel.info, 'utf8')).maxLength;
    }
    if (typeof model !== 'string' && !(model instanceof Uint8Array)) throw typeError('model', 'model must be a path or a Uint8Array');
    if (typeof model === 'string' && !existsSync(model)) throw plainError(codes.model, `model file ${model} does not exist`);
    if (typeof model === 'string' && !statSync(model).isFile()) throw plainError(codes.model, `model ${model} is not a file`);
    if (typeof model === 'string') maxLength ??= statedContext(model);
    const t = o.tokenizer as Partial<TextTokenizer> | string | undefined;
    if (t !== undefined && typeof t !== 'string' && !(t !== null && typeof t === 'object' && typeof t.encode === 'function' && typeof t.decode === 'function' && Number.isInteger(t.vocabSize)))
      throw typeError('tokenizer', `tokenizer must be a tokenizer.json path or a TextTokenizer (encode, decode, vocabSize), got ${describe(t)}`);
    const tokenizer = t === undefined ? byteTokenizer() : typeof t === 'string' ? loadTokenizer(t) : (t as TextTokenizer);

    const splitHead = o.splitHead === undefined ? 'auto' : o.splitHead;
    if (splitHead !== 'auto' && typeof splitHead !== 'boolean') throw typeError('splitHead', "splitHead must be 'auto', true or false");
    const fusedHead = o.fusedHead === undefined ? 'auto' : o.fusedHead;
    if (fusedHead !== 'auto' && typeof fusedHead !== 'boolean') throw typeError('fusedHead', "fusedHead must be 'auto', true or false");
    if (fusedHead === true && splitHead === false)
      throw rangeError(codes.outOfRange, 'fusedHead', 'fusedHead true needs the head split off the graph, but splitHead is false');
    const runner = await ModelRunner.load(model, { executionProviders: o.executionProviders ?? ['cpu'], threads, splitHead, fusedHead });
    if (tokenizer.vocabSize > runner.vocab)
      throw plainError(codes.vocabMismatch, `the tokenizer (${tokenizer.kind}) has ${tokenizer.vocabSize} ids but the model's logits cover ${runner.vocab}: they do not belong together`);
    const budget = new MemoryBudget(maxMemory, modelCosts(runner));
    return new OnnxScorer(runner, tokenizer, maxLength, batchSize, budget);
  }

  get vocab(): number {
    return this.runner.vocab;
  }

  /**
   * The model's layout, whether logits are made only for scored rows (the head is split off), and
   * whether they are not made at all (the fused kernels take the hidden rows).
   */
  get layout(): ModelLayout & { splitHead: boolean; fusedHead: boolean } {
    return { ...this.runner.layout, splitHead: this.runner.splitHead, fusedHead: this.runner.fused !== undefined };
  }

  get stats(): SourceStats {
    return this.runner.stats;
  }

  /** Why `request` cannot be scored in the memory budget, or undefined (ids and lengths are checked by `score`). */
  problem(request: TreeRequest): string | undefined {
    return requestProblem(this.runner, this.budget, request, { maxLength: this.maxLength });
  }

  /** ERR_INFOGAIN_DISPOSED after dispose() (onnxruntime's own error has no code). */
  private live(): void {
    if (this.disposed) throw plainError(codes.disposed, 'this OnnxScorer was disposed; create a new one');
  }

  /** `work`, whose failure once dispose() ran under it is ERR_INFOGAIN_DISPOSED. */
  private async whileLive<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (e) {
      if (this.disposed) throw Object.assign(plainError(codes.disposed, 'this OnnxScorer was disposed during the call'), { cause: e });
      throw e;
    }
  }

  encode(text: string): Int32Array {
    this.live();
    return this.tokenizer.encode(text);
  }

  /** Log-probs and divergences of prefix-tree requests (see lib/model/source.ts). */
  async score(requests: TreeRequest[], options?: { temperature?: number; signal?: AbortSignal }): Promise<TreeResult[]> {
    this.live();
    if (!Array.isArray(requests)) throw typeError('requests', 'requests must be an array');
    const o = optionsOf<{ temperature?: number; signal?: AbortSignal }>(options, 'options', ['temperature', 'signal']);
    const temperature = o.temperature === undefined ? 1 : softmaxTemperature(o.temperature, 'temperature');
    return this.whileLive(scoreTrees(this.runner, this.budget, requests, { temperature, batchSize: this.batchSize, maxLength: this.maxLength, signal: abortSignal(o.signal) }));
  }

  private check(sequences: Int32Array[], spans: Spans[]): TreeRequest[] {
    this.live();
    if (!Array.isArray(sequences) || !Array.isArray(spans)) throw typeError('sequences', 'sequences and spans must be arrays');
    if (spans.length !== sequences.length) throw rangeError(codes.shape, 'spans', `spans has ${spans.length} entries for ${sequences.length} sequences`);
    return sequences.map((seq, i) => {
      typedArray<Int32Array>(seq, `sequences[${i}]`, Int32Array);  // not a Proxy of one, nor detached
      if (this.maxLength !== undefined && seq.length > this.maxLength)
        throw rangeError(codes.outOfRange, `sequences[${i}]`, `sequences[${i}] has ${seq.length} tokens; the model reads at most ${this.maxLength}`, i);
      for (let j = 0; j < seq.length; j++)
        if (seq[j] < 0 || seq[j] >= this.vocab)
          throw rangeError(codes.outOfRange, `sequences[${i}]`, `sequences[${i}][${j}] = ${seq[j]} is outside the model's vocabulary [0, ${this.vocab})`, j);
      const sp = spans[i];
      if (typedArray<Int32Array>(sp, `spans[${i}]`, Int32Array).length % 2) throw typeError(`spans[${i}]`, `spans[${i}] must be an Int32Array of [start, end) pairs`);
      const list: TreeSpan[] = [];
      for (let k = 0; k < sp.length; k += 2) {
        if (!(sp[k] >= 1 && sp[k] <= sp[k + 1] && sp[k + 1] <= seq.length))
          throw rangeError(codes.outOfRange, `spans[${i}]`, `spans[${i}] pair ${k / 2} = [${sp[k]}, ${sp[k + 1]}) is not within [1, ${seq.length}] (position 0 has no prediction)`, k / 2);
        list.push({ sequence: -1, start: sp[k], end: sp[k + 1] });
      }
      return { tree: { ids: seq, branches: [] }, logprobs: list };
    });
  }

  /**
   * The logits rows that predict every position j in each sequence's spans (row j - 1 of the
   * model's output), stacked in order: sequence 0's spans first. This holds every row at once;
   * `score` and `spanLogprobs` reduce rows chunk by chunk instead. With a fused head, the head's
   * onnxruntime session is made on the first call.
   */
  async positionLogits(sequences: Int32Array[], spans: Spans[]): Promise<Logits> {
    const requests = this.check(sequences, spans);
    const offsets = [0];
    for (const r of requests) offsets.push(offsets[offsets.length - 1] + r.logprobs.reduce((m, s) => m + s.end - s.start, 0));
    const rows = offsets[requests.length];
    const V = this.vocab, dtype = this.runner.layout.logits;
    const data: RowArray = dtype === 'float32' ? new Float32Array(rows * V) : new Uint16Array(rows * V);
    await this.whileLive(scoreTrees(this.runner, this.budget, requests, {
      temperature: 1,
      batchSize: this.batchSize,
      maxLength: this.maxLength,
      onLogits: (l, placed) => placed.forEach((d, i) => data.set(l.data.subarray(i * V, (i + 1) * V), (offsets[d.request] + d.index) * V)),
    }));
    return { data, rows, vocab: V, dtype } as Logits;
  }

  /** Teacher-forced log p(ids[j] | ids[< j]) for every j in the spans, one array per sequence. */
  async spanLogprobs(sequences: Int32Array[], spans: Spans[], opts?: { temperature?: number }): Promise<Float32Array[]> {
    const requests = this.check(sequences, spans);
    return (await this.score(requests, opts)).map((r) => r.logprobs);
  }

  /** Frees the model's sessions; every later call but dispose() (which does nothing again) is ERR_INFOGAIN_DISPOSED. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.runner.dispose();
  }
}
