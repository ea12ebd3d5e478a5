#include "simd/vec_avx512.h"
#include "conformal_kernel.h"

namespace infogain {
namespace avx512 {
void countAtLeast(const void* row, DType dtype, int64_t n, float invT, float lo, float hi, int64_t* atLeastLo, int64_t* atLeastHi) {
  kernel::countAtLeastFor<VecAvx512>(row, dtype, n, invT, lo, hi, atLeastLo, atLeastHi);
}
}  // namespace avx512
}  // namespace infogain
