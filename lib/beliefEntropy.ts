// beliefEntropyGain (Nous): per step, the summed entropy of the agent's beliefs over the task's
// attributes, and its reduction step to step. See native/core/belief_entropy.h, docs/uncertainty.md.
import { type CandidateGroups, candidateGroups, optionalOffsets } from './candidates';
import { native } from './native';
import { field, inputObject, keysOf, options, positiveNumber } from './validate';

export interface BeliefEntropyInput extends CandidateGroups {
  /**
   * [steps + 1] offsets into the beliefs (the groups of `candidates`): step s holds the beliefs of
   * its attributes, beliefs[steps[s] .. steps[s + 1]). Every step of a rollout lists the same
   * attributes in the same order, each with the same number of candidates. Default: one belief per step.
   */
  steps?: Int32Array;
  /** [rollouts + 1] offsets into the steps; a rollout's first step is its prior. Default: one rollout. */
  rollouts?: Int32Array;
}

export interface BeliefEntropyOptions {
  /** Each belief is softmax(candidateLogits / temperature) over its candidates. Default 1. */
  temperature?: number;
}

export interface BeliefEntropyResult {
  /** [candidates] each belief's probabilities. */
  beliefs: Float32Array;
  /** [beliefs] H(b) in nats. */
  entropies: Float32Array;
  /** [beliefs] H(b_k at the step before) - H(b_k): how much of the gain each attribute brought; 0 at a rollout's first step. */
  attributeGains: Float32Array;
  /** [steps] H(S_t) = the sum of the step's belief entropies. */
  stepEntropies: Float32Array;
  /** [steps] IG_t = H(S_(t-1)) - H(S_t); 0 where hasGain is 0 (a rollout's first step). */
  gains: Float32Array;
  hasGain: Uint8Array;
  /** [rollouts] the trajectory reward: the sum of the rollout's gains (= H at its first step - H at its last). */
  returns: Float32Array;
}

const inputKeys = keysOf<BeliefEntropyInput>()('candidateLogits', 'candidates', 'steps', 'rollouts');
const optionKeys = keysOf<BeliefEntropyOptions>()('temperature');

function prepare(value: unknown, opts: unknown) {
  const i = inputObject<BeliefEntropyInput>(value, inputKeys);
  const { candidateLogits, candidates } = candidateGroups(i);
  const input = { candidateLogits, candidates, steps: optionalOffsets(i.steps, 'steps'), rollouts: optionalOffsets(i.rollouts, 'rollouts') };
  const o = options<BeliefEntropyOptions>(opts, 'options', optionKeys);
  return [input, { temperature: field(o, 'temperature', 1, positiveNumber) }] as const;
}

/**
 * Nous's information gain, off the main thread: each step's beliefs (softmax over each attribute's
 * candidates), their summed Shannon entropy H(S_t), and IG_t = H(S_(t-1)) - H(S_t) within each
 * rollout, with the rollout's total. gains[t] is earned by the turn whose observation came before step t.
 */
export async function beliefEntropyGain(input: BeliefEntropyInput, options?: BeliefEntropyOptions): Promise<BeliefEntropyResult> {
  return native().beliefEntropyGain(...prepare(input, options));
}

/** beliefEntropyGain on the calling thread. */
export function beliefEntropyGainSync(input: BeliefEntropyInput, options?: BeliefEntropyOptions): BeliefEntropyResult {
  return native().beliefEntropyGainSync(...prepare(input, options));
}
