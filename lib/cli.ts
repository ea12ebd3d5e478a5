#!/usr/bin/env node
// The `infogain` command: `infogain score` (rollouts + a model -> dense rewards and advantages)
// and `infogain bench` (the microbenchmarks). Exit codes: 0 done, 1 failed (model, tokenizer,
// files, an output that cannot be written), 2 bad input (arguments or rollout lines: every bad
// line is listed), 130 / 143 interrupted by SIGINT / SIGTERM.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { engineRunSummary } from './engines/accounting';
import { engineScoringProblem } from './engines/source';
import { catchInterrupts } from './interrupts';
import { defaultMaxMemory, mib, parseMemory } from './model/memory';
import { isEngineSource, openSource, type OpenSourceOptions, sourceBackends } from './model/open';
import type { LogprobSource } from './model/source';
import { openOutput, sameFile } from './output';
import { parseRollout, RolloutLineError, tokenizeRollout, type Rollout, type TokenizedRollout } from './rollouts';
import { calibrate, calibrationCoverage, calibrationJson, calibrationTable, type ConformalCalibration } from './rewards/cip';
import {
  calibrationScores, checkCalibrationRollouts, checkRollouts, defaultRewards, defaultScoreOptions, finishScores, type Reward, rewardNames, scoreTokenized,
  type RolloutProblem, type RolloutScore, type ScoreOptions, type TurnScore,
} from './score';
import { OnnxScorer } from './scorer';
import { closestKey } from './validate';

const root = join(__dirname, '..');
const usage = `usage:
  infogain score [rollouts.jsonl] [options]   dense rewards and advantages for rollout groups
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
examples/calibration.jsonl.`;

class UsageError extends Error {}

/** parseArgs, with the nearest known flag named when one is not known. */
function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const flag = (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && /'-{1,2}([^'=]+)/.exec((e as Error).message)?.[1];
    if (!flag) throw e;
    const near = closestKey(flag, Object.keys(options));
    throw new UsageError(`unknown flag '${flag.length > 1 ? '--' : '-'}${flag}'${near ? `; did you mean --${near}?` : ''} (infogain --help lists the flags)`);
  }
}

const scoreFlags = {
  model: { type: 'string' }, tokenizer: { type: 'string' }, out: { type: 'string' }, mode: { type: 'string' },
  beta: { type: 'string' }, 'gate-temperature': { type: 'string' }, temperature: { type: 'string' },
  gamma: { type: 'string' }, 'belief-mode': { type: 'string' }, placeholder: { type: 'string' },
  'belief-prefix': { type: 'string' }, 'batch-size': { type: 'string' }, threads: { type: 'string' },
  'max-memory': { type: 'string' }, 'max-length': { type: 'string' }, 'json-summary': { type: 'string' },
  reward: { type: 'string' }, calibration: { type: 'string' }, alpha: { type: 'string' },
  'pear-alpha': { type: 'string' }, 'pear-beta': { type: 'string' }, delimiter: { type: 'string' },
  'fused-head': { type: 'string' },
  backend: { type: 'string' }, server: { type: 'string' }, 'server-model': { type: 'string' }, concurrency: { type: 'string' }, timeout: { type: 'string' },
} as const;

function numberFlag(value: string | undefined, name: string, fallback: number, check: (v: number) => boolean, what: string): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!Number.isFinite(v) || !check(v)) throw new UsageError(`--${name} must be ${what}, got '${value}'`);
  return v;
}

