#!/usr/bin/env node
// The `infogain` command: `infogain score` (rollouts + a model -> dense rewards and advantages)
// and `infogain bench` (the microbenchmarks). Exit codes: 0 done, 1 failed (model, tokenizer,
// files, an output that cannot be written), 2 bad input (arguments or rollout lines: every bad
// line is listed), 130 / 143 interrupted by SIGINT / SIGTERM.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { engineRunSummary } from './engines/accounting';
import { catchInterrupts } from './interrupts';
import { mib } from './model/memory';
import { isEngineSource, openSource } from './model/open';
import type { LogprobSource } from './model/source';
import { openOutput, sameFile } from './output';
import type { TokenizedRollout } from './rollouts';
import { calibrationCoverage, calibrationJson, calibrationTable, type ConformalCalibration } from './rewards/cip';
import { checkRollouts, finishScores } from './score';
import { parseFlags, scoringFlags, scoringFromFlags, UsageError } from './scoreFlags';
import { readCalibration, readRollouts, tokenizeFile } from './scoreInput';
import { calibrateInChunks, scoreInChunks } from './scoreLoop';
import { summaryTable } from './scoreSummary';
import { OnnxScorer } from './scorer';
import { serve, serveUsage } from './serve/command';

const root = join(__dirname, '..');
const usage = `usage:
  infogain score [rollouts.jsonl] [options]   dense rewards and advantages for rollout groups
  infogain serve [options]                    the scorer as an HTTP service for trainers (README, "Reward service")
  infogain bench [--full] [suite ...]         run the microbenchmarks: tables, target verdicts, peak RSS
                                              (default sizes fit in 4 GiB; --full: the large cases, ~10 GiB)
  infogain --help | --version

score options (defaults in brackets):
  --backend onnx|sglang|vllm   run the model here (onnx), or read log-probs from the server that
                          already serves it (sglang, vllm: --server; --mode sampled, --temperature 1) [onnx]
  --server URL            the SGLang or vLLM server, e.g. http://127.0.0.1:30000
  --server-model NAME     vLLM: the served model's name [the first of GET /v1/models]
  --concurrency N         sglang / vllm: most requests in flight [8]
  --timeout SECONDS       sglang / vllm: time limit of one attempt of a request (5 more tries on 429, 5xx, dropped connections) [300]
  --model FILE            causal LM in ONNX, with or without a KV cache (README) [the bundled tiny model]
  --tokenizer FILE        tokenizer.json for the model [UTF-8 bytes]
  --out FILE              JSONL output, one line per rollout; '-' for stdout [rewards.jsonl]
  --mode sampled|full     InfoPO gain from sampled-token log-ratios, or full-vocabulary KL [sampled]
  --beta B                InfoPO intrinsic weight [0.5]
  --gate-temperature T    InfoPO variance-gate temperature [0.5]
  --temperature T         logits are divided by T when scoring [1]
  --gamma G               IGPO turn discount [1]
  --belief-mode prob|logprob   IGPO gain: exp(v) differences or v differences [prob]
  --placeholder TEXT      what masks an observation [No information found.]
  --belief-prefix TEXT    between the context and the ground truth when reading IGPO beliefs [\\nA: ]
  --batch-size N          most sequences per forward pass [8]
  --max-memory SIZE       memory the scorer may use beyond the model's weights, e.g. 2g, 512m
                          [half the free memory, at most 8g]
  --max-length N          the model's context in tokens [the model's config.json, if any]
  --threads N             onnxruntime threads [onnxruntime's choice]
  --fused-head auto|on|off  log-probs and KL straight from hidden states and the head's weight,
                          never making logits (README) [auto: when the head allows, on the CPU]
  --json-summary FILE     also write the run's summary (tokens fed, passes, time, memory) as JSON
  --reward LIST           rewards to compute, comma-separated, from one pass of the model:
                          infopo, igpo, nous, cip, pear [infopo,igpo]
  --calibration FILE      C-IP: held-out rollouts with the truth of every attribute (required by cip)
  --alpha A               C-IP: miscoverage of the prediction sets, in (0, 1) [0.1]
  --pear-alpha A          PEAR: weight of the thinking-phase entropy (required by pear)
  --pear-beta B           PEAR: weight of the answer-phase entropy [0]
  --delimiter TEXT        PEAR: where each action's thinking phase ends [</think>]
The rollout schema is in README.md; the bundled examples are examples/rollouts.jsonl and, for C-IP,
examples/calibration.jsonl.

${serveUsage}`;

const scoreFlags = { ...scoringFlags, out: { type: 'string' }, 'json-summary': { type: 'string' }, concurrency: { type: 'string' } } as const;

/** A one-line progress bar on stderr, shown only on a terminal and only after the first second
 * (INFOGAIN_PROGRESS_AFTER_MS sets that delay; 0 shows it from the first batch on). */
