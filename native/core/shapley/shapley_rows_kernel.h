// semivalueRow over a vector type D of doubles (shapley_rows_{avx2,avx512}.cpp): two independent
// accumulator pairs, rows shorter than two vectors (n < 4 or 5 players) go to the scalar loop.
#pragma once
#include "shapley_rows.h"

namespace infogain {
namespace kernel {

// Doubles ahead to prefetch the row stream: the rows are only 2 KiB, and the hardware prefetcher
// alone left the loop at 1.9x one read of the table; 1 KiB ahead took it to 1.5x (Intel Xeon, C++
// harness); on Zen 5 1 KiB gave 1.85-2.07x and one row (2 KiB) ahead 1.85-1.92x.
constexpr int64_t kPrefetchAhead = 256;

template <class D>
static inline RowDots semivalueRowWith(const double* x, double shift, const double* wa, const double* wb, double* r,
                                       int64_t len) {
  constexpr int64_t W = D::W;
  if (len < 2 * W) return scalar::semivalueRow(x, shift, wa, wb, r, len);
  const typename D::V s = D::set1(shift);
  typename D::V a0 = D::set1(0.0), a1 = a0, b0 = a0, b1 = a0;
  int64_t l = 0;
  for (; l + 2 * W <= len; l += 2 * W) {
    __builtin_prefetch(x + l + kPrefetchAhead);  // harmless past the end: a prefetch never faults
    __builtin_prefetch(x + l + kPrefetchAhead + 8);
    const typename D::V x0 = D::sub(D::load(x + l), s), x1 = D::sub(D::load(x + l + W), s);
    D::store(r + l, D::add(D::load(r + l), x0));
    D::store(r + l + W, D::add(D::load(r + l + W), x1));
    a0 = D::fmadd(D::load(wa + l), x0, a0);
    a1 = D::fmadd(D::load(wa + l + W), x1, a1);
    b0 = D::fmadd(D::load(wb + l), x0, b0);
    b1 = D::fmadd(D::load(wb + l + W), x1, b1);
  }
  RowDots d{D::sum(D::add(a0, a1)), D::sum(D::add(b0, b1))};
  if (l < len) {  // len is a power of two >= 2W, so this is never taken; kept for any length
    const RowDots t = scalar::semivalueRow(x + l, shift, wa + l, wb + l, r + l, len - l);
    d.a += t.a, d.b += t.b;
  }
  return d;
}

}  // namespace kernel
}  // namespace infogain
