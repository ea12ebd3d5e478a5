// SGLang as a LogprobSource, through its native POST /generate with token ids:
//   { input_ids, sampling_params: { max_new_tokens: 0, temperature: 1 }, return_logprob: true,
//     logprob_start_len: s }
// answers meta_info.input_token_logprobs = [[logprob, token_id, text | null], ...] for positions
// s .. n-1, the first entry's log-prob null (SGLang computes positions s+1 .. n-1 only:
// scheduler_output_processor puts None first). The radix cache may serve at most the first s tokens
// of a request (schedule_batch.py: the matched prefix is capped at logprob_start_len), so s is the
// first position read minus one: a branch then finds the prefix it shares with the trunk, which
// went first. Trees are packed into groups (maxRequestTokens); a group is two requests: its trunks
// as one batch (input_ids a list of lists, logprob_start_len a list), then its branches as another.
import { type EngineSequence, type EnginePlan } from './plan';
import { engineOptionKeys, EngineSource, type EngineSourceOptions, type PlanValues, resolveEngineOptions } from './source';
import { serverError } from './http';
import { keysOf, options as optionsOf } from '../validate';

export type SglangSourceOptions = EngineSourceOptions;

const optionKeys = keysOf<SglangSourceOptions>()(...engineOptionKeys);

/** The /generate body: one sequence as a single request, several as a batch. */
export function generateBody(sequences: EngineSequence[]): object {
  // temperature 1 said explicitly: the log-probs SGLang returns are of raw logits whatever it is
  const sampling_params = { max_new_tokens: 0, temperature: 1 };
  if (sequences.length === 1) {
    const [s] = sequences;
    return s.first === 0
      ? { input_ids: Array.from(s.ids), sampling_params, return_logprob: false }
      : { input_ids: Array.from(s.ids), sampling_params, return_logprob: true, logprob_start_len: s.first - 1 };
  }
  // a trunk sent only to fill the cache reads nothing: return_logprob false for it (-1 is SGLang's default start)
  const reads = sequences.every((s) => s.first > 0);
  return {
    input_ids: sequences.map((s) => Array.from(s.ids)),
    sampling_params,
    return_logprob: reads ? true : sequences.map((s) => s.first > 0),
    logprob_start_len: sequences.map((s) => s.first - 1),
  };
}

export interface ParsedAnswer {
  /** Per sequence, log p(ids[j] | ids[< j]) for j in [first, n) (empty when first is 0). */
  values: Float32Array[];
  /** Summed over the answer's items, when each states them. */
  promptTokens: number | undefined;
  cachedTokens: number | undefined;
}

/**
 * The log-probs in a /generate answer (an object, or a list of them for a batch) for `sequences`.
 * Anything outside the protocol is ERR_INFOGAIN_SERVER naming the sequence and position: a missing
 * field, a list of the wrong length, a null log-prob where one is read (orjson writes NaN and
 * +-inf as null), a token id other than the one sent (0 is let through: SGLang reports ids from
 * its vocabulary size - 1 up as 0).
 */
