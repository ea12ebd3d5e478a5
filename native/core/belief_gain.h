// IGPO's belief gain: per step s of a rollout, the belief v_s = mean log-prob of the ground-truth
// answer's tokens (teacher-forced after the context of step s; step 0 is the prior), and
//   gain_s = exp(v_s) - exp(v_{s-1})   (Prob, IGPO's default)   or   v_s - v_{s-1}   (LogProb)
// for s >= 1, measured after turn s-1's tool response (so it belongs to turn s-1).
// As in IGPO's code, a non-finite v is skipped (no gain; the next step compares with the last
// kept value), and a rollout whose prior is skipped gets no gains at all. Skips are reported.
#pragma once
#include <cstdint>

#include "spans.h"
#include "status.h"

namespace infogain {

enum class BeliefMode : int32_t { Prob = 0, LogProb = 1 };

struct BeliefGainInput {
  const float* logprobs = nullptr;  // [length] ground-truth token log-probs, any layout
  int64_t length = 0;
  Spans steps;                      // step s's ground-truth tokens in logprobs (empty: v = NaN)
  const int32_t* rollouts = nullptr;  // [rolloutCount + 1] step offsets; nullptr: one rollout
  int64_t rolloutCount = 1;
  BeliefMode mode = BeliefMode::Prob;
};

struct BeliefGainOutput {
  float* beliefs;    // [steps] v_s as computed (NaN / inf where skipped)
  float* gains;      // [steps] 0 where none
  uint8_t* hasGain;  // [steps]
  uint8_t* skipped;  // [steps] 1 where v_s (or its gain) was not finite
};

// Validates (spans inside logprobs and not overlapping, rollouts valid offsets), then computes.
// NaN and infinite log-probs are data here, not errors: they make v non-finite, which is skipped.
Status beliefGain(const BeliefGainInput& in, const BeliefGainOutput& out);

}  // namespace infogain
