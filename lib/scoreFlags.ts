// The scoring flags `infogain score` and `infogain serve` share: parsed once here into the score
// options, the rewards' extras (C-IP's calibration file, PEAR's weights) and the backend's options
// (an ONNX model here, or a serving engine). A bad flag is a UsageError (exit 2) naming it.
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { engineScoringProblem } from './engines/source';
import { defaultMaxMemory, parseMemory } from './model/memory';
import { type OpenSourceOptions, sourceBackends } from './model/open';
import { defaultRewards, defaultScoreOptions, type Reward, rewardNames, type ScoreOptions } from './score';
import { closestKey, isSoftmaxTemperature } from './validate';

/** Bad arguments or input lines: the CLI prints the message and exits 2. */
export class UsageError extends Error {}

/** parseArgs, with the nearest known flag named when one is not known. */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const flag = (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && /'-{1,2}([^'=]+)/.exec((e as Error).message)?.[1];
    if (!flag) throw e;
    const near = closestKey(flag, Object.keys(options));
    throw new UsageError(`unknown flag '${flag.length > 1 ? '--' : '-'}${flag}'${near ? `; did you mean --${near}?` : ''} (infogain --help lists the flags)`);
  }
}

/** The flags of the scoring itself: options, rewards, backend (not where the input and output are). */
export const scoringFlags = {
  model: { type: 'string' }, tokenizer: { type: 'string' }, mode: { type: 'string' },
  beta: { type: 'string' }, 'gate-temperature': { type: 'string' }, temperature: { type: 'string' },
  gamma: { type: 'string' }, 'belief-mode': { type: 'string' }, placeholder: { type: 'string' },
  'belief-prefix': { type: 'string' }, 'batch-size': { type: 'string' }, threads: { type: 'string' },
  'max-memory': { type: 'string' }, 'max-length': { type: 'string' },
  reward: { type: 'string' }, calibration: { type: 'string' }, alpha: { type: 'string' },
  'pear-alpha': { type: 'string' }, 'pear-beta': { type: 'string' }, delimiter: { type: 'string' },
  'fused-head': { type: 'string' },
  backend: { type: 'string' }, server: { type: 'string' }, 'server-model': { type: 'string' }, timeout: { type: 'string' },
} as const;

export function numberFlag(value: string | undefined, name: string, fallback: number, check: (v: number) => boolean, what: string): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!Number.isFinite(v) || !check(v)) throw new UsageError(`--${name} must be ${what}, got '${value}'`);
  return v;
}

/** A number of seconds timers can hold: setTimeout fires a delay over 2^31 - 1 ms after 1 ms. */
const maxTimerSeconds = Math.floor((2 ** 31 - 1) / 1000);

/** A flag of seconds in (0, maxTimerSeconds], as milliseconds. */
export function millisecondsFlag(value: string | undefined, name: string, fallbackSeconds: number): number {
  return 1000 * numberFlag(value, name, fallbackSeconds, (v) => v > 0 && v <= maxTimerSeconds, `a number of seconds in (0, ${maxTimerSeconds}]`);
}

export function choice<T extends string>(value: string | undefined, name: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

type FlagValues = Record<string, string | boolean | undefined>;

/** --reward and the flags of the rewards that take some; a flag of a reward not asked for is an error (it would do nothing). */
/** The end of PEAR's thinking phase unless --delimiter (or a request's pear.delimiter) says otherwise. */
export const defaultPearDelimiter = '</think>';

function rewardFlags(values: FlagValues): Pick<ScoreOptions, 'rewards' | 'pear'> & { calibration?: string; alpha: number } {
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
    const delimiter = values.delimiter === undefined ? defaultPearDelimiter : String(values.delimiter);
    if (!delimiter) throw new UsageError('--delimiter must not be empty');
    out.pear = {
      alpha: numberFlag(values['pear-alpha'] as string, 'pear-alpha', 0, () => true, 'a number'),
      beta: numberFlag(values['pear-beta'] as string | undefined, 'pear-beta', 0, () => true, 'a number'),
      delimiter,
    };
  }
  return out;
}

/**
 * The backend's options from the flags; a flag of another backend, or what an engine cannot score,
 * is a UsageError. `engineConcurrency` is the flag that sets the engine's requests in flight
 * (score: --concurrency; serve: --engine-concurrency, its --concurrency being the scoring jobs).
 */
