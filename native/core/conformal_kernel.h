// The count pass of predictionSetSizes over a logits row, written once over a vector type V
// (simd/vec_*.h) and instantiated per ISA in conformal_{scalar,avx2,avx512}.cpp: how many of the
// row's logits, scaled by 1 / T in float32 (x * invT, as the softmax statistics scale them), are
// >= each of two bounds. The set is {x_t >= threshold}; the two bounds bracket the threshold, and
// the few logits between them get the exact score test in conformal.cpp.
#pragma once
#include <cstdint>

#include "dtype.h"
#include "softmax_stats_kernel.h"

namespace infogain {
namespace kernel {

template <class V, class L>
static inline void countAtLeastOf(const typename L::T* x, int64_t n, float invT, float lo, float hi, int64_t* atLeastLo,
                                  int64_t* atLeastHi) {
  using Vec = typename V::V;
  const Vec scale = V::set1(invT), vlo = V::set1(lo), vhi = V::set1(hi);
  typename V::C cl = V::countZero(), ch = V::countZero();
  int64_t i = 0;
  for (; i + 2 * V::W <= n; i += 2 * V::W) {
    Vec a, b;
    L::template load2<V>(x + i, a, b);  // lane order does not matter for a count
    a = V::mul(a, scale);
    b = V::mul(b, scale);
    cl = V::countAtLeast(V::countAtLeast(cl, a, vlo), b, vlo);
    ch = V::countAtLeast(V::countAtLeast(ch, a, vhi), b, vhi);
  }
  int64_t tailLo = 0, tailHi = 0;
  for (; i < n; i++) {
    const float v = loadAsFloat(x, L::dtype, i) * invT;
    tailLo += v >= lo;
    tailHi += v >= hi;
  }
  *atLeastLo = V::countSum(cl) + tailLo;
  *atLeastHi = V::countSum(ch) + tailHi;
}

template <class V>
void countAtLeastFor(const void* row, DType dtype, int64_t n, float invT, float lo, float hi, int64_t* atLeastLo,
                     int64_t* atLeastHi) {
  switch (dtype) {
    case DType::Float32: return countAtLeastOf<V, LoadF32>(static_cast<const float*>(row), n, invT, lo, hi, atLeastLo, atLeastHi);
    case DType::Float16: return countAtLeastOf<V, LoadF16>(static_cast<const uint16_t*>(row), n, invT, lo, hi, atLeastLo, atLeastHi);
    default: return countAtLeastOf<V, LoadBF16>(static_cast<const uint16_t*>(row), n, invT, lo, hi, atLeastLo, atLeastHi);
  }
}

}  // namespace kernel
}  // namespace infogain
