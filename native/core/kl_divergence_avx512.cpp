#include "simd/vec_avx512.h"
#include "kl_divergence.h"
#include "kl_divergence_kernel.h"

namespace infogain {
namespace avx512 {
KLStats klStats(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
                bool both) {
  return both ? kernel::klStatsFor<VecAvx512, true>(p, pt, q, qt, begin, end, invTemperature)
              : kernel::klStatsFor<VecAvx512, false>(p, pt, q, qt, begin, end, invTemperature);
}
float jsSum(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
            const JSRow& row) {
  return kernel::jsSumFor<VecAvx512>(p, pt, q, qt, begin, end, invTemperature, row);
}
}  // namespace avx512
}  // namespace infogain
