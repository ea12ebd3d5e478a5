// PEAR (Phase Entropy Aware Reward, arXiv 2510.08026): a response's per-token entropies split at
// the end of its thinking phase (a delimiter such as the `</think>` tokens) into
//   H_think  = mean entropy of the tokens before the delimiter,
//   H_answer = mean entropy of the tokens after it,
// and a reward that penalizes thinking-phase entropy:
//   reward = correctness - alpha * H_think - beta * H_answer.
// The paper's exact reward and coefficients could not be read here: this linear form, its
// parameters and the delimiter handling below are this package's choice (docs/uncertainty.md).
#pragma once
#include <cstdint>

#include "status.h"

namespace infogain {

struct PhaseEntropyInput {
  const float* entropies = nullptr;  // [length] per-token entropies, responses packed
  int64_t length = 0;
  const int32_t* offsets = nullptr;  // [responses + 1]: response r is tokens [offsets[r], offsets[r + 1])
  int64_t responses = 0;
  // Where the thinking phase ends, either given: [2 * responses] absolute [start, end) of each
  // response's delimiter tokens (thinking = [offsets[r], start), answer = [end, offsets[r + 1]);
  // an empty span is a boundary with no delimiter tokens) ...
  const int32_t* delimiters = nullptr;
  bool delimitersGiven = false;  // (an empty typed array may have no data pointer)
  // ... or found: the first occurrence of `delimiter` (token ids) in each response's `tokens`.
  // A response without it is all thinking (as verl's `</think>` splitters do).
  const int32_t* tokens = nullptr;  // [length] (non-null when length > 0)
  const int32_t* delimiter = nullptr;
  int64_t delimiterLength = 0;
  const float* correctness = nullptr;  // [responses]
  double alpha = 0.0, beta = 0.0;
};

struct PhaseEntropyOutput {
  float* thinkEntropy;      // [responses] H_think (0 for an empty thinking phase)
  float* answerEntropy;     // [responses] H_answer (0 for an empty answer phase)
  int32_t* thinkTokens;     // [responses]
  int32_t* answerTokens;    // [responses]
  int32_t* delimiterStart;  // [responses] absolute start of the delimiter; -1 where none was found
  float* rewards;           // [responses]
};

// Validates (offsets; delimiter spans inside their response; a non-empty delimiter; finite
// correctness, alpha and beta; finite entropies on every token a phase reads), then computes.
Status phaseEntropyRewards(const PhaseEntropyInput& in, const PhaseEntropyOutput& out);

}  // namespace infogain
