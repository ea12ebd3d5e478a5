// infoGain (InfoPO): how much each turn's feedback changed the next action, credited to the
// action that earned the feedback. See native/core/info_gain.h.
import { backendCode, type BackendOption } from './backend';
import { codes, rangeError } from './errors';
import { type LogitsInput, normalizeLogits } from './logits';
import { native } from './native';
import { offsetList } from './spans';
import { inputObject, integer, keysOf, oneOf, softmaxTemperature, typedArray } from './validate';

/** Turns as token spans into one sequence (rollouts packed one after another). */
export interface Turns {
  /** Tokens in the sequence; rewards are aligned with it. */
  length: number;
  /** [turns] action t is [actionStart[t], actionEnd[t]), non-empty. */
  actionStart: Int32Array;
  actionEnd: Int32Array;
  /** [turns] the feedback after action t is [obsStart[t], obsEnd[t]), possibly empty. */
  obsStart: Int32Array;
  obsEnd: Int32Array;
  /** [rollouts + 1] turn offsets: rollout r holds turns [rollouts[r], rollouts[r + 1]). Default: one rollout. */
  rollouts?: Int32Array;
}

/** The turns and the scored tokens under the real and the masked context, in one of two modes. */
export type InfoGainInput = Turns & (SampledScores | FullScores);

/** mode 'sampled' (the default; InfoPO's code): log-ratios of the sampled tokens. */
export interface SampledScores {
  mode?: 'sampled';
  /** [scored tokens] log p(token) under the real context and under the masked one. */
  logpReal: Float32Array;
  logpMasked: Float32Array;
  real?: never;
  masked?: never;
  temperature?: never;
  backend?: never;
}

/** mode 'full': the full-vocabulary KL. */
export interface FullScores {
  mode: 'full';
  /** [scored tokens, vocab] logits predicting each scored token, real and masked context. */
  real: LogitsInput;
  masked: LogitsInput;
  /** Logits are divided by it. Default 1 (InfoPO scores raw logits). */
  temperature?: number;
  backend?: BackendOption;
  logpReal?: never;
  logpMasked?: never;
}

const sampledKeys = ['logpReal', 'logpMasked'] as const;
const fullKeys = ['real', 'masked', 'temperature', 'backend'] as const;

export interface InfoGainResult {
  /** [turns] IG_t = mean over action t+1's tokens of the per-token divergence; 0 where hasGain is 0. */
  gains: Float32Array;
  hasGain: Uint8Array;
  /** [length] IG_t / len(action t) on each token of action t; 0 where hasReward is 0. */
  rewards: Float32Array;
  hasReward: Uint8Array;
}

const inputKeys = keysOf<InfoGainInput>()(
  'length', 'actionStart', 'actionEnd', 'obsStart', 'obsEnd', 'rollouts', 'mode', 'logpReal', 'logpMasked', 'real', 'masked', 'temperature', 'backend',
);

function turnsOf(value: unknown) {
  const t = inputObject<InfoGainInput>(value, inputKeys);
  const length = integer(t.length, 'length', 0, 2 ** 31 - 1);
  const actionStart = typedArray<Int32Array>(t.actionStart, 'actionStart', Int32Array);
  const n = actionStart.length;
  const actionEnd = typedArray<Int32Array>(t.actionEnd, 'actionEnd', Int32Array, n);
  const obsStart = typedArray<Int32Array>(t.obsStart, 'obsStart', Int32Array, n);
  const obsEnd = typedArray<Int32Array>(t.obsEnd, 'obsEnd', Int32Array, n);
  const rollouts = offsetList(t.rollouts, 'rollouts', n);
  const fail = (name: string, i: number, why: string) => rangeError(codes.outOfRange, name, `${name}[${i}] ${why}`, i);
  for (let i = 0; i < n; i++) {
    const previous = i > 0 ? obsEnd[i - 1] : 0;
    if (actionStart[i] < previous)
      throw fail('actionStart', i, i > 0 ? `= ${actionStart[i]} is before the end of turn ${i - 1} (${previous}): turns must be in order and not overlap` : `= ${actionStart[i]} is negative`);
    if (actionEnd[i] <= actionStart[i]) throw fail('actionEnd', i, `= ${actionEnd[i]} leaves action ${i} empty`);
    if (obsStart[i] < actionEnd[i]) throw fail('obsStart', i, `= ${obsStart[i]} is inside action ${i}`);
    if (obsEnd[i] < obsStart[i]) throw fail('obsEnd', i, `= ${obsEnd[i]} is before obsStart ${obsStart[i]}`);
    if (obsEnd[i] > length) throw fail('obsEnd', i, `= ${obsEnd[i]} is past the sequence length ${length}`);
  }
  return { length, actionStart, actionEnd, obsStart, obsEnd, rollouts };
}