function sourceFlags(
  values: FlagValues,
  onnx: { batchSize: number; threads?: number; maxMemory: number; maxLength?: number; fusedHead: boolean | 'auto' },
  o: ScoreOptions,
  engineConcurrency: string,
): OpenSourceOptions {
  const text = (name: string) => (values[name] === undefined ? undefined : String(values[name]));
  const backend = choice(text('backend'), 'backend', sourceBackends, 'onnx');
  const given = (flags: string[]) => flags.filter((f) => values[f] !== undefined).map((f) => `--${f}`);
  if (backend === 'onnx') {
    const engineOnly = given(['server', 'server-model', engineConcurrency, 'timeout']);
    if (engineOnly.length) throw new UsageError(`${engineOnly.join(', ')} ${engineOnly.length > 1 ? 'need' : 'needs'} --backend sglang or vllm`);
    return { backend, model: text('model'), tokenizer: text('tokenizer'), ...onnx };
  }
  const onnxOnly = given(['model', 'threads', 'max-memory', 'fused-head', ...(backend === 'sglang' ? ['server-model'] : [])]);
  if (onnxOnly.length) throw new UsageError(`${onnxOnly.join(', ')} ${onnxOnly.length > 1 ? 'do' : 'does'} not apply to --backend ${backend}`);
  if (values.server === undefined) throw new UsageError(`--backend ${backend} needs --server URL (e.g. http://127.0.0.1:30000)`);
  const problem = engineScoringProblem(o, backend);
  if (problem) throw new UsageError(`--backend ${backend}: ${problem}`);
  const concurrency = text(engineConcurrency), timeout = text('timeout');
  const engine = {
    server: String(values.server),
    tokenizer: text('tokenizer'),
    maxLength: onnx.maxLength,
    concurrency: concurrency === undefined ? undefined : numberFlag(concurrency, engineConcurrency, 8, (v) => Number.isInteger(v) && v >= 1 && v <= 1024, 'an integer in [1, 1024]'),
    timeoutMs: timeout === undefined ? undefined : millisecondsFlag(timeout, 'timeout', 300),
  };
  return backend === 'vllm' ? { backend, ...engine, model: text('server-model') } : { backend, ...engine };
}

/** What the scoring flags ask for. */
export interface Scoring {
  options: ScoreOptions;
  rewards: readonly Reward[];
  /** C-IP: the calibration rollouts' file and the miscoverage. */
  calibration?: string;
  alpha: number;
  source: OpenSourceOptions;
  /** Rollouts scored per call of the scoring loop (also the model's most sequences per pass). */
  batchSize: number;
  maxMemory: number;
}

/** The scoring flags' values (scoringFlags) as options; throws UsageError. */
export function scoringFromFlags(values: FlagValues, engineConcurrency = 'concurrency'): Scoring {
  const text = (name: string) => (values[name] === undefined ? undefined : String(values[name]));
  const o: ScoreOptions = {
    mode: choice(text('mode'), 'mode', ['sampled', 'full'] as const, defaultScoreOptions.mode),
    beta: numberFlag(text('beta'), 'beta', defaultScoreOptions.beta, (v) => v >= 0, 'a number >= 0'),
    gateTemperature: numberFlag(text('gate-temperature'), 'gate-temperature', defaultScoreOptions.gateTemperature, (v) => v > 0, 'a number > 0'),
    temperature: numberFlag(text('temperature'), 'temperature', defaultScoreOptions.temperature, isSoftmaxTemperature, 'a number in [2^-126, 2^126]'),
    gamma: numberFlag(text('gamma'), 'gamma', defaultScoreOptions.gamma, (v) => v >= 0 && v <= 1, 'a number in [0, 1]'),
    beliefMode: choice(text('belief-mode'), 'belief-mode', ['prob', 'logprob'] as const, defaultScoreOptions.beliefMode),
    placeholder: text('placeholder') ?? defaultScoreOptions.placeholder,
    beliefPrefix: text('belief-prefix') ?? defaultScoreOptions.beliefPrefix,
  };
  if (!o.placeholder) throw new UsageError('--placeholder must not be empty');
  const { calibration, alpha, ...rewardOptions } = rewardFlags(values);
  Object.assign(o, rewardOptions);
  const batchSize = numberFlag(text('batch-size'), 'batch-size', 8, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const threads = values.threads === undefined ? undefined : numberFlag(text('threads'), 'threads', 1, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const maxLength = values['max-length'] === undefined ? undefined : numberFlag(text('max-length'), 'max-length', 1, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const fusedHead = ({ auto: 'auto', on: true, off: false } as const)[choice(text('fused-head'), 'fused-head', ['auto', 'on', 'off'] as const, 'auto')];
  const maxMemory = values['max-memory'] === undefined ? defaultMaxMemory() : parseMemory(String(values['max-memory']));
  if (maxMemory === undefined || maxMemory < 2 ** 20) throw new UsageError(`--max-memory must be a size of at least 1m (e.g. 2g, 512m), got '${values['max-memory']}'`);
  const source = sourceFlags(values, { batchSize, threads, maxMemory, maxLength, fusedHead }, o, engineConcurrency);
  return { options: o, rewards: o.rewards!, calibration, alpha, source, batchSize, maxMemory };
}
