// Nous (Dialogue as Discovery) in the scorer: a rollout's beliefs over its attributes at every
// step, their summed entropy H(S_s), and IG = H(S_(s-1)) - H(S_s) for the turn in between.
// The math is beliefEntropyGain's (docs/uncertainty.md).
import { beliefEntropyGainSync } from '../beliefEntropy';
import type { CandidateRows, TokenizedAttributes } from './attributes';

export interface NousScore {
  /** [steps] H(S_s) in nats: the summed entropy of the beliefs at the start of action s. */
  entropies: number[];
  /** [steps] each attribute's belief entropy H(b_k,s). */
  attributeEntropies: Record<string, number>[];
  /** [steps] IG_s = H(S_(s-1)) - H(S_s), earned by turn s - 1; null at s = 0. */
  gains: (number | null)[];
  /** The trajectory reward: the sum of the gains, H(S_0) - H(S_last). */
  return: number;
}

export function nousScore(a: TokenizedAttributes, rows: CandidateRows): NousScore {
  const r = beliefEntropyGainSync(rows);
  const K = a.names.length, steps = r.stepEntropies.length;
  return {
    entropies: Array.from(r.stepEntropies),
    attributeEntropies: Array.from({ length: steps }, (_, s) => Object.fromEntries(a.names.map((n, k) => [n, r.entropies[s * K + k]]))),
    gains: Array.from(r.gains, (g, s) => (r.hasGain[s] ? g : null)),
    return: r.returns[0],
  };
}
