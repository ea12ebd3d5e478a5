#include <immintrin.h>

#include "shapley_rows_kernel.h"

namespace infogain {
namespace avx512 {
namespace {
struct F64x8 {
  using V = __m512d;
  static constexpr int64_t W = 8;
  static V set1(double a) { return _mm512_set1_pd(a); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static V sub(V a, V b) { return _mm512_sub_pd(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static double sum(V v) {
    alignas(64) double t[8];
    _mm512_store_pd(t, v);
    return ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
  }
};
}  // namespace
RowDots semivalueRow(const double* x, double shift, const double* wa, const double* wb, double* r, int64_t len) {
  return kernel::semivalueRowWith<F64x8>(x, shift, wa, wb, r, len);
}
}  // namespace avx512
}  // namespace infogain