function choice<T extends string>(value: string | undefined, name: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

/** Bad lines, each with its number and reason, as one UsageError (exit 2): nothing was scored. */
function badLines(path: string, bad: { line: number; message: string }[]): UsageError {
  const shown = bad.slice(0, 20).map((e) => `  ${path}: ${e.message}`);
  if (bad.length > 20) shown.push(`  ... and ${bad.length - 20} more`);
  return new UsageError(`${bad.length} bad rollout line${bad.length > 1 ? 's' : ''}; nothing was scored:\n${shown.join('\n')}`);
}

function readRollouts(path: string): { rollouts: Rollout[]; lines: number[] } {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');  // a byte order mark (editors on Windows write one)
  const rollouts: Rollout[] = [], lines: number[] = [];
  const bad: RolloutLineError[] = [];
  text.split('\n').forEach((line, i) => {
    try {
      const r = parseRollout(line, i + 1);
      if (r) {
        rollouts.push(r);
        lines.push(i + 1);
      }
    } catch (e) {
      if (e instanceof RolloutLineError) bad.push(e);
      else throw e;
    }
  });
  if (bad.length) throw badLines(path, bad);
  if (!rollouts.length) throw new UsageError(`${path} holds no rollouts`);
  return { rollouts, lines };
}

type Check = (rollouts: Rollout[], tokenized: TokenizedRollout[]) => RolloutProblem[];

/** What fails only with the model (vocabulary, context, memory, float32 rewards, ...: `check`), checked before any forward pass. */
function tokenizeAndCheck(path: string, rollouts: Rollout[], lines: number[], scorer: LogprobSource, check: Check): TokenizedRollout[] {
  const problems: RolloutProblem[] = [];
  const tokenized = rollouts.map((r, index) => {
    try {
      return tokenizeRollout(r, scorer.tokenizer);
    } catch (e) {
      problems.push({ index, reason: (e as Error).message });
      return undefined;
    }
  });
  problems.push(...check(rollouts, tokenized as TokenizedRollout[]));
  if (problems.length) {
    problems.sort((a, b) => a.index - b.index);
    throw badLines(path, problems.map((p) => ({ line: lines[p.index], message: `line ${lines[p.index]} (id ${JSON.stringify(rollouts[p.index].id)}): ${p.reason}` })));
  }
  return tokenized as TokenizedRollout[];
}

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

/** The summary table's columns of each reward: a title and the value over some rollouts. */
const mean = (xs: number[]) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(4) : '-');
const turnValues = (rs: RolloutScore[], key: keyof TurnScore) => rs.flatMap((r) => r.turns.map((t) => t[key]).filter((v): v is number => typeof v === 'number'));
const rewardColumns: Record<Reward, [string, (rs: RolloutScore[]) => string | number][]> = {
  infopo: [['turns with IG', (rs) => turnValues(rs, 'infoGain').length], ['mean InfoPO IG', (rs) => mean(turnValues(rs, 'infoGain'))]],
  igpo: [['mean IGPO gain', (rs) => mean(turnValues(rs, 'beliefGain'))]],
  nous: [['mean Nous gain', (rs) => mean(turnValues(rs, 'beliefEntropyGain'))]],
  cip: [['mean C-IP gain', (rs) => mean(turnValues(rs, 'setSizeGain'))]],
  pear: [
    ['mean H_think', (rs) => mean(rs.map((r) => r.pear!.thinkEntropy))],
    ['mean H_answer', (rs) => mean(rs.map((r) => r.pear!.answerEntropy))],
    ['mean PEAR reward', (rs) => mean(rs.map((r) => r.pear!.reward))],
  ],
};

/** Group rows the summary shows at most (then a count, then the total). */
const summaryGroups = 20;

