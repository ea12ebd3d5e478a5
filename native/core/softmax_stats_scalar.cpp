#include "simd/vec_scalar.h"
#include "softmax_stats_kernel.h"

namespace infogain {
namespace scalar {
SoftmaxStats softmaxStats(const void* row, DType dtype, int64_t begin, int64_t end, float invTemperature) {
  return kernel::softmaxStatsFor<VecScalar>(row, dtype, begin, end, invTemperature);
}
}  // namespace scalar
}  // namespace infogain
