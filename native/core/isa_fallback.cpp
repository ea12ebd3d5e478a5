// Non-x86 builds: the AVX entry points exist (the dispatcher names them) but are never chosen,
// because detectedIsa() is Scalar there. They forward to the scalar kernels.
#include "softmax_stats.h"

namespace infogain {
namespace avx2 {
SoftmaxStats softmaxStats(const void* r, DType d, int64_t b, int64_t e, float t) { return scalar::softmaxStats(r, d, b, e, t); }
}  // namespace avx2
namespace avx512 {
SoftmaxStats softmaxStats(const void* r, DType d, int64_t b, int64_t e, float t) { return scalar::softmaxStats(r, d, b, e, t); }
}  // namespace avx512
}  // namespace infogain
