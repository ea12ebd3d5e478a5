// What scoring through a serving engine cost, for the run summary: requests and tokens sent per
// rollout, the prefill tokens that miss the engine's prefix cache (SGLang: estimated from where
// logprob_start_len puts the cache limit, and as the server reports it; vLLM: all of them), and
// where the time went.
import type { EngineSource } from './source';

export interface EngineRunTimes {
  /** Seconds since the run started, and of them loading and checking. */
  total: number;
  load: number;
}

export function engineRunSummary(source: EngineSource, rollouts: number, rolloutTokens: number, t: EngineRunTimes) {
  const s = source.engineStats;
  const per = (x: number, n: number, digits = 2) => (n ? (x / n).toFixed(digits) : '-');
  const times = { total: t.total, load: t.load, requests: s.busyMs / 1000, client: s.clientMs / 1000 };
  const other = Math.max(0, times.total - times.load - times.requests);
  const prefilled = s.promptTokensReported !== null && s.cachedTokensReported !== null ? s.promptTokensReported - s.cachedTokensReported : null;
  const prefill =
    source.engine === 'vllm'
      ? `prefill: all ${s.tokensSent} tokens sent (vLLM does not read its prefix cache for requests that ask for prompt log-probs)`
      : `prefill: ~${s.cacheMissEstimate} tokens estimated to miss SGLang's radix cache (${per(s.cacheMissEstimate, rolloutTokens)}x the rollouts' tokens; each trunk counted whole, each branch from min(its branch point, logprob_start_len))` +
        (prefilled === null ? '; the server did not report cached tokens' : `; the server reported ${s.cachedTokensReported} of ${s.promptTokensReported} prompt tokens cached (${prefilled} prefilled, ${per(prefilled, rolloutTokens)}x)`);
  const text = [
    `server: ${source.engine} at ${source.server}${source.served ? ` serving ${source.served}` : ''}; tokenizer ${source.tokenizerCheck.detail}; log-probs of raw logits (temperature 1)`,
    `requests: ${s.requests} for ${rollouts} rollouts (${per(s.requests, rollouts)} per rollout), ${s.retries} retried; ${s.sequences} sequences, ${s.tokensSent} tokens sent (${per(s.tokensSent, rollouts, 1)} per rollout, ${per(s.tokensSent, rolloutTokens)}x the rollouts' ${rolloutTokens} tokens)`,
    prefill,
    `time: ${times.total.toFixed(1)} s (loading and checking ${times.load.toFixed(1)} s, requests in flight ${times.requests.toFixed(1)} s, of which infogain's own work ${times.client.toFixed(2)} s, other ${other.toFixed(1)} s)`,
  ].join('\n');
  const json = {
    backend: source.engine,
    server: source.server,
    served: source.served ?? null,
    tokenizer: source.tokenizerCheck,
    requests: s.requests,
    requestsPerRollout: rollouts ? s.requests / rollouts : null,
    retries: s.retries,
    sequences: s.sequences,
    tokens: {
      rollouts: rolloutTokens,
      sent: s.tokensSent,
      sentPerRollout: rollouts ? s.tokensSent / rollouts : null,
      sentPerRolloutToken: rolloutTokens ? s.tokensSent / rolloutTokens : null,
      cacheMissEstimate: s.cacheMissEstimate,
      cacheMissPerRolloutToken: rolloutTokens ? s.cacheMissEstimate / rolloutTokens : null,
      promptReported: s.promptTokensReported,
      cachedReported: s.cachedTokensReported,
    },
    bytes: { sent: s.bytesSent, received: s.bytesReceived },
    seconds: { ...times, other },
  };
  return { text, json };
}
