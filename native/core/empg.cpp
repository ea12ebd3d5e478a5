// EMPG (Entropy-Modulated Policy Gradients), following the project page's pseudocode.
#include <cmath>
#include <string>
#include <vector>

#include "groups.h"
#include "reward_shaping.h"
#include "token_layout.h"

namespace infogain {

static Status checkEmpg(const EmpgInput& in, const EmpgOptions& o) {
  const std::pair<const char*, double> finite[] = {{"k", o.k}, {"kf", o.kf}, {"zeta", o.zeta}};
  for (auto& [name, v] : finite)
    if (!std::isfinite(v)) return rangeError(codes::kRange, name, -1, std::string(name) + " must be finite");
  if (in.steps < 1) return rangeError(codes::kShape, "entropy", -1, "entropy is empty: there are no steps");
  if (in.trajectories < 1) return rangeError(codes::kShape, "advantage", -1, "advantage is empty");
  Status st = checkFinite(in.entropy, in.steps, "entropy");
  if (st.ok()) st = checkFinite(in.advantage, in.trajectories, "advantage");
  if (st.ok()) st = checkOffsets(in.stepOffsets, in.trajectories, in.steps, "stepOffsets");
  if (st.ok() && in.stepTokens)
    for (int64_t s = 0; s < in.steps; s++)
      if (in.stepTokens[s] < 0)
        return rangeError(codes::kRange, "stepTokens", s, "stepTokens[" + std::to_string(s) + "] is negative");
  return st;
}

// The final batch normalization over steps (each weighted by its token count when given).
static Status normalizeSteps(const EmpgInput& in, FinalNormalization mode, std::vector<double>* a) {
  if (mode == FinalNormalization::None) return Status::Ok();
  const Moments m = groupMoments(1, [&](auto&& add) {
    for (int64_t s = 0; s < in.steps; s++) add(0, (*a)[size_t(s)], in.stepTokens ? double(in.stepTokens[s]) : 1.0);
  })[0];
  const bool standardize = mode == FinalNormalization::Standardize;
  if (m.count < (standardize ? 2 : 1) - 1e-12)
    return rangeError(codes::kShape, "stepTokens", -1,
                      std::string("the final normalization needs a total weight of at least ") + (standardize ? "2" : "1"));
  const double scale = standardize ? 1.0 / (m.unbiasedStd() + 1e-8) : 1.0;
  for (double& x : *a) x = (x - m.mean) * scale;
  return Status::Ok();
}

Status empgAdvantages(const EmpgInput& in, const EmpgOptions& o, float* out, float* scale, float* bonus) {
  Status st = checkEmpg(in, o);
  if (!st.ok()) return st;
  const int64_t n = in.steps;
  // batch min-max entropy (Eq. 12), g (Eq. 10: batch mean 1) and f (Eq. 11)
  double lo = in.entropy[0], hi = in.entropy[0];
  for (int64_t s = 1; s < n; s++) {
    lo = std::fmin(lo, in.entropy[s]);
    hi = std::fmax(hi, in.entropy[s]);
  }
  std::vector<double> hn(static_cast<size_t>(n)), g(static_cast<size_t>(n)), a(static_cast<size_t>(n));
  double meanExp = 0;
  for (int64_t s = 0; s < n; s++) {
    hn[size_t(s)] = (in.entropy[s] - lo) / (hi - lo + 1e-8);
    g[size_t(s)] = std::exp(-o.k * hn[size_t(s)]);
    meanExp += g[size_t(s)];
  }
  meanExp /= double(n);
  for (int64_t i = 0; i < in.trajectories; i++) {
    const int64_t end = in.stepOffsets[i + 1];
    for (int64_t s = in.stepOffsets[i]; s < end; s++) {
      g[size_t(s)] /= meanExp + 1e-8;
      const double b = s + 1 < end ? o.zeta * std::exp(-o.kf * hn[size_t(s + 1)]) : 0.0;  // the next step's clarity
      a[size_t(s)] = g[size_t(s)] * double(in.advantage[i]) + b;
      scale[s] = float(g[size_t(s)]);
      bonus[s] = float(b);
    }
  }
  st = normalizeSteps(in, o.final, &a);
  if (!st.ok()) return st;
  for (int64_t s = 0; s < n; s++) out[s] = float(a[size_t(s)]);
  return Status::Ok();
}

}  // namespace infogain
