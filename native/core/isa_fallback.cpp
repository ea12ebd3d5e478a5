// Non-x86 builds: the AVX entry points exist (the dispatcher names them) but are never chosen,
// because detectedIsa() is Scalar there. They forward to the scalar kernels.
#include "conformal.h"
#include "kl_divergence.h"
#include "softmax_stats.h"

namespace infogain {
namespace avx2 {
SoftmaxStats softmaxStats(const void* r, DType d, int64_t b, int64_t e, float t) { return scalar::softmaxStats(r, d, b, e, t); }
KLStats klStats(const void* p, DType pt, const void* q, DType qt, int64_t b, int64_t e, float t, bool both) { return scalar::klStats(p, pt, q, qt, b, e, t, both); }
float jsSum(const void* p, DType pt, const void* q, DType qt, int64_t b, int64_t e, float t, const JSRow& r) { return scalar::jsSum(p, pt, q, qt, b, e, t, r); }
void countAtLeast(const void* r, DType d, int64_t n, float t, float lo, float hi, int64_t* cl, int64_t* ch) { scalar::countAtLeast(r, d, n, t, lo, hi, cl, ch); }
}  // namespace avx2
namespace avx512 {
SoftmaxStats softmaxStats(const void* r, DType d, int64_t b, int64_t e, float t) { return scalar::softmaxStats(r, d, b, e, t); }
KLStats klStats(const void* p, DType pt, const void* q, DType qt, int64_t b, int64_t e, float t, bool both) { return scalar::klStats(p, pt, q, qt, b, e, t, both); }
float jsSum(const void* p, DType pt, const void* q, DType qt, int64_t b, int64_t e, float t, const JSRow& r) { return scalar::jsSum(p, pt, q, qt, b, e, t, r); }
void countAtLeast(const void* r, DType d, int64_t n, float t, float lo, float hi, int64_t* cl, int64_t* ch) { scalar::countAtLeast(r, d, n, t, lo, hi, cl, ch); }
}  // namespace avx512
}  // namespace infogain
