// Per-token estimators of KL(A || B) from the log-probs of the sampled tokens under two
// distributions (verl's kl_penalty family), with d = logpA - logpB:
//   k1 = d   abs = |d|   k2 = d^2 / 2   k3 = exp(-d) + d - 1 (= e^r - r - 1 with r = logpB - logpA)
// Computed in float64 (k3 as expm1(r) - r, which keeps its precision at small r), stored float32.
#pragma once
#include <cstdint>

#include "status.h"

namespace infogain {

enum class Estimator : int32_t { K1 = 0, K2 = 1, K3 = 2, Abs = 3 };

struct LogRatioOptions {
  Estimator estimator = Estimator::K1;
  // verl's low_var_kl clamps (k3 only): r to [-20, 20], then the estimate to [-10, 10]
  bool clamp = false;
};

// Log-probs may be -Infinity but not NaN or +Infinity, and not -Infinity on both sides at one
// token (the ratio is undefined there). RangeError naming nameA or nameB and the first bad index.
Status checkLogprobPairs(const float* a, const float* b, int64_t n, const char* nameA, const char* nameB);

// Validates, then out[i] = estimator(a[i], b[i]). Infinite d gives +-Infinity (k1) or +Infinity.
Status logRatio(const float* a, const float* b, int64_t n, const LogRatioOptions& opt, float* out);

}  // namespace infogain