function summary(records: RolloutScore[], rewards: readonly Reward[]): string {
  const byGroup = new Map<RolloutScore['group'], RolloutScore[]>();
  for (const r of records) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  const columns: [string, (rs: RolloutScore[]) => string | number][] = [['rollouts', (rs) => rs.length], ['mean reward', (rs) => mean(rs.map((r) => r.reward))], ...rewards.flatMap((r) => rewardColumns[r])];
  const lines = [`| group | ${columns.map((c) => c[0]).join(' | ')} |`, `| --- |${' --- |'.repeat(columns.length)}`];
  const row = (name: string, rs: RolloutScore[]) => lines.push(`| ${name} | ${columns.map((c) => c[1](rs)).join(' | ')} |`);
  // group 1 and group "1" are two groups: the string is quoted when both occur
  let shown = 0;
  for (const [g, rs] of byGroup) {
    if (shown++ === summaryGroups) break;
    row(typeof g === 'string' && byGroup.has(Number(g)) ? JSON.stringify(g) : String(g), rs);
  }
  if (byGroup.size > summaryGroups) lines.push(`| (${byGroup.size - summaryGroups} more groups) |${' |'.repeat(columns.length)}`);
  row(`all ${byGroup.size} groups`, records);
  return lines.join('\n');
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

/** --reward and the flags of the rewards that take some; a flag of a reward not asked for is an error (it would do nothing). */
function rewardFlags(values: Record<string, string | boolean | undefined>): Pick<ScoreOptions, 'rewards' | 'pear'> & { calibration?: string; alpha: number } {
  const rewards = (values.reward === undefined ? defaultRewards.join(',') : String(values.reward)).split(',').map((r) => r.trim());
  rewards.forEach((r, i) => {
    if (!(rewardNames as readonly string[]).includes(r)) throw new UsageError(`--reward: '${r}' is not one of ${rewardNames.join(', ')}`);
    if (rewards.indexOf(r) < i) throw new UsageError(`--reward names '${r}' twice`);
  });
  const asked = (reward: Reward, flags: string[]) => {
    const stray = flags.find((f) => values[f] !== undefined);
    if (stray && !rewards.includes(reward)) throw new UsageError(`--${stray} belongs to --reward ${reward}, which is not asked for`);
    return rewards.includes(reward);
  };
  const out: ReturnType<typeof rewardFlags> = { rewards: rewards as Reward[], alpha: 0.1 };
  if (asked('cip', ['calibration', 'alpha'])) {
    if (values.calibration === undefined) throw new UsageError('--reward cip needs --calibration FILE: held-out rollouts with the truth of every attribute');
    out.calibration = String(values.calibration);
    out.alpha = numberFlag(values.alpha as string | undefined, 'alpha', 0.1, (v) => v > 0 && v < 1, 'a number in (0, 1)');
  }
  if (asked('pear', ['pear-alpha', 'pear-beta', 'delimiter'])) {
    if (values['pear-alpha'] === undefined)
      throw new UsageError("--reward pear needs --pear-alpha, the weight of the thinking-phase entropy (the paper's value is not known here, so there is no default)");
    const delimiter = values.delimiter === undefined ? '</think>' : String(values.delimiter);
    if (!delimiter) throw new UsageError('--delimiter must not be empty');
    out.pear = {
      alpha: numberFlag(values['pear-alpha'] as string, 'pear-alpha', 0, () => true, 'a number'),
      beta: numberFlag(values['pear-beta'] as string | undefined, 'pear-beta', 0, () => true, 'a number'),
      delimiter,
    };
  }
  return out;
}

/** C-IP's calibration rollouts, read and checked like the input (exit 2 naming their lines) before any forward pass. */
function readCalibration(path: string, scorer: LogprobSource, o: ScoreOptions): TokenizedRollout[] {
  const { rollouts, lines } = readRollouts(path);
  return tokenizeAndCheck(path, rollouts, lines, scorer, (rs, tk) => checkCalibrationRollouts(rs, tk, scorer, o));
}

/** The backend's options from the flags; a flag of another backend, or what an engine cannot score, is a UsageError. */
function sourceFlags(values: Record<string, string | undefined>, onnx: { batchSize: number; threads?: number; maxMemory: number; maxLength?: number; fusedHead: boolean | 'auto' }, o: ScoreOptions): OpenSourceOptions {
  const backend = choice(values.backend, 'backend', sourceBackends, 'onnx');
  const given = (flags: string[]) => flags.filter((f) => values[f] !== undefined).map((f) => `--${f}`);
  if (backend === 'onnx') {
    const engineOnly = given(['server', 'server-model', 'concurrency', 'timeout']);
    if (engineOnly.length) throw new UsageError(`${engineOnly.join(', ')} need --backend sglang or vllm`);
    return { backend, model: values.model, tokenizer: values.tokenizer, ...onnx };
  }
  const onnxOnly = given(['model', 'threads', 'max-memory', 'fused-head', ...(backend === 'sglang' ? ['server-model'] : [])]);
  if (onnxOnly.length) throw new UsageError(`${onnxOnly.join(', ')} do not apply to --backend ${backend}`);
  if (values.server === undefined) throw new UsageError(`--backend ${backend} needs --server URL (e.g. http://127.0.0.1:30000)`);
  const problem = engineScoringProblem(o, backend);
  if (problem) throw new UsageError(`--backend ${backend}: ${problem}`);
  const engine = {
    server: values.server,
    tokenizer: values.tokenizer,
    maxLength: onnx.maxLength,
    concurrency: values.concurrency === undefined ? undefined : numberFlag(values.concurrency, 'concurrency', 8, (v) => Number.isInteger(v) && v >= 1 && v <= 1024, 'an integer in [1, 1024]'),
    timeoutMs: values.timeout === undefined ? undefined : 1000 * numberFlag(values.timeout, 'timeout', 300, (v) => v > 0, 'a number of seconds > 0'),
  };
  return backend === 'vllm' ? { backend, ...engine, model: values['server-model'] } : { backend, ...engine };
}

async function score(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, scoreFlags);
  if (positionals.length > 1) throw new UsageError(`score takes one rollouts file, got ${positionals.length}`);
  const input = positionals[0] ?? join(root, 'examples', 'rollouts.jsonl');
  const o: ScoreOptions = {
    mode: choice(values.mode, 'mode', ['sampled', 'full'] as const, defaultScoreOptions.mode),
    beta: numberFlag(values.beta, 'beta', defaultScoreOptions.beta, (v) => v >= 0, 'a number >= 0'),
    gateTemperature: numberFlag(values['gate-temperature'], 'gate-temperature', defaultScoreOptions.gateTemperature, (v) => v > 0, 'a number > 0'),
    temperature: numberFlag(values.temperature, 'temperature', defaultScoreOptions.temperature, (v) => v > 0, 'a number > 0'),
    gamma: numberFlag(values.gamma, 'gamma', defaultScoreOptions.gamma, (v) => v >= 0 && v <= 1, 'a number in [0, 1]'),
    beliefMode: choice(values['belief-mode'], 'belief-mode', ['prob', 'logprob'] as const, defaultScoreOptions.beliefMode),
    placeholder: values.placeholder ?? defaultScoreOptions.placeholder,
    beliefPrefix: values['belief-prefix'] ?? defaultScoreOptions.beliefPrefix,
  };
  if (!o.placeholder) throw new UsageError('--placeholder must not be empty');
  const { calibration, alpha, ...rewardOptions } = rewardFlags(values);
  Object.assign(o, rewardOptions);
  const rewards = o.rewards!;
  const batchSize = numberFlag(values['batch-size'], 'batch-size', 8, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const threads = values.threads === undefined ? undefined : numberFlag(values.threads, 'threads', 1, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const maxLength = values['max-length'] === undefined ? undefined : numberFlag(values['max-length'], 'max-length', 1, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const fusedHead = ({ auto: 'auto', on: true, off: false } as const)[choice(values['fused-head'], 'fused-head', ['auto', 'on', 'off'] as const, 'auto')];
  const maxMemory = values['max-memory'] === undefined ? defaultMaxMemory() : parseMemory(values['max-memory']);
  if (maxMemory === undefined || maxMemory < 2 ** 20) throw new UsageError(`--max-memory must be a size of at least 1m (e.g. 2g, 512m), got '${values['max-memory']}'`);
  const sourceOptions = sourceFlags(values, { batchSize, threads, maxMemory, maxLength, fusedHead }, o);
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
    tokenized = tokenizeAndCheck(input, rollouts, lines, scorer, (rs, tk) =>
      checkRollouts(rs, tk, scorer, calibration === undefined ? o : { ...o, conformal: calibrationCoverage(calibrationRollouts).coverage }));
  } catch (e) {
    await scorer.dispose();
    throw e;
  }
  const loaded = performance.now();

  const bar = progress(calibrationRollouts.length + rollouts.length);
  const chunk = Math.max(1, batchSize);
  let conformal: ConformalCalibration | undefined, calibrated = 0;
  if (calibration !== undefined) {
    const rows = [];
    for (; calibrated < calibrationRollouts.length && !interrupts.signal; calibrated = Math.min(calibrated + chunk, calibrationRollouts.length)) {
      rows.push(...(await calibrationScores(calibrationRollouts.slice(calibrated, calibrated + chunk), scorer, { temperature: o.temperature })));
      bar.update(Math.min(calibrated + chunk, calibrationRollouts.length));
    }
    if (!interrupts.signal) o.conformal = conformal = calibrate(rows, alpha);
  }
  const scored = [];
  for (let i = 0; i < rollouts.length && !interrupts.signal; i += chunk) {
    scored.push(...(await scoreTokenized(tokenized.slice(i, i + chunk), scorer, o)));
    bar.update(calibrationRollouts.length + scored.length);
  }
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
  if (records.length) report.write(summary(records, rewards) + '\n');
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
  if (command === 'score') return score(rest);
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
