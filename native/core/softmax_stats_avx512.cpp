#include "simd/vec_avx512.h"
#include "softmax_stats_kernel.h"

namespace infogain {
namespace avx512 {
SoftmaxStats softmaxStats(const void* row, DType dtype, int64_t begin, int64_t end, float invTemperature) {
  return kernel::softmaxStatsFor<VecAvx512>(row, dtype, begin, end, invTemperature);
}
}  // namespace avx512
}  // namespace infogain
