// OnnxScorer: runs a causal LM in ONNX (input_ids [, attention_mask] -> logits) over many token
// sequences in batches, and returns what the kernels need: the logits rows that predict chosen
// positions (one [rows, vocab] matrix, copied once out of onnxruntime's output) or their
// teacher-forced log-probs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { codes, plainError, rangeError, typeError } from './errors';
import type { Logits } from './logits';
import { tokenLogprobsSync } from './logprobs';
import { loadOrt } from './ort';
import { byteTokenizer, loadTokenizer, type TextTokenizer } from './tokenizer';
import { integer, options as optionsOf, positiveNumber } from './validate';

type Ort = typeof import('onnxruntime-node');

export interface OnnxScorerOptions {
  /** An .onnx file path or its bytes. Default: the bundled tiny byte-level model. */
  model?: string | Uint8Array;
  /** tokenizer.json path, or a TextTokenizer. Default: UTF-8 bytes. */
  tokenizer?: string | TextTokenizer;
  /** onnxruntime execution providers, default ['cpu']. */
  executionProviders?: string[];
  /** Sequences per forward pass, default 8. */
  batchSize?: number;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number;
}

/** Where the bundled model lives, and what it needs. */
export const bundledModel = {
  path: join(__dirname, '..', 'model', 'tiny-clarify.onnx'),
  info: join(__dirname, '..', 'model', 'tiny-clarify.json'),
};

/** [start, end) pairs, flattened. */
export type Spans = Int32Array;