/**
 * The scored tokens, as [start, end) spans of the sequence in the order the inputs list them: the
 * tokens of action t+1 for every turn t that earns a gain (non-empty feedback, not the last turn of
 * its rollout). logpReal / logpMasked hold one value per scored token, real / masked one row each.
 */
export function scoredSpans(turns: Turns): Int32Array {
  return scoredOf(turnsOf(turns));
}

function scoredOf(t: ReturnType<typeof turnsOf>): Int32Array {
  const groups = t.rollouts ?? Int32Array.of(0, t.actionStart.length);
  const spans: number[] = [];
  for (let r = 0; r + 1 < groups.length; r++)
    for (let i = groups[r]; i + 1 < groups[r + 1]; i++)
      if (t.obsEnd[i] > t.obsStart[i]) spans.push(t.actionStart[i + 1], t.actionEnd[i + 1]);
  return Int32Array.from(spans);
}

function prepare(value: unknown) {
  const t = turnsOf(value);
  const input = value as { [K in keyof SampledScores | keyof FullScores]?: unknown };
  const mode = input.mode === undefined ? 'sampled' : oneOf(input.mode, 'mode', ['sampled', 'full'] as const);
  for (const key of mode === 'sampled' ? fullKeys : sampledKeys)
    if (input[key] !== undefined)
      throw rangeError(codes.outOfRange, key, `${key} belongs to mode '${mode === 'sampled' ? 'full' : 'sampled'}', not to this input's mode '${mode}'`);
  const spans = scoredOf(t);
  let scored = 0;
  for (let k = 0; k < spans.length; k += 2) scored += spans[k + 1] - spans[k];
  const nativeInput: Record<string, unknown> = { ...t, mode: mode === 'full' ? 1 : 0 };
  if (mode === 'sampled') {
    nativeInput.logpReal = typedArray<Float32Array>(input.logpReal, 'logpReal', Float32Array, scored);
    nativeInput.logpMasked = typedArray<Float32Array>(input.logpMasked, 'logpMasked', Float32Array, scored);
  } else {
    const real = normalizeLogits(input.real, 'real');
    const masked = normalizeLogits(input.masked, 'masked');
    if (real.rows !== scored) throw rangeError(codes.shape, 'real', `real has ${real.rows} rows, expected one per scored token: ${scored}`);
    if (masked.rows !== real.rows || masked.vocab !== real.vocab)
      throw rangeError(codes.shape, 'masked', `masked is [${masked.rows}, ${masked.vocab}] but real is [${real.rows}, ${real.vocab}]`);
    nativeInput.real = real;
    nativeInput.masked = masked;
    nativeInput.temperature = input.temperature === undefined ? 1 : softmaxTemperature(input.temperature, 'temperature');
    nativeInput.backend = backendCode(input.backend);
  }
  return nativeInput;
}

/**
 * InfoPO's information gain of every turn, off the main thread: IG_t from the tokens of action
 * t+1 scored under the real and the masked context, spread as IG_t / len over action t. The last
 * turn of each rollout and turns with empty feedback get none (hasGain / hasReward 0).
 * NaN or +Infinity scores (or logits) are a RangeError naming the input and the first bad token.
 */
export async function infoGain(input: InfoGainInput): Promise<InfoGainResult> {
  return native().infoGain(prepare(input));
}

/** infoGain on the calling thread. */
export function infoGainSync(input: InfoGainInput): InfoGainResult {
  return native().infoGainSync(prepare(input));
}
