// Softmax over one group of candidate logits (the values of one belief, the answers of one row),
// in float64:  z_j = (x_j - max) / T,  log Z = log sum_j exp(z_j),  log p_j = z_j - log Z.
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
  double max = 0.0, temperature = 1.0, logZ = 0.0;

  double z(float x) const { return x == -INFINITY ? -INFINITY : (double(x) - max) / temperature; }
  double logProb(float x) const { return z(x) - logZ; }
  double prob(float x) const { return std::exp(logProb(x)); }
};

// Fills *sm for x[begin, end). False when the group holds NaN or +inf (*bad = the first such
// element) or no finite entry (*bad = -1).
inline bool candidateSoftmax(const float* x, int64_t begin, int64_t end, double temperature, CandidateSoftmax* sm,
                             int64_t* bad) {
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
  *sm = {m, temperature, 0.0};
  double sum = 0.0;  // >= 1: the max adds exp(0)
  for (int64_t j = begin; j < end; j++) sum += std::exp(sm->z(x[j]));
  sm->logZ = std::log(sum);
  return true;
}

// H = -sum p log p = log Z - sum_j p_j z_j: both terms are >= 0, so nothing cancels.
// Candidates of probability 0 add nothing (their z may be -inf).
inline double candidateEntropy(const float* x, int64_t begin, int64_t end, const CandidateSoftmax& sm) {
  double weighted = 0.0;
  for (int64_t j = begin; j < end; j++) {
    const double p = sm.prob(x[j]);
    if (p > 0.0) weighted += p * sm.z(x[j]);
  }
  return std::fmax(sm.logZ - weighted, 0.0);
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
