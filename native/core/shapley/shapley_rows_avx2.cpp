#include <immintrin.h>

#include "shapley_rows_kernel.h"

namespace infogain {
namespace avx2 {
namespace {
struct F64x4 {
  using V = __m256d;
  static constexpr int64_t W = 4;
  static V set1(double a) { return _mm256_set1_pd(a); }
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static double sum(V v) {
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  }
};
}  // namespace
RowDots semivalueRow(const double* x, double shift, const double* wa, const double* wb, double* r, int64_t len) {
  return kernel::semivalueRowWith<F64x4>(x, shift, wa, wb, r, len);
}
}  // namespace avx2
}  // namespace infogain