function progress(total: number) {
  const start = Date.now();
  const tty = process.stderr.isTTY;
  const after = Number(process.env.INFOGAIN_PROGRESS_AFTER_MS ?? 1000);
  const delay = Number.isFinite(after) && after >= 0 ? after / 1000 : 1;
  let shown = false;
  return {
    update(done: number) {
      const elapsed = (Date.now() - start) / 1000;
      if (!tty || elapsed < delay) return;
      shown = true;
      const rate = done / elapsed, eta = rate > 0 ? (total - done) / rate : 0;
      const text = ` ${done}/${total} rollouts  ${rate.toFixed(1)}/s  ETA ${eta.toFixed(0)}s`;
      // the bar takes what the terminal's width leaves (one line, never wrapped), at most 24 cells
      const columns = process.stderr.columns || 80;
      const width = Math.max(0, Math.min(24, columns - text.length - 3)), filled = Math.round((width * done) / total);
      const line = width > 0 ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${text}` : text.trimStart();
      process.stderr.write(`\r${line.slice(0, columns - 1)}`);
    },
    end() {
      if (shown) process.stderr.write('\n');
    },
  };
}

/** What the run cost: tokens fed vs tokens in the rollouts, passes, time split and peak memory. */
function runSummary(source: LogprobSource, tokenized: TokenizedRollout[], t: { started: number; loaded: number; maxMemory: number; calibration?: TokenizedRollout[] }) {
  const count = (list: TokenizedRollout[]) => list.reduce((n, r) => n + r.ids.length, 0);
  const calibration = count(t.calibration ?? []), inRollouts = calibration + count(tokenized);
  const total = (performance.now() - t.started) / 1000, load = (t.loaded - t.started) / 1000;
  if (isEngineSource(source)) return engineRunSummary(source, tokenized.length + (t.calibration?.length ?? 0), inRollouts, { total, load });
  const scorer = source as OnnxScorer;
  const s = scorer.stats, layout = scorer.layout;
  const model = s.modelMs / 1000, head = s.headMs / 1000, kernels = s.kernelMs / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const kind = layout.kind === 'past' ? `with a KV cache${layout.merged ? ' (merged decoder)' : ''}` : 'without a KV cache';
  const ratio = inRollouts ? (s.tokensFed / inRollouts).toFixed(2) : '-';
  const text = [
    `model: ${kind}, logits ${layout.logits}, ${layout.fusedHead ? 'fused head (log-probs from hidden states, no logits)' : layout.splitHead ? 'vocabulary projection only for scored rows' : 'full logits from the model'}`,
    `tokens: ${inRollouts} in the rollouts${calibration ? ` (${calibration} of them in the calibration rollouts)` : ''}, ${s.tokensFed} fed to the model (${ratio}x, ${s.paddingFed} padding); ${s.forwardPasses} forward passes, ${s.headPasses} head passes, ${s.rowsScored} rows scored`,
    `time: ${total.toFixed(1)} s (loading and checking ${load.toFixed(1)} s, model ${model.toFixed(1)} s${layout.splitHead && !layout.fusedHead ? ` (of which the vocabulary projection ${head.toFixed(1)} s)` : ''}, infogain kernels ${kernels.toFixed(1)} s${layout.fusedHead ? ' (the vocabulary projection included)' : ''}, other ${(total - load - model - kernels).toFixed(1)} s); peak RSS ${mib(peakRss)} MiB (--max-memory ${mib(t.maxMemory)} MiB)`,
  ].join('\n');
  const json = {
    model: { layout: layout.kind, merged: layout.merged, logits: layout.logits, splitHead: layout.splitHead, fusedHead: layout.fusedHead, vocab: scorer.vocab },
    tokens: { rollouts: inRollouts, ...(calibration ? { calibration } : {}), fed: s.tokensFed, padding: s.paddingFed, fedPerRolloutToken: inRollouts ? s.tokensFed / inRollouts : null },
    forwardPasses: s.forwardPasses,
    headPasses: s.headPasses,
    rowsScored: s.rowsScored,
    largestLogitsChunk: s.largestLogitsChunk,
    seconds: { total, load, model, head, kernels, other: total - load - model - kernels },
    peakRssBytes: peakRss,
    maxMemoryBytes: t.maxMemory,
  };
  return { text, json };
}

async function score(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, scoreFlags);
  if (positionals.length > 1) throw new UsageError(`score takes one rollouts file, got ${positionals.length}`);
  const input = positionals[0] ?? join(root, 'examples', 'rollouts.jsonl');
  const { options: o, rewards, calibration, alpha, source: sourceOptions, batchSize, maxMemory } = scoringFromFlags(values);
  const outPath = values.out ?? 'rewards.jsonl';
  if (outPath !== '-' && sameFile(outPath, input)) throw new UsageError(`--out ${outPath} is the input file; refusing to overwrite it`);
  if (outPath !== '-' && calibration !== undefined && sameFile(outPath, calibration)) throw new UsageError(`--out ${outPath} is the calibration file; refusing to overwrite it`);
  const jsonSummary = values['json-summary'];
  if (jsonSummary !== undefined && (sameFile(jsonSummary, input) || (calibration !== undefined && sameFile(jsonSummary, calibration)) || (outPath !== '-' && sameFile(jsonSummary, outPath))))
    throw new UsageError(`--json-summary ${jsonSummary} is the input, the calibration or the output file`);
  const output = openOutput(outPath);  // before any work: an output that cannot be written fails now
  const summaryOutput = jsonSummary === undefined ? undefined : openOutput(jsonSummary);
  process.once('exit', () => (output.discard(), summaryOutput?.discard()));  // however the process ends, temporary files go
  const interrupts = catchInterrupts();  // SIGINT, SIGTERM: stop after this batch; again: quit now

  const started = performance.now();
  const { rollouts, lines } = readRollouts(input);
  const scorer = await openSource(sourceOptions);
  let tokenized: TokenizedRollout[], calibrationRollouts: TokenizedRollout[] = [];
  try {
    // C-IP: what the calibration rollouts cover is known before they are scored, so the input is checked against it now
    if (calibration !== undefined) calibrationRollouts = readCalibration(calibration, scorer, o);
    tokenized = tokenizeFile(input, rollouts, lines, scorer, (rs, tk) =>
      checkRollouts(rs, tk, scorer, calibration === undefined ? o : { ...o, conformal: calibrationCoverage(calibrationRollouts).coverage }));
  } catch (e) {
    await scorer.dispose();
    throw e;
  }
  const loaded = performance.now();

  const bar = progress(calibrationRollouts.length + rollouts.length);
  const stop = () => interrupts.signal !== undefined;
  let conformal: ConformalCalibration | undefined, calibrated = 0;
  if (calibration !== undefined) {
    const run = await calibrateInChunks(calibrationRollouts, scorer, o, alpha, { batchSize, stop, onChunk: (n) => bar.update(n) });
    calibrated = run.calibrated;
    if (!stop()) o.conformal = conformal = run.conformal;
  }
  const scored = await scoreInChunks(tokenized, scorer, o, { batchSize, stop, onChunk: (n) => bar.update(calibrationRollouts.length + n) });
  bar.end();
  await scorer.dispose();
  const interrupted = interrupts.signal !== undefined;

  // after an interrupt keep whole groups only: advantages are normalized within groups
  let kept = rollouts.slice(0, scored.length);
  if (interrupted) {
    const unfinished = new Set(rollouts.slice(scored.length).map((r) => r.group));
    const keep = kept.map((r) => !unfinished.has(r.group));
    kept = kept.filter((_, i) => keep[i]);
    scored.splice(0, scored.length, ...scored.filter((_, i) => keep[i]));
  }
  const records = kept.length ? finishScores(kept, scored, o) : [];
  const written = records.length > 0 || !interrupted;  // interrupted before a whole group: an existing file stays
  if (written) await output.commit(records.map((r) => JSON.stringify(r) + '\n'));
  const report = outPath === '-' ? process.stderr : process.stdout;
  if (conformal) report.write(`C-IP thresholds qhat (calibration rows) at alpha ${alpha}, from ${calibrationRollouts.length} rollouts of ${calibration}:\n${calibrationTable(conformal)}\n`);
  if (records.length) report.write(summaryTable(records, rewards) + '\n');
  const where = outPath === '-' ? '' : written ? `, written to ${outPath}` : `; ${outPath} was not written`;
  const asked = values.reward === undefined ? `mode ${o.mode}` : `rewards ${rewards.join(',')}${rewards.includes('infopo') ? `, mode ${o.mode}` : ''}`;
  report.write(`${records.length} of ${rollouts.length} rollouts scored (${asked})${where}\n`);
  const run = runSummary(scorer, tokenized.slice(0, scored.length), { started, loaded, maxMemory, calibration: calibrationRollouts.slice(0, calibrated) });
  report.write(run.text + '\n');
  const extra = { ...(values.reward === undefined ? {} : { rewards }), ...(conformal ? { calibration: { rollouts: calibrationRollouts.length, ...calibrationJson(conformal) } } : {}) };
  await summaryOutput?.commit([JSON.stringify({ rollouts: rollouts.length, scored: records.length, mode: o.mode, ...extra, ...run.json }, null, 2) + '\n']);
  interrupts.dispose();
  return interrupts.exitCode() ?? 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    console.log(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    return 0;
  }
  // `infogain score --help` as `infogain --help score`: the usage, not an unknown flag
  if ((command === 'score' || command === 'serve') && rest.some((a) => a === '--help' || a === '-h')) {
    console.log(usage);  // serve's options refer to score's above them
    return 0;
  }
  if (command === 'score') return score(rest);
  if (command === 'serve') return serve(rest);
  if (command === 'bench') {
    try {
      execFileSync(process.execPath, [join(root, 'bench', 'run.js'), ...rest], { stdio: 'inherit' });
      return 0;
    } catch (e) {
      return (e as { status?: number }).status ?? 1;
    }
  }
  throw new UsageError(`unknown command '${command}'`);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: Error & { code?: string }) => {
    if (e instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`infogain: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      // the code once, then the message without it (Node's fs errors start with it: 'ENOENT: ...')
      const message = e.code && e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message;
      process.stderr.write(`infogain: ${e.code ? `${e.code}: ` : ''}${message}\n`);
      process.exitCode = 1;
    }
  },
);
