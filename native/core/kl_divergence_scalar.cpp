#include "simd/vec_scalar.h"
#include "kl_divergence.h"
#include "kl_divergence_kernel.h"

namespace infogain {
namespace scalar {
KLStats klStats(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
                bool both) {
  return both ? kernel::klStatsFor<VecScalar, true>(p, pt, q, qt, begin, end, invTemperature)
              : kernel::klStatsFor<VecScalar, false>(p, pt, q, qt, begin, end, invTemperature);
}
float jsSum(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
            const JSRow& row) {
  return kernel::jsSumFor<VecScalar>(p, pt, q, qt, begin, end, invTemperature, row);
}
}  // namespace scalar
}  // namespace infogain
