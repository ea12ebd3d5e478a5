// GET /metrics: Prometheus text from prom-client. Requests and errors by route and status code,
// latency, scoring jobs running and waiting, rollouts scored, and the tokens the model was fed
// (read from the source's own counters when scraped).
import type { LogprobSource } from '../model/source';
import type { PromClient } from './deps';

export function serveMetrics(prom: PromClient, source: LogprobSource) {
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: 'infogain_' });
  const requests = new prom.Counter({ name: 'infogain_http_requests_total', help: 'HTTP requests answered, by route and status code', labelNames: ['route', 'code'], registers: [registry] });
  const errors = new prom.Counter({ name: 'infogain_http_errors_total', help: 'HTTP requests answered with an error, by route, status and error code', labelNames: ['route', 'status', 'code'], registers: [registry] });
  const latency = new prom.Histogram({
    name: 'infogain_http_request_duration_seconds',
    help: 'Time from a request to its answer, by route',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const running = new prom.Gauge({ name: 'infogain_jobs_running', help: 'Scoring jobs running', registers: [registry] });
  const queued = new prom.Gauge({ name: 'infogain_queue_depth', help: 'Scoring jobs waiting for a slot', registers: [registry] });
  const rollouts = new prom.Counter({ name: 'infogain_rollouts_scored_total', help: 'Rollouts scored', registers: [registry] });
  const aborted = new prom.Counter({ name: 'infogain_jobs_aborted_total', help: 'Scoring jobs stopped early: the client left, or the deadline passed', labelNames: ['why'], registers: [registry] });
  let fedSeen = 0;
  new prom.Counter({
    name: 'infogain_tokens_fed_total',
    help: 'Tokens given to the model (padding excluded)',
    registers: [registry],
    collect() {
      const fed = source.stats.tokensFed;
      if (fed > fedSeen) this.inc(fed - fedSeen);
      fedSeen = fed;
    },
  });
  return { registry, requests, errors, latency, running, queued, rollouts, aborted };
}

export type ServeMetrics = ReturnType<typeof serveMetrics>;
