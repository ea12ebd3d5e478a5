// vLLM as a LogprobSource, through its OpenAI-compatible POST /v1/completions with token ids:
//   { model, prompt: [[ids], ...], max_tokens: 1, prompt_logprobs: 0, temperature: 1 }
// answers choices[i].prompt_logprobs = [null, { "<id>": { logprob, rank, decoded_token } }, ...],
// one entry per prompt token, the prompt's own token always among the keys (JSON keys are
// strings). max_tokens is 1 because vLLM refuses 0. Asking for prompt log-probs makes vLLM skip
// reading its prefix cache (sampling_params.py: skip_reading_prefix_cache), so there is nothing
// to gain from order: a group of trees (maxRequestTokens) is one request, all its sequences a
// batch. Prompt log-probs are computed from raw logits (the model runner's compute_logprobs,
// before any temperature); vLLM writes -inf as -9999.0.
import { type EngineSequence, type EnginePlan } from './plan';
import { engineOptionKeys, EngineSource, type EngineSourceOptions, type PlanValues, resolveEngineOptions } from './source';
import { serverError } from './http';
import type { ParsedAnswer } from './sglang';
import { keysOf, options as optionsOf } from '../validate';
import { describe, typeError } from '../errors';

export interface VllmSourceOptions extends EngineSourceOptions {
  /** The served model's name ("model" of each request). Default: the first of GET /v1/models. */
  model?: string;
}

const optionKeys = keysOf<VllmSourceOptions>()(...engineOptionKeys, 'model');

export function completionBody(model: string, sequences: EngineSequence[]): object {
  // temperature 1 said explicitly; it only shapes the one sampled token, not the prompt log-probs
  return { model, prompt: sequences.map((s) => Array.from(s.ids)), max_tokens: 1, temperature: 1, prompt_logprobs: 0 };
}

/**
 * The log-probs in a /v1/completions answer for `sequences` (choices in prompt order, by `index`).
 * Anything outside the protocol is ERR_INFOGAIN_SERVER naming the sequence and position: a missing
 * field, a list of the wrong length, a position without an entry for the token sent.
 */
export function parseCompletionAnswer(answer: unknown, sequences: EngineSequence[], url: string): ParsedAnswer {
  const fail = (message: string) => serverError(`${url} answered outside the vLLM /v1/completions protocol: ${message}`, { url });
  const a = answer as { choices?: unknown; usage?: { prompt_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } | null } } | null;
  if (!Array.isArray(a?.choices) || a.choices.length !== sequences.length)
    throw fail(`expected "choices" with ${sequences.length} entries, got ${Array.isArray(a?.choices) ? a.choices.length : describe(a?.choices)}`);
  const choices = [...(a.choices as { index?: unknown; prompt_logprobs?: unknown }[])];
  if (choices.every((c) => Number.isInteger(c?.index))) choices.sort((x, y) => (x.index as number) - (y.index as number));
  const values = sequences.map((s, k) => {
    const entries = choices[k]?.prompt_logprobs, n = s.ids.length;
    if (!Array.isArray(entries)) throw fail(`choice ${k} has no prompt_logprobs (was prompt_logprobs honoured?)`);
    if (entries.length !== n) throw fail(`choice ${k}: prompt_logprobs has ${entries.length} entries for a prompt of ${n} tokens`);
    const out = new Float32Array(n - s.first);
    for (let p = s.first; p < n; p++) {
      const e = entries[p] as Record<string, { logprob?: unknown }> | null;
      if (e === null || typeof e !== 'object') throw fail(`choice ${k}, position ${p}: expected an object of log-probs, got ${JSON.stringify(e)}`);
      const lp = e[String(s.ids[p])]?.logprob;
      if (typeof lp !== 'number')
        throw fail(`choice ${k}, position ${p}: no log-prob for the token sent (${s.ids[p]}); keys ${JSON.stringify(Object.keys(e).slice(0, 8))}`);
      out[p - s.first] = lp;
    }
    return out;
  });
  const prompt = a.usage?.prompt_tokens, cached = a.usage?.prompt_tokens_details?.cached_tokens;
  return typeof prompt === 'number' && typeof cached === 'number' ? { values, promptTokens: prompt, cachedTokens: cached } : { values, promptTokens: undefined, cachedTokens: undefined };
}

export class VllmSource extends EngineSource {
  readonly engine = 'vllm';
  protected readonly warmsTrunk = false;
  private model = '';

  /** Connects to a vLLM server: the served model (GET /v1/models, which also states max_model_len) and the tokenizer check. */
  static async create(options: VllmSourceOptions): Promise<VllmSource> {
    const o = optionsOf<VllmSourceOptions>(options, 'options', optionKeys);
    if (o.model !== undefined && (typeof o.model !== 'string' || o.model === '')) throw typeError('model', `model must be the served model's name, got ${describe(o.model)}`);
    const r = resolveEngineOptions(o);
    const source = new VllmSource(r);
    return source.connect(async () => {
      const url = r.client.url('/v1/models');
      const listed = ((await r.client.get('/v1/models')) as { data?: unknown } | null)?.data;
      const cards = Array.isArray(listed) ? (listed as Record<string, unknown>[]).filter((m) => typeof m?.id === 'string') : [];
      if (!cards.length) throw serverError(`${url} lists no models (is ${r.client.base.href} a vLLM OpenAI-compatible server?)`, { url });
      const card = o.model === undefined ? cards[0] : cards.find((m) => m.id === o.model);
      if (!card) throw serverError(`${url} does not serve model ${JSON.stringify(o.model)}; it serves ${cards.map((m) => JSON.stringify(m.id)).join(', ')}`, { url });
      source.model = source.served = card.id as string;
      const fromTokenize = await source.checkTokenizer(card, { model: source.model });
      const stated = Number.isInteger(card.max_model_len) ? (card.max_model_len as number) : fromTokenize;
      // vLLM needs room for the one token it generates
      if (source.maxLength === undefined && stated !== undefined && stated > 1) source.maxLength = stated - 1;
    });
  }

  protected async scoreGroup(plans: EnginePlan[], signal: AbortSignal): Promise<PlanValues[]> {
    const sequences = plans.flatMap((p) => (p.trunk ? [p.trunk, ...p.branches] : p.branches));
    if (!sequences.length) return plans.map(() => ({ trunk: undefined, branches: [] }));
    // no prefix cache reads with prompt log-probs: every token sent is prefilled
    this.count(sequences, sequences.reduce((n, s) => n + s.ids.length, 0));
    const answer = await this.client.post('/v1/completions', this.timed(() => completionBody(this.model, sequences)), signal);
    const parsed = this.timed(() => parseCompletionAnswer(answer, sequences, this.client.url('/v1/completions')));
    this.reported(parsed.promptTokens, parsed.cachedTokens);
    let k = 0;
    return plans.map((p) => ({ trunk: p.trunk ? parsed.values[k++] : undefined, branches: parsed.values.slice(k, (k += p.branches.length)) }));
  }
}
