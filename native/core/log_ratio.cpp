#include "log_ratio.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "parallel.h"

namespace infogain {

Status checkLogprobPairs(const float* a, const float* b, int64_t n, const char* nameA, const char* nameB) {
  auto bad = [](float v) { return std::isnan(v) || v == INFINITY; };
  for (int64_t i = 0; i < n; i++) {
    const char* name = bad(a[i]) ? nameA : bad(b[i]) ? nameB : nullptr;
    if (name)
      return rangeError(codes::kNonFinite, name, i,
                        std::string(name) + "[" + std::to_string(i) + "] is " +
                            (std::isnan(name == nameA ? a[i] : b[i]) ? "NaN" : "+Infinity"));
    if (a[i] == -INFINITY && b[i] == -INFINITY)
      return rangeError(codes::kNonFinite, nameA, i,
                        std::string(nameA) + "[" + std::to_string(i) + "] and " + nameB + "[" + std::to_string(i) +
                            "] are both -Infinity: their ratio is undefined");
  }
  return Status::Ok();
}

static double estimate(double a, double b, const LogRatioOptions& opt) {
  const double d = a - b;
  switch (opt.estimator) {
    case Estimator::K1: return d;
    case Estimator::Abs: return std::fabs(d);
    case Estimator::K2: return 0.5 * d * d;
    default: {
      double r = -d;
      if (opt.clamp) r = std::clamp(r, -20.0, 20.0);
      const double k3 = r == INFINITY ? INFINITY : std::expm1(r) - r;  // e^r - r - 1, >= 0
      return opt.clamp ? std::clamp(k3, -10.0, 10.0) : k3;
    }
  }
}

Status logRatio(const float* a, const float* b, int64_t n, const LogRatioOptions& opt, float* out) {
  if (n < 0) return rangeError(codes::kRange, "logpA", -1, "length must be >= 0");
  if (int32_t(opt.estimator) < 0 || int32_t(opt.estimator) > 3)
    return rangeError(codes::kRange, "estimator", -1, "estimator is not an estimator code");
  Status st = checkLogprobPairs(a, b, n, "logpA", "logpB");
  if (!st.ok()) return st;
  constexpr int64_t kChunk = 1 << 16;
  parallelFor((n + kChunk - 1) / kChunk, [&](int64_t t) {
    const int64_t end = std::min(n, (t + 1) * kChunk);
    for (int64_t i = t * kChunk; i < end; i++) out[i] = float(estimate(a[i], b[i], opt));
  });
  return Status::Ok();
}

}  // namespace infogain
