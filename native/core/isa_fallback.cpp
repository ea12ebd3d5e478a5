// Non-x86 builds: the AVX entry points exist (the dispatcher names them) but are never chosen,
// because detectedIsa() is Scalar there. They forward to the scalar kernels.
#include "bandwidth.h"
#include "conformal.h"
#include "kl_divergence.h"
#include "linear_head.h"
#include "shapley/shapley_rows.h"
#include "softmax_stats.h"

namespace infogain {
namespace avx2 {
SoftmaxStats softmaxStats(const void* r, DType d, int64_t b, int64_t e, float t) { return scalar::softmaxStats(r, d, b, e, t); }
KLStats klStats(const void* p, DType pt, const void* q, DType qt, int64_t b, int64_t e, float t, bool both) { return scalar::klStats(p, pt, q, qt, b, e, t, both); }
float jsSum(const void* p, DType pt, const void* q, DType qt, int64_t b, int64_t e, float t, const JSRow& r) { return scalar::jsSum(p, pt, q, qt, b, e, t, r); }
void countAtLeast(const void* r, DType d, int64_t n, float t, float lo, float hi, int64_t* cl, int64_t* ch) { scalar::countAtLeast(r, d, n, t, lo, hi, cl, ch); }
HeadBlock headBlock() { return scalar::headBlock(); }
void packHidden(const HiddenView& h, int64_t f, int64_t n, float* p) { scalar::packHidden(h, f, n, p); }
void headTask(const HeadTask& t) { scalar::headTask(t); }
double fmaChains(int64_t n) { return scalar::fmaChains(n); }
uint64_t xorRange(const unsigned char*, int64_t, bool) { return 0; }  // never chosen: Isa::Avx2 is not detected
RowDots semivalueRow(const double* x, double s, const double* a, const double* b, double* r, int64_t n) { return scalar::semivalueRow(x, s, a, b, r, n); }
}  // namespace avx2
namespace avx512 {
SoftmaxStats softmaxStats(const void* r, DType d, int64_t b, int64_t e, float t) { return scalar::softmaxStats(r, d, b, e, t); }
KLStats klStats(const void* p, DType pt, const void* q, DType qt, int64_t b, int64_t e, float t, bool both) { return scalar::klStats(p, pt, q, qt, b, e, t, both); }
float jsSum(const void* p, DType pt, const void* q, DType qt, int64_t b, int64_t e, float t, const JSRow& r) { return scalar::jsSum(p, pt, q, qt, b, e, t, r); }
void countAtLeast(const void* r, DType d, int64_t n, float t, float lo, float hi, int64_t* cl, int64_t* ch) { scalar::countAtLeast(r, d, n, t, lo, hi, cl, ch); }
HeadBlock headBlock() { return scalar::headBlock(); }
void packHidden(const HiddenView& h, int64_t f, int64_t n, float* p) { scalar::packHidden(h, f, n, p); }
void headTask(const HeadTask& t) { scalar::headTask(t); }
double fmaChains(int64_t n) { return scalar::fmaChains(n); }
uint64_t xorRange(const unsigned char*, int64_t, bool) { return 0; }  // never chosen: Isa::Avx512 is not detected
RowDots semivalueRow(const double* x, double s, const double* a, const double* b, double* r, int64_t n) { return scalar::semivalueRow(x, s, a, b, r, n); }
}  // namespace avx512
}  // namespace infogain
