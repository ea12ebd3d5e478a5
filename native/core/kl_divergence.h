// Full-vocabulary divergences between the softmax distributions of two logits matrices, one
// value per row pair, from one read of each row (two for Jensen-Shannon).
#pragma once
#include <cstdint>

#include "dtype.h"
#include "kl_stats.h"
#include "status.h"

namespace infogain {

enum class KLDirection : int32_t {
  Forward = 0,    // KL(P || Q)
  Reverse = 1,    // KL(Q || P)
  Symmetric = 2,  // KL(P || Q) + KL(Q || P)
  JensenShannon = 3,  // (KL(P || M) + KL(Q || M)) / 2, M = (P + Q) / 2; in [0, ln 2]
};

struct KLOptions {
  KLDirection direction = KLDirection::Forward;
  float temperature = 1.0f;  // both matrices' logits are divided by it
  const char* pName = "p";   // how errors name the two inputs
  const char* qName = "q";
};

// Shapes equal (dtypes may differ), temperature finite and > 0, direction known.
Status checkKLDivergence(const LogitsView& p, const LogitsView& q, const KLOptions& opt);

// Validates, then computes out[r] for every row on the CPU (natural log). P = softmax(p[r] / T),
// Q = softmax(q[r] / T). Entries where P is 0 (p = -inf) add nothing; an entry with P > 0 and
// Q = 0 makes KL(P||Q) +Infinity. Rounding below 0 is clamped to 0. A row holding NaN or +inf,
// or no finite entry, is a RangeError naming "p" or "q" and the row.
Status klDivergence(const LogitsView& p, const LogitsView& q, const KLOptions& opt, float* out);

// The error for a row found bad: names p (pAtFault) or q and what is wrong with that row.
Status describeBadPair(const LogitsView& p, const LogitsView& q, int64_t row, bool pAtFault, const KLOptions& opt);

// Stats of [begin, end) of one row pair, dispatched to the active ISA. `both`: also cq.
KLStats klStats(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
                bool both);
// Sum of the base-2 Jensen-Shannon terms of [begin, end); JS = sum * ln(2) / 2 over the row.
float jsSum(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
            const JSRow& row);

// Per-ISA entry points, defined in kl_divergence_{scalar,avx2,avx512}.cpp.
namespace scalar {
KLStats klStats(const void*, DType, const void*, DType, int64_t, int64_t, float, bool);
float jsSum(const void*, DType, const void*, DType, int64_t, int64_t, float, const JSRow&);
}  // namespace scalar
namespace avx2 {
KLStats klStats(const void*, DType, const void*, DType, int64_t, int64_t, float, bool);
float jsSum(const void*, DType, const void*, DType, int64_t, int64_t, float, const JSRow&);
}  // namespace avx2
namespace avx512 {
KLStats klStats(const void*, DType, const void*, DType, int64_t, int64_t, float, bool);
float jsSum(const void*, DType, const void*, DType, int64_t, int64_t, float, const JSRow&);
}  // namespace avx512

}  // namespace infogain
