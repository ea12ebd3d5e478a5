// `infogain serve`: the scorer as an HTTP service for trainers (README, "Reward service"). It
// listens first (so /healthz can say "loading"), opens the model or engine once, calibrates C-IP
// once when asked, then scores requests. SIGTERM or SIGINT drains: new requests get 503, running
// ones finish (up to --drain-timeout, after which they are aborted), the listener closes, and the
// process exits 0.
import { performance } from 'node:perf_hooks';

import { parseMemory } from '../model/memory';
import { openSource } from '../model/open';
import type { LogprobSource } from '../model/source';
import { choice, millisecondsFlag, numberFlag, parseFlags, scoringFlags, scoringFromFlags, UsageError } from '../scoreFlags';
import { readCalibration } from '../scoreInput';
import { calibrateInChunks } from '../scoreLoop';
import { buildApp } from './app';
import { readToken } from './auth';
import { chatFormatNames, chatFormats } from './chat';
import { loadServeDependencies } from './deps';
import { serveMetrics } from './metrics';
import { openrlhfRewards } from './openrlhf';
import { JobQueue } from './queue';

export const serveUsage = `serve options (and the score options above but --out, --json-summary; defaults in brackets):
  --host HOST             address to listen on; anything but loopback is reachable by others [127.0.0.1]
  --port N                port; 0 picks a free one (the line 'listening on URL' names it) [8000]
  --concurrency N         scoring jobs at once (the engine's requests in flight: --engine-concurrency) [1]
  --max-queue N           jobs that may wait for a slot; beyond, 503 with Retry-After [64]
  --deadline SECONDS      time limit of one request, from its arrival (503 beyond) [300]
  --body-limit SIZE       largest request body, e.g. 16m (413 beyond) [16m]
  --token-file FILE       require 'Authorization: Bearer <the file's token>' on every route but /healthz
  --drain-timeout SECONDS on SIGTERM / SIGINT, how long running requests may finish before they are aborted [30]
  --chat-format ${chatFormatNames.join('|')}  how /get_reward splits OpenRLHF's chat text into turns [chatml]
  --openrlhf-reward ${openrlhfRewards.join('|')}  the scalar /get_reward returns: the sum of the turns' InfoPO IG, or IGPO belief gain [infopo]
  --engine-concurrency N  sglang / vllm: most requests in flight to the engine [8]
  --log-level LEVEL       pino's level of the JSON logs on stdout: fatal, error, warn, info, debug [info]`;

const serveFlags = {
  ...scoringFlags,
  host: { type: 'string' }, port: { type: 'string' }, concurrency: { type: 'string' }, 'max-queue': { type: 'string' },
  deadline: { type: 'string' }, 'body-limit': { type: 'string' }, 'token-file': { type: 'string' }, 'drain-timeout': { type: 'string' },
  'chat-format': { type: 'string' }, 'openrlhf-reward': { type: 'string' }, 'engine-concurrency': { type: 'string' }, 'log-level': { type: 'string' },
} as const;

const say = (line: string) => process.stderr.write(`infogain serve: ${line}\n`);

