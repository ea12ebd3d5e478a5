#include "simd/vec_avx2.h"
#include "kl_divergence.h"
#include "kl_divergence_kernel.h"

namespace infogain {
namespace avx2 {
KLStats klStats(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
                bool both) {
  return both ? kernel::klStatsFor<VecAvx2, true>(p, pt, q, qt, begin, end, invTemperature)
              : kernel::klStatsFor<VecAvx2, false>(p, pt, q, qt, begin, end, invTemperature);
}
float jsSum(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
            const JSRow& row) {
  return kernel::jsSumFor<VecAvx2>(p, pt, q, qt, begin, end, invTemperature, row);
}
}  // namespace avx2
}  // namespace infogain
