// Nous ("Dialogue as Discovery", arXiv 2510.27410): the task is a set of attributes, each with a
// categorical belief over its candidate values. After step t (the prior, then each observation)
//   H(S_t) = sum_k H(b_k,t),   IG_t = H(S_{t-1}) - H(S_t)   (nats),
// and a rollout earns the sum of its IG_t (= H(S_first) - H(S_last)). Each belief is the softmax
// of its candidates' logits (e.g. the model's log-probs of each candidate's text) / temperature.
#pragma once
#include <cstdint>

#include "status.h"

namespace infogain {

struct BeliefEntropyInput {
  const float* candidateLogits = nullptr;  // [length]; -inf is a candidate of probability 0
  int64_t length = 0;
  const int32_t* candidates = nullptr;  // [beliefs + 1] offsets into candidateLogits; none empty
  int64_t beliefs = 0;
  const int32_t* steps = nullptr;  // [stepCount + 1] offsets into the beliefs; nullptr: one belief per step
  int64_t stepCount = 0;
  const int32_t* rollouts = nullptr;  // [rolloutCount + 1] offsets into the steps; nullptr: one rollout
  int64_t rolloutCount = 1;
  double temperature = 1.0;
};

struct BeliefEntropyOutput {
  float* beliefs;         // [length] probabilities
  float* entropies;       // [beliefs] H(b), nats
  float* attributeGains;  // [beliefs] H(b_k,t-1) - H(b_k,t); 0 at a rollout's first step
  float* stepEntropies;   // [stepCount] H(S_t)
  float* gains;           // [stepCount] IG_t; 0 where hasGain is 0
  uint8_t* hasGain;       // [stepCount] 0 at a rollout's first step
  float* returns;         // [rolloutCount] sum of the rollout's gains
};

// Validates (offsets; every step of a rollout has the attributes of its first step, each with the
// same number of candidates; logits free of NaN / +inf with a finite entry per belief), then
// computes. Errors name the first bad element, belief or step.
Status beliefEntropyGain(const BeliefEntropyInput& in, const BeliefEntropyOutput& out);

}  // namespace infogain
