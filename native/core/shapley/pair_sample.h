// The complete units of a paired coalition design (shapley_paired.cpp): complement pairs
// {S, N \ S} with their values, the group and stratum each was drawn from, and the design's
// strata (strata.h), and what the estimators over them share.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "shapley_design.h"
#include "strata.h"

namespace infogain {

struct PairSample {
  int n = 0;
  double vEmpty = 0, vFull = 0;
  const std::vector<Group>* groups = nullptr;
  const std::vector<double>* populations = nullptr;  // pairs per stratum; stratum h holds sizes h+1 and n-h-1
  std::vector<uint32_t> masks;   // the canonical member S of each pair
  std::vector<double> values;    // 2 per unit: v(S), v(N \ S)
  std::vector<int> group, stratum;
};

// The estimators: shapley_kernelshap.cpp, shapley_regression.cpp, shapley_svarm.cpp.
void kernelEstimate(const PairSample& sample, DesignEstimate* out);
void regressionAdjustedEstimate(const PairSample& sample, DesignEstimate* out);
void svarmEstimate(const PairSample& sample, DesignEstimate* out);

// Per group, its number of units (counts) and per unit, the pairs it stands for (expansion weight).
std::vector<double> pairExpansions(const PairSample& s, std::vector<int64_t>* counts);

// y[i] = scale * sum_{S in unit u} c_i(S) (v(S) - proxy(S)), c_i(S) = w(|S|-1) if i in S, else -w(|S|).
void pairTerms(const PairSample& s, size_t u, const std::vector<double>& w, double scale,
               const std::function<double(uint32_t)>& proxy, double* y);

// Stratified jackknife variance from replicate estimates: reps[g] holds R estimates (R x n), each
// without one of R equal parts of group g's m units (R = m: delete one unit). Enumerated groups
// have no replicates; a sampled group with fewer than 2 units makes the variance unknown.
// Fills standard errors widened by t_{0.975} at the Welch-Satterthwaite degrees of freedom.
void jackknifeErrors(const std::vector<Group>& groups, const std::vector<int64_t>& counts,
                     const std::vector<std::vector<double>>& reps, int n, DesignEstimate* out);

// Standard errors from per-player variances and their Welch-Satterthwaite denominators
// (sum of v_g^2 / df_g); all +inf when `unknown` (a sampled group with fewer than 2 units).
void standardErrors(const std::vector<double>& variance, const std::vector<double>& dfDen, bool unknown, int n,
                    DesignEstimate* out);

}  // namespace infogain
