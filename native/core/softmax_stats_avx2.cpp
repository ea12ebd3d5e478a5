#include "simd/vec_avx2.h"
#include "softmax_stats_kernel.h"

namespace infogain {
namespace avx2 {
SoftmaxStats softmaxStats(const void* row, DType dtype, int64_t begin, int64_t end, float invTemperature) {
  return kernel::softmaxStatsFor<VecAvx2>(row, dtype, begin, end, invTemperature);
}
}  // namespace avx2
}  // namespace infogain
