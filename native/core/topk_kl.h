// Divergences between two sparse distributions as OpenAI-compatible servers return them
// (top_logprobs): per row, k token ids and their log-probs on each side, and optionally the log-prob
// of the sampled token on each side (it may lie outside the top k).
//
// The approximation (float64): each side's known entries are its top k (plus the sampled token);
// its tail mass T = 1 - sum of known probabilities. Over the union U of both sides' known ids, an
// id the side did not report gets the side's tail share s = min(T / (m + 1), smallest top-k
// probability), m = ids of U the side misses; what is left of T, T - m s, is one "rest" bucket.
// The divergence is then taken between the two coarse distributions over U + {rest}.
// Bias: lumping the rest into one bucket can only lower a divergence (data processing), and the
// shares guess probabilities that are unknown, in either direction; both effects vanish as the
// tails go to 0. See docs/divergence.md for measured errors.
#pragma once
#include <cstdint>

#include "kl_divergence.h"
#include "status.h"

namespace infogain {

struct TopkSide {
  const int32_t* ids = nullptr;              // [rows * k], distinct within a row, >= 0
  const float* logprobs = nullptr;           // [rows * k], not NaN or +inf; -inf is probability 0
  const float* sampledLogprobs = nullptr;    // [rows] or nullptr
};

struct TopkInput {
  TopkSide p, q;
  int64_t rows = 0;
  int32_t k = 1;
  const int32_t* sampled = nullptr;  // [rows] sampled token ids; required when a side has sampledLogprobs
};

// Sums of known probabilities above 1 by more than this are an error; below it they are scaled to 1.
constexpr double kTopkMassSlack = 1e-3;

// Validates, then out[r] = the divergence of row r in `direction` (natural log, clamped to >= 0,
// JS to <= ln 2). Bad ids (negative, repeated in a row), NaN / +inf log-probs and rows whose
// probabilities sum above 1 + kTopkMassSlack are RangeErrors naming the argument and the first
// bad row (ids / logprobs: the flat element index).
Status topkKL(const TopkInput& in, KLDirection direction, float* out);

}  // namespace infogain
