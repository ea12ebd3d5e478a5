#include "simd/vec_scalar.h"
#include "conformal_kernel.h"

namespace infogain {
namespace scalar {
void countAtLeast(const void* row, DType dtype, int64_t n, float invT, float lo, float hi, int64_t* atLeastLo, int64_t* atLeastHi) {
  kernel::countAtLeastFor<VecScalar>(row, dtype, n, invT, lo, hi, atLeastLo, atLeastHi);
}
}  // namespace scalar
}  // namespace infogain
