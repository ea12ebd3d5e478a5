// tokenLogprobs: log p(target) per row, with logsumexp and (optionally) entropy, in one pass.
import { backendCode, type BackendOption } from './backend';
import { type LogitsInput, normalizeLogits } from './logits';
import { native } from './native';
import { boolean, int32InRange, integer, keysOf, options, softmaxTemperature, typedArray } from './validate';

export interface TokenLogprobsOptions {
  /** Logits are divided by it before the softmax. Default 1. */
  temperature?: number;
  /** Also return the entropy of each row's distribution. Default false. */
  entropy?: boolean;
  /** Rows whose target equals it are skipped: logprob, logsumexp and entropy 0, not read. */
  ignoreIndex?: number;
  /** 'auto' (default): CUDA when present and the input is large enough to pay for the copy. */
  backend?: BackendOption;
}

export interface TokenLogprobsResult {
  logprobs: Float32Array;
  logsumexp: Float32Array;
  entropy?: Float32Array;
}

const optionKeys = keysOf<TokenLogprobsOptions>()('temperature', 'entropy', 'ignoreIndex', 'backend');

function prepare(logits: unknown, targets: unknown, opts: unknown) {
  const l = normalizeLogits(logits, 'logits');
  const t = typedArray<Int32Array>(targets, 'targets', Int32Array, l.rows);
  const o = options<TokenLogprobsOptions>(opts, 'options', optionKeys);
  const temperature = o.temperature === undefined ? 1 : softmaxTemperature(o.temperature, 'temperature');
  const entropy = o.entropy === undefined ? false : boolean(o.entropy, 'entropy');
  const ignoreIndex = o.ignoreIndex === undefined ? undefined : integer(o.ignoreIndex, 'ignoreIndex', -(2 ** 31), 2 ** 31 - 1);
  int32InRange(t, 'targets', 0, l.vocab, ignoreIndex);
  const nativeOptions = { temperature, entropy, ignoreIndex, backend: backendCode(o.backend) };
  return [l, t, nativeOptions] as const;
}

/**
 * Log-probability of each row's target under softmax(logits / temperature), computed off the
 * main thread. A row holding NaN or +Infinity, or only -Infinity, rejects with a RangeError
 * (code ERR_INFOGAIN_NONFINITE) naming the row. The inputs are copied when the call is made
 * unless they live in a SharedArrayBuffer (README's contract).
 */
export async function tokenLogprobs(
  logits: LogitsInput,
  targets: Int32Array,
  options: TokenLogprobsOptions & { entropy: true },
): Promise<TokenLogprobsResult & { entropy: Float32Array }>;
export async function tokenLogprobs(logits: LogitsInput, targets: Int32Array, options?: TokenLogprobsOptions): Promise<TokenLogprobsResult>;
export async function tokenLogprobs(
  logits: LogitsInput,
  targets: Int32Array,
  options?: TokenLogprobsOptions,
): Promise<TokenLogprobsResult> {
  return native().tokenLogprobs(...prepare(logits, targets, options));
}

/** tokenLogprobs on the calling thread. */
export function tokenLogprobsSync(
  logits: LogitsInput,
  targets: Int32Array,
  options: TokenLogprobsOptions & { entropy: true },
): TokenLogprobsResult & { entropy: Float32Array };
export function tokenLogprobsSync(logits: LogitsInput, targets: Int32Array, options?: TokenLogprobsOptions): TokenLogprobsResult;
export function tokenLogprobsSync(
  logits: LogitsInput,
  targets: Int32Array,
  options?: TokenLogprobsOptions,
): TokenLogprobsResult {
  return native().tokenLogprobsSync(...prepare(logits, targets, options));
}
