#include "simd/vec_avx2.h"
#include "conformal_kernel.h"

namespace infogain {
namespace avx2 {
void countAtLeast(const void* row, DType dtype, int64_t n, float invT, float lo, float hi, int64_t* atLeastLo, int64_t* atLeastHi) {
  kernel::countAtLeastFor<VecAvx2>(row, dtype, n, invT, lo, hi, atLeastLo, atLeastHi);
}
}  // namespace avx2
}  // namespace infogain
