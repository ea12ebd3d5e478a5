// beliefGain (IGPO): per step, the belief in the ground-truth answer and its gain over the step
// before. See native/core/belief_gain.h.
import { native } from './native';
import { offsetList, spanList } from './spans';
import { inputObject, keysOf, oneOf, typedArray } from './validate';

export interface BeliefGainInput {
  /** Teacher-forced log-probs of the ground-truth answer tokens, any layout. NaN / inf are data (skipped). */
  logprobs: Float32Array;
  /** [steps * 2] step s's answer tokens: [start, end) into logprobs, not overlapping. Empty: v = NaN. */
  spans: Int32Array;
  /** [rollouts + 1] step offsets: rollout r holds steps [rollouts[r], rollouts[r + 1]). Step 0 is the prior. */
  rollouts?: Int32Array;
  /** 'prob' (default, IGPO's prob_diff): exp(v_s) - exp(v_{s-1}); 'logprob': v_s - v_{s-1}. */
  mode?: 'prob' | 'logprob';
}

export interface BeliefGainResult {
  /** [steps] v_s = mean log-prob of the answer tokens at step s, as computed (NaN / inf where skipped). */
  beliefs: Float32Array;
  /** [steps] gain of step s over the last kept step before it; 0 where hasGain is 0. */
  gains: Float32Array;
  hasGain: Uint8Array;
  /** [steps] 1 where v_s was not finite and the step was skipped. */
  skipped: Uint8Array;
}

function prepare(value: unknown) {
  const input = inputObject<BeliefGainInput>(value, keysOf<BeliefGainInput>()('logprobs', 'spans', 'rollouts', 'mode'));
  const logprobs = typedArray<Float32Array>(input.logprobs, 'logprobs', Float32Array);
  const spans = spanList(input.spans, 'spans', logprobs.length);
  const rollouts = offsetList(input.rollouts, 'rollouts', spans.length / 2);
  const mode = input.mode === undefined ? 'prob' : oneOf(input.mode, 'mode', ['prob', 'logprob'] as const);
  return { logprobs, spans, rollouts, mode: mode === 'logprob' ? 1 : 0 };
}

/**
 * IGPO's information gain per step, off the main thread: v_s is the mean log-prob of the answer
 * tokens; step s >= 1 gains f(v_s) - f(v_{s-1}) with f = exp ('prob') or the identity ('logprob').
 * As in IGPO's code, non-finite v is skipped (and reported) and a rollout whose prior is skipped
 * gets no gains. gains[s] belongs to turn s-1 (it was measured after that turn's tool response).
 */
export async function beliefGain(input: BeliefGainInput): Promise<BeliefGainResult> {
  return native().beliefGain(prepare(input));
}

/** beliefGain on the calling thread. */
export function beliefGainSync(input: BeliefGainInput): BeliefGainResult {
  return native().beliefGainSync(prepare(input));
}
