// Online softmax statistics of one row (or a piece of one), the state every log-prob,
// entropy and logsumexp kernel carries. With x the raw logits, m = max x (raw, NOT divided by
// the temperature T) and d = (x - m) / T:
//   s = sum exp(d)      -> logsumexp = m / T + log s
//   w = sum exp(d) d    -> entropy = log s - w / s
// Keeping w relative to m (not sum p*x) avoids cancellation when |logits| are ~1e4, and keeping
// m raw keeps merges exact there: two pieces' maxima near 1e4 differ exactly (x - y is exact for
// floats within 2x of each other), while m / T is rounded by up to ulp(1e4 / T) / 2 ~ 2e-3 at
// T = 0.3, an error that rescaling by exp(difference) turns into ~1e-3 of entropy (the GPU's
// Stats in cuda/softmax_stats.cuh are the same).
#pragma once
#include <cmath>
#include <cstdint>

#include "dtype.h"

namespace infogain {

struct SoftmaxStats {
  float m = -3.402823466e38f;  // raw max; -FLT_MAX, not -inf, so (m - m') stays finite
  float s = 0.0f;
  float w = 0.0f;
  float invT = 1.0f;  // 1 / temperature, the scale of d
  bool bad = false;   // saw NaN or +inf

  float scaledMax() const { return m * invT; }
  float logsumexp() const { return scaledMax() + std::log(s); }
  // log p of a raw logit x: (x - m) is exact for nearby values, so it keeps its precision at |x| ~ 1e4
  float logprob(float x) const { return (x - m) * invT - std::log(s); }
  float entropy() const { return std::log(s) - w / s; }
  bool anyFinite() const { return s > 0.0f; }
};

// Differences below this are treated as -infinity: exp() of them is 0 and 0 * it stays 0.
constexpr float kMinDelta = -1e30f;

// Combines the stats of two disjoint pieces of one row (same temperature; an empty piece, s = 0,
// may carry any invT).
static inline SoftmaxStats mergeStats(const SoftmaxStats& a, const SoftmaxStats& b) {
  SoftmaxStats r;
  r.invT = a.s > 0.0f ? a.invT : b.invT;
  r.m = a.m > b.m ? a.m : b.m;
  float da = (a.m - r.m) * r.invT, db = (b.m - r.m) * r.invT;
  da = da > kMinDelta ? da : kMinDelta;
  db = db > kMinDelta ? db : kMinDelta;
  float ea = std::exp(da), eb = std::exp(db);
  r.s = a.s * ea + b.s * eb;
  r.w = ea * (a.w + a.s * da) + eb * (b.w + b.s * db);
  r.bad = a.bad || b.bad;
  return r;
}

// Whether float32 rows take one sweep per block like 16-bit rows (softmax_stats_kernel.h): by default
// on AMD CPUs, where it measured 1.5x faster, and not on Intel, where two sweeps were; the tests set
// it to cover both paths on one machine. 1: one sweep, 0: two, -1: this CPU's default.
bool float32OneSweep();
void setFloat32OneSweep(int mode);

// Stats of row[begin, end) of a row in `dtype`, logits multiplied by invTemperature.
// Dispatches to the active ISA (cpu.h).
SoftmaxStats softmaxStats(const void* row, DType dtype, int64_t begin, int64_t end, float invTemperature);

// Per-ISA entry points, defined in softmax_stats_{scalar,avx2,avx512}.cpp.
namespace scalar { SoftmaxStats softmaxStats(const void*, DType, int64_t, int64_t, float); }
namespace avx2 { SoftmaxStats softmaxStats(const void*, DType, int64_t, int64_t, float); }
namespace avx512 { SoftmaxStats softmaxStats(const void*, DType, int64_t, int64_t, float); }

}  // namespace infogain
