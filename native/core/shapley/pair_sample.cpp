// Variance helpers shared by the estimators over paired designs.
#include "pair_sample.h"

#include <algorithm>
#include <cmath>

#include "bits.h"
#include "student_t.h"

namespace infogain {

std::vector<double> pairExpansions(const PairSample& s, std::vector<int64_t>* counts) {
  counts->assign(s.groups->size(), 0);
  for (int g : s.group) (*counts)[size_t(g)]++;
  std::vector<double> e(s.masks.size());
  for (size_t u = 0; u < e.size(); u++)
    e[u] = expansionWeight((*s.groups)[size_t(s.group[u])], *s.populations, s.stratum[u], (*counts)[size_t(s.group[u])]);
  return e;
}

void pairTerms(const PairSample& s, size_t u, const std::vector<double>& w, double scale,
               const std::function<double(uint32_t)>& proxy, double* y) {
  const uint32_t full = fullMask(s.n);
  for (int i = 0; i < s.n; i++) y[i] = 0;
  for (int side = 0; side < 2; side++) {
    const uint32_t m = side ? full ^ s.masks[u] : s.masks[u];
    const int size = popcount32(m);
    const double r = scale * (s.values[2 * u + size_t(side)] - proxy(m));
    for (int i = 0; i < s.n; i++) y[i] += ((m >> i) & 1 ? w[size_t(size - 1)] : -w[size_t(size)]) * r;
  }
}

void standardErrors(const std::vector<double>& variance, const std::vector<double>& dfDen, bool unknown, int n,
                    DesignEstimate* out) {
  out->standardError.assign(size_t(n), unknown ? INFINITY : 0.0);
  if (unknown) return;
  for (int i = 0; i < n; i++) {
    const double v = variance[size_t(i)];
    const double df = dfDen[size_t(i)] > 0 ? v * v / dfDen[size_t(i)] : INFINITY;
    out->standardError[size_t(i)] = v > 0 ? std::sqrt(v) * tWidening(df) : 0.0;
  }
}

void jackknifeErrors(const std::vector<Group>& groups, const std::vector<int64_t>& counts,
                     const std::vector<std::vector<double>>& reps, int n, DesignEstimate* out) {
  std::vector<double> variance(size_t(n), 0.0), dfDen(size_t(n), 0.0);
  bool unknown = false;
  for (size_t g = 0; g < groups.size(); g++) {
    const Group& G = groups[g];
    const int64_t m = counts[g];
    const bool single = G.strata.size() == 1;
    if (single && double(m) >= G.population) continue;  // enumerated: exact
    if (m < 2) {                                         // a sampled group with < 2 units
      unknown = unknown || G.population > 0;
      continue;
    }
    const std::vector<double>& r = reps[g];
    const int64_t R = int64_t(r.size()) / n;  // replicates: m (delete one) or fewer (delete a part)
    if (R < 2) continue;
    const double fpc = single ? std::max(0.0, 1.0 - double(m) / G.population) : 1.0;
    for (int i = 0; i < n; i++) {
      double mean = 0, ss = 0;
      for (int64_t k = 0; k < R; k++) mean += r[size_t(k * n + i)];
      mean /= double(R);
      for (int64_t k = 0; k < R; k++) ss += (r[size_t(k * n + i)] - mean) * (r[size_t(k * n + i)] - mean);
      const double v = fpc * double(R - 1) / double(R) * ss;
      variance[size_t(i)] += v;
      dfDen[size_t(i)] += v * v / double(R - 1);
    }
  }
  standardErrors(variance, dfDen, unknown, n, out);
}

}  // namespace infogain