/** One forward pass of right-padded sequences (padding after the tokens cannot affect them: causal). */
async function forward(
  ort: Ort,
  session: import('onnxruntime-node').InferenceSession,
  wantsMask: boolean,
  batch: Int32Array[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const length = Math.max(...batch.map((s) => s.length));
  const ids = new BigInt64Array(batch.length * length);
  const mask = wantsMask ? new BigInt64Array(batch.length * length) : undefined;
  batch.forEach((seq, b) => {
    for (let j = 0; j < seq.length; j++) {
      ids[b * length + j] = BigInt(seq[j]);
      if (mask) mask[b * length + j] = 1n;
    }
  });
  const feeds: Record<string, import('onnxruntime-node').Tensor> = { input_ids: new ort.Tensor('int64', ids, [batch.length, length]) };
  if (mask) feeds.attention_mask = new ort.Tensor('int64', mask, [batch.length, length]);
  const out = await session.run(feeds, ['logits']);
  return { data: out.logits.data as Float32Array, dims: out.logits.dims };
}

export class OnnxScorer {
  private constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    readonly tokenizer: TextTokenizer,
    readonly vocab: number,
    readonly maxLength: number | undefined,
    readonly batchSize: number,
    private readonly wantsMask: boolean,
  ) {}

  static async create(opts?: OnnxScorerOptions): Promise<OnnxScorer> {
    const o = optionsOf<OnnxScorerOptions>(opts);
    const batchSize = o.batchSize === undefined ? 8 : integer(o.batchSize, 'batchSize', 1, 4096);
    const threads = o.threads === undefined ? undefined : integer(o.threads, 'threads', 1, 1024);
    if (o.executionProviders !== undefined && (!Array.isArray(o.executionProviders) || o.executionProviders.some((p) => typeof p !== 'string')))
      throw typeError('executionProviders', 'executionProviders must be an array of strings');
    let maxLength: number | undefined;
    let model = o.model;
    if (model === undefined) {
      model = bundledModel.path;
      maxLength = JSON.parse(readFileSync(bundledModel.info, 'utf8')).maxLength;
    }
    if (typeof model === 'string' && !existsSync(model)) throw plainError('ERR_INFOGAIN_MODEL', `model file ${model} does not exist`);
    if (typeof model !== 'string' && !(model instanceof Uint8Array)) throw typeError('model', 'model must be a path or a Uint8Array');
    const tokenizer =
      o.tokenizer === undefined ? byteTokenizer() : typeof o.tokenizer === 'string' ? loadTokenizer(o.tokenizer) : o.tokenizer;

    const ort = loadOrt();
    let session: import('onnxruntime-node').InferenceSession;
    try {
      const sessionOptions = { executionProviders: o.executionProviders ?? ['cpu'], graphOptimizationLevel: 'all' as const, ...(threads ? { intraOpNumThreads: threads } : {}) };
      session = typeof model === 'string' ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
    } catch (e) {
      const what = typeof model === 'string' ? `model ${model}` : 'the model bytes';
      throw plainError('ERR_INFOGAIN_MODEL', `${what} could not be loaded by onnxruntime (is it an ONNX file?): ${(e as Error).message}`);
    }
    if (!session.inputNames.includes('input_ids') || !session.outputNames.includes('logits'))
      throw plainError('ERR_INFOGAIN_MODEL', `the model must take 'input_ids' and give 'logits'; it takes [${session.inputNames}] and gives [${session.outputNames}]`);
    const extra = session.inputNames.filter((n) => n !== 'input_ids' && n !== 'attention_mask');
    if (extra.length) throw plainError('ERR_INFOGAIN_MODEL', `the model needs inputs infogain does not provide: ${extra.join(', ')}`);
    const wantsMask = session.inputNames.includes('attention_mask');
    const probe = await forward(ort, session, wantsMask, [Int32Array.of(0)]);
    const vocab = probe.dims[2];
    if (probe.dims.length !== 3 || !(vocab >= 1)) throw plainError('ERR_INFOGAIN_MODEL', `the model's logits have shape [${probe.dims}], expected [batch, length, vocab]`);
    if (tokenizer.vocabSize > vocab)
      throw plainError('ERR_INFOGAIN_VOCAB_MISMATCH', `the tokenizer (${tokenizer.kind}) has ${tokenizer.vocabSize} ids but the model's logits cover ${vocab}: they do not belong together`);
    return new OnnxScorer(ort, session, tokenizer, vocab, maxLength, batchSize, wantsMask);
  }

  encode(text: string): Int32Array {
    return this.tokenizer.encode(text);
  }

  private check(sequences: Int32Array[], spans: Spans[]): void {
    if (!Array.isArray(sequences) || !Array.isArray(spans)) throw typeError('sequences', 'sequences and spans must be arrays');
    if (spans.length !== sequences.length) throw rangeError(codes.shape, 'spans', `spans has ${spans.length} entries for ${sequences.length} sequences`);
    sequences.forEach((seq, i) => {
      if (!(seq instanceof Int32Array)) throw typeError(`sequences[${i}]`, `sequences[${i}] must be an Int32Array`);
      if (this.maxLength !== undefined && seq.length > this.maxLength)
        throw rangeError(codes.outOfRange, `sequences[${i}]`, `sequences[${i}] has ${seq.length} tokens; the model reads at most ${this.maxLength}`, i);
      for (let j = 0; j < seq.length; j++)
        if (seq[j] < 0 || (this.vocab > 0 && seq[j] >= this.vocab))
          throw rangeError(codes.outOfRange, `sequences[${i}]`, `sequences[${i}][${j}] = ${seq[j]} is outside the model's vocabulary [0, ${this.vocab})`, j);
      const sp = spans[i];
      if (!(sp instanceof Int32Array) || sp.length % 2) throw typeError(`spans[${i}]`, `spans[${i}] must be an Int32Array of [start, end) pairs`);
      for (let k = 0; k < sp.length; k += 2)
        if (!(sp[k] >= 1 && sp[k] <= sp[k + 1] && sp[k + 1] <= seq.length))
          throw rangeError(codes.outOfRange, `spans[${i}]`, `spans[${i}] pair ${k / 2} = [${sp[k]}, ${sp[k + 1]}) is not within [1, ${seq.length}] (position 0 has no prediction)`, k / 2);
    });
  }

  /**
   * The logits rows that predict every position j in each sequence's spans (row j - 1 of the
   * model's output), stacked in order: sequence 0's spans first. One copy out of onnxruntime.
   */
  async positionLogits(sequences: Int32Array[], spans: Spans[]): Promise<Logits & { dtype: 'float32' }> {
    this.check(sequences, spans);
    const counts = spans.map((sp) => {
      let n = 0;
      for (let k = 0; k < sp.length; k += 2) n += sp[k + 1] - sp[k];
      return n;
    });
    const rowOffset = counts.reduce((acc, n, i) => (acc.push(acc[i] + n), acc), [0]);
    const data = new Float32Array(rowOffset[sequences.length] * this.vocab);
    // batch similar lengths together: less padding
    const order = sequences.map((_, i) => i).sort((a, b) => sequences[a].length - sequences[b].length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const members = order.slice(start, start + this.batchSize).filter((i) => counts[i] > 0);
      if (!members.length) continue;
      const out = await forward(this.ort, this.session, this.wantsMask, members.map((i) => sequences[i]));
      const length = out.dims[1], V = this.vocab;
      members.forEach((i, b) => {
        let row = rowOffset[i];
        const sp = spans[i];
        for (let k = 0; k < sp.length; k += 2)
          for (let j = sp[k]; j < sp[k + 1]; j++, row++) {
            const from = (b * length + j - 1) * V;
            data.set(out.data.subarray(from, from + V), row * V);
          }
      });
    }
    return { data, rows: rowOffset[sequences.length], vocab: this.vocab, dtype: 'float32' };
  }

  /** Teacher-forced log p(ids[j] | ids[< j]) for every j in the spans, one array per sequence. */
  async spanLogprobs(sequences: Int32Array[], spans: Spans[], opts?: { temperature?: number }): Promise<Float32Array[]> {
    const temperature = opts?.temperature === undefined ? 1 : positiveNumber(opts.temperature, 'temperature');
    const logits = await this.positionLogits(sequences, spans);
    const targets = new Int32Array(logits.rows);
    let row = 0;
    spans.forEach((sp, i) => {
      for (let k = 0; k < sp.length; k += 2) for (let j = sp[k]; j < sp[k + 1]; j++) targets[row++] = sequences[i][j];
    });
    const { logprobs } = tokenLogprobsSync(logits, targets, { temperature, backend: 'cpu' });
    const out: Float32Array[] = [];
    row = 0;
    for (const sp of spans) {
      let n = 0;
      for (let k = 0; k < sp.length; k += 2) n += sp[k + 1] - sp[k];
      out.push(logprobs.slice(row, row + n));
      row += n;
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
