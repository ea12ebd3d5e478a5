// Softmax over one group of candidate logits (the values of one belief, the answers of one row),
// in float64:
//   z_j = (x_j - max) / T,   e_j = exp(z_j),   Z = sum_j e_j,   p_j = e_j / Z,
//   H = -sum_j p_j ln p_j = ln Z - (sum_j e_j z_j) / Z   (both terms >= 0: nothing cancels).
// Groups are small (a few to a few thousand candidates), so float64 costs little and keeps the
// probabilities exact to rounding at any scale of the logits. -inf is a candidate of probability 0.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>

#include "status.h"

namespace infogain {

// z divides by T (a product with 1 / T would be 0 * inf = NaN at the max once T is below 1 / DBL_MAX).
struct CandidateSoftmax {
  double max = 0.0, temperature = 1.0, sum = 1.0, weighted = 0.0;  // Z and sum_j e_j z_j

  double z(float x) const { return x == -INFINITY ? -INFINITY : (double(x) - max) / temperature; }
  // The one formula for p: e_j / Z, bit for bit what candidateSoftmax hands out in `e`.
  double prob(float x) const { return std::exp(z(x)) / sum; }
  double entropy() const { return std::fmax(std::log(sum) - weighted / sum, 0.0); }
};

// Fills *sm for x[begin, end) and, when e is given, e[j - begin] = e_j. False when the group holds
// NaN or +inf (*bad = the first such element) or no finite entry (*bad = -1).
inline bool candidateSoftmax(const float* x, int64_t begin, int64_t end, double temperature, CandidateSoftmax* sm,
                             int64_t* bad, double* e = nullptr) {
  double m = -INFINITY;
  for (int64_t j = begin; j < end; j++) {
    const float v = x[j];
    if (v != v || v == INFINITY) {
      *bad = j;
      return false;
    }
    if (v > m) m = v;
  }
  if (m == -INFINITY) {
    *bad = -1;
    return false;
  }
  *sm = {m, temperature, 0.0, 0.0};
  for (int64_t j = begin; j < end; j++) {  // the max adds exp(0), so Z >= 1
    const double z = sm->z(x[j]), ez = std::exp(z);
    sm->sum += ez;
    if (ez > 0.0) sm->weighted += ez * z;  // e_j = 0 (z = -inf included) adds nothing
    if (e) e[j - begin] = ez;
  }
  return true;
}

// The error for a group that failed candidateSoftmax: `what` names the group ("belief 3").
inline Status candidateError(const char* argument, const float* x, int64_t begin, int64_t bad, const std::string& what) {
  const std::string name(argument);
  if (bad >= 0)
    return rangeError(codes::kNonFinite, argument, bad,
                      name + "[" + std::to_string(bad) + "] is " + (std::isnan(x[bad]) ? "NaN" : "+Infinity") + " (" + what + ")");
  return rangeError(codes::kNonFinite, argument, begin,
                    what + " has no finite candidate in " + name + " (every one is -Infinity)");
}

}  // namespace infogain
