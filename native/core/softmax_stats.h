// Online softmax statistics of one row (or a piece of one), the state every log-prob,
// entropy and logsumexp kernel carries. With x = logit / temperature and m = max x:
//   s = sum exp(x - m)            -> logsumexp = m + log s
//   w = sum exp(x - m) * (x - m)  -> entropy = log s - w / s
// Keeping w relative to m (not sum p*x) avoids cancellation when |logits| are ~1e4.
#pragma once
#include <cmath>
#include <cstdint>

#include "dtype.h"

namespace infogain {

struct SoftmaxStats {
  float m = -3.402823466e38f;  // -FLT_MAX, not -inf, so (m - m') stays finite
  float s = 0.0f;
  float w = 0.0f;
  bool bad = false;  // saw NaN or +inf

  float logsumexp() const { return m + std::log(s); }
  float entropy() const { return std::log(s) - w / s; }
  bool anyFinite() const { return s > 0.0f; }
};

// Differences below this are treated as -infinity: exp() of them is 0 and 0 * it stays 0.
constexpr float kMinDelta = -1e30f;

// Combines the stats of two disjoint pieces of one row.
static inline SoftmaxStats mergeStats(const SoftmaxStats& a, const SoftmaxStats& b) {
  SoftmaxStats r;
  r.m = a.m > b.m ? a.m : b.m;
  float da = a.m - r.m, db = b.m - r.m;
  da = da > kMinDelta ? da : kMinDelta;
  db = db > kMinDelta ? db : kMinDelta;
  float ea = std::exp(da), eb = std::exp(db);
  r.s = a.s * ea + b.s * eb;
  r.w = ea * (a.w + a.s * da) + eb * (b.w + b.s * db);
  r.bad = a.bad || b.bad;
  return r;
}

// Stats of row[begin, end) of a row in `dtype`, logits multiplied by invTemperature.
// Dispatches to the active ISA (cpu.h).
SoftmaxStats softmaxStats(const void* row, DType dtype, int64_t begin, int64_t end, float invTemperature);

// Per-ISA entry points, defined in softmax_stats_{scalar,avx2,avx512}.cpp.
namespace scalar { SoftmaxStats softmaxStats(const void*, DType, int64_t, int64_t, float); }
namespace avx2 { SoftmaxStats softmaxStats(const void*, DType, int64_t, int64_t, float); }
namespace avx512 { SoftmaxStats softmaxStats(const void*, DType, int64_t, int64_t, float); }

}  // namespace infogain