export function parseGenerateAnswer(answer: unknown, sequences: EngineSequence[], url: string): ParsedAnswer {
  const fail = (message: string) => serverError(`${url} answered outside the SGLang /generate protocol: ${message}`, { url });
  const items = Array.isArray(answer) ? answer : sequences.length === 1 ? [answer] : undefined;
  if (!items || items.length !== sequences.length)
    throw fail(`expected a list of ${sequences.length} results, got ${Array.isArray(answer) ? `${answer.length}` : typeof answer}`);
  let promptTokens = 0, cachedTokens = 0, stated = true;
  const values = sequences.map((s, k) => {
    const meta = (items[k] as { meta_info?: Record<string, unknown> } | null)?.meta_info;
    if (meta === null || typeof meta !== 'object') throw fail(`result ${k} has no meta_info`);
    if (typeof meta.prompt_tokens === 'number' && typeof meta.cached_tokens === 'number') {
      promptTokens += meta.prompt_tokens;
      cachedTokens += meta.cached_tokens;
    } else stated = false;
    if (s.first === 0) return new Float32Array(0);
    const entries = meta.input_token_logprobs;
    const from = s.first - 1, n = s.ids.length;
    if (!Array.isArray(entries)) throw fail(`result ${k} has no meta_info.input_token_logprobs (was return_logprob honoured?)`);
    if (entries.length !== n - from)
      throw fail(`result ${k}: input_token_logprobs has ${entries.length} entries for positions [${from}, ${n}) of ${n} tokens: expected ${n - from}`);
    const out = new Float32Array(n - s.first);
    for (let j = 1; j < entries.length; j++) {
      const e = entries[j], p = from + j;
      if (!Array.isArray(e) || e.length < 2) throw fail(`result ${k}, position ${p}: expected [logprob, token_id, text], got ${JSON.stringify(e)}`);
      if (typeof e[0] !== 'number') throw fail(`result ${k}, position ${p}: the log-prob is ${JSON.stringify(e[0])}${e[0] === null ? ' (NaN or infinite on the server: orjson writes those as null)' : ''}`);
      if (e[1] !== s.ids[p] && e[1] !== 0) throw fail(`result ${k}, position ${p}: token id ${JSON.stringify(e[1])} where ${s.ids[p]} was sent (the answer does not line up with the request)`);
      out[j - 1] = e[0];
    }
    return out;
  });
  return stated ? { values, promptTokens, cachedTokens } : { values, promptTokens: undefined, cachedTokens: undefined };
}

export class SglangSource extends EngineSource {
  readonly engine = 'sglang';
  protected readonly warmsTrunk = true;

  /** Connects to an SGLang server: its model card (GET /get_model_info) and the tokenizer check. */
  static async create(options: SglangSourceOptions): Promise<SglangSource> {
    const o = optionsOf<SglangSourceOptions>(options, 'options', optionKeys);
    const r = resolveEngineOptions(o);
    const source = new SglangSource(r);
    return source.connect(async () => {
      const card = (await r.client.optional('GET', '/get_model_info')) as Record<string, unknown> | undefined;
      if (typeof card?.model_path === 'string') source.served = card.model_path;
      const stated = await source.checkTokenizer(card, {});
      source.maxLength ??= stated;
    });
  }

  protected async scoreGroup(plans: EnginePlan[], signal: AbortSignal): Promise<PlanValues[]> {
    const trunks = plans.flatMap((p) => (p.trunk ? [p.trunk] : [])), branches = plans.flatMap((p) => p.branches);
    let trunkValues: Float32Array[] = [], branchValues: Float32Array[] = [];
    if (trunks.length) {
      // cold: all of each trunk is prefilled (an upper bound: its prompt may still be cached from the rollout)
      this.count(trunks, trunks.reduce((n, t) => n + t.ids.length, 0));
      trunkValues = await this.send(trunks, signal);
    }
    if (branches.length) {
      // each branch: the cache holds what it shares with its trunk, up to logprob_start_len
      this.count(branches, branches.reduce((n, b) => n + b.ids.length - Math.min(b.shared, b.first - 1), 0));
      branchValues = await this.send(branches, signal);
    }
    let t = 0, b = 0;
    return plans.map((p) => ({ trunk: p.trunk ? trunkValues[t++] : undefined, branches: branchValues.slice(b, (b += p.branches.length)) }));
  }

  private async send(sequences: EngineSequence[], signal: AbortSignal): Promise<Float32Array[]> {
    const answer = await this.client.post('/generate', this.timed(() => generateBody(sequences)), signal);
    const parsed = this.timed(() => parseGenerateAnswer(answer, sequences, this.client.url('/generate')));
    this.reported(parsed.promptTokens, parsed.cachedTokens);
    return parsed.values;
  }
}