/** Runs the service until SIGTERM / SIGINT; resolves with the exit code. */
export async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, serveFlags);
  if (positionals.length) throw new UsageError(`serve takes no file: rollouts come in requests (got '${positionals[0]}')`);
  const scoring = scoringFromFlags(values, 'engine-concurrency');
  const int = (name: keyof typeof values & string, fallback: number, min: number, max: number) =>
    numberFlag(values[name] as string | undefined, name, fallback, (v) => Number.isInteger(v) && v >= min && v <= max, `an integer in [${min}, ${max}]`);
  const port = int('port', 8000, 0, 65535);
  const concurrency = int('concurrency', 1, 1, 1024);
  const maxQueue = int('max-queue', 64, 0, 1_000_000);
  const deadlineMs = millisecondsFlag(values.deadline, 'deadline', 300), drainMs = millisecondsFlag(values['drain-timeout'], 'drain-timeout', 30);
  const bodyLimit = values['body-limit'] === undefined ? 16 * 2 ** 20 : parseMemory(values['body-limit']);
  if (bodyLimit === undefined || bodyLimit < 1024) throw new UsageError(`--body-limit must be a size of at least 1k (e.g. 16m), got '${values['body-limit']}'`);
  const chat = chatFormats[choice(values['chat-format'], 'chat-format', chatFormatNames, 'chatml')];
  const openrlhfReward = choice(values['openrlhf-reward'], 'openrlhf-reward', openrlhfRewards, 'infopo');
  if (!scoring.rewards.includes(openrlhfReward)) throw new UsageError(`--openrlhf-reward ${openrlhfReward} needs --reward to include ${openrlhfReward}`);
  const logLevel = choice(values['log-level'], 'log-level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info');
  const token = values['token-file'] === undefined ? undefined : readToken(values['token-file']);
  const host = values.host ?? '127.0.0.1';

  const { fastify, prom } = loadServeDependencies();
  // the metrics read the source's counters, which exist once it is open: until then, zeros
  let source: LogprobSource | undefined;
  const stats = { get stats() { return source?.stats ?? { tokensFed: 0 }; } } as LogprobSource;
  const metrics = serveMetrics(prom, stats);
  const queue = new JobQueue(concurrency, maxQueue, () => (metrics.running.set(queue.active), metrics.queued.set(queue.depth)));
  const { app, state } = buildApp(fastify, { queue, metrics, token, bodyLimit, deadlineMs, chat, openrlhfReward, logLevel });

  // SIGTERM / SIGINT: stop taking requests, let the running ones finish (at most drainMs), exit 0
  let drained: () => void;
  const stopped = new Promise<void>((resolve) => (drained = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (state.draining) return;
    state.draining = true;
    say(`${signal}: draining (${queue.active} running, ${queue.depth} waiting; at most ${drainMs / 1000} s)`);
    // past the drain's deadline the jobs stop; once they have answered (503), connections still open (a
    // body still trickling in) close, or the drain would wait on them for ever
    const giveUp = setTimeout(() => {
      state.shutdown.abort();
      const until = Date.now() + 5000;
      const closeRest = setInterval(() => {
        if (queue.active > 0 && Date.now() < until) return;
        clearInterval(closeRest);
        setTimeout(() => app.server.closeAllConnections(), 200).unref();
      }, 50);
      closeRest.unref();
    }, drainMs);
    // the listener stays open while jobs run, so a request arriving meanwhile gets a 503 with Retry-After
    // (and /healthz 'draining') rather than a refused connection; then it closes
    const closed = () => (clearTimeout(giveUp), drained());
    queue.idle().then(() => app.close()).then(closed, closed);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const url = await app.listen({ host, port });
  say(`listening on ${url}${host === '127.0.0.1' || host === 'localhost' || host === '::1' ? '' : ' (not loopback: reachable from other machines)'}${token ? '' : '; no --token-file: no authentication'}`);

  const started = performance.now();
  try {
    source = await openSource(scoring.source);
    if (scoring.calibration !== undefined) {
      // C-IP: the thresholds come from the operator's calibration file, scored once now
      const calibration = readCalibration(scoring.calibration, source, scoring.options);
      const { conformal } = await calibrateInChunks(calibration, source, scoring.options, scoring.alpha, { batchSize: scoring.batchSize, stop: () => state.draining });
      if (conformal) scoring.options.conformal = conformal;
      else if (!state.draining) throw new Error('the C-IP calibration did not finish');
    }
  } catch (e) {
    await app.close();
    await source?.dispose();
    throw e;
  }
  if (!state.draining) {
    state.scoring = { source, options: scoring.options, batchSize: scoring.batchSize };
    say(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${scoring.source.backend ?? 'onnx'} backend, rewards ${scoring.rewards.join(',')}, --concurrency ${concurrency}, --max-queue ${maxQueue}`);
  }
  await stopped;
  await source.dispose();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  say('drained; exiting');
  return 0;
}
