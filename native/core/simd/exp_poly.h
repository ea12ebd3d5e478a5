// 2^d for float32: d = n + f with n = round(d), f in [-1/2, 1/2], and 2^f ~ 1 + f q(f) with q
// a near-minimax degree-4 polynomial (max relative error 1.1e-7, scripts/fit-exp2.py). 2^0 is
// exactly 1, so a point-mass row gets log-prob and entropy exactly 0.
// The kernels work in base 2 (x * log2(e)), so the common case costs one exp2 per element.
// Contract for every ISA: NaN propagates; d below -126 (and -inf-like floors) gives exactly 0.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace infogain {
namespace exp2c {
constexpr float kQ0 = 0.6931470036506653f, kQ1 = 0.24022242426872253f, kQ2 = 0.05550733581185341f;
constexpr float kQ3 = 0.009671512991189957f, kQ4 = 0.001326472614891827f;
// the same form on [0, 1), for f = d - floor(d) (AVX-512: vreduceps, then vscalefps by floor(d))
constexpr float kR0 = 0.6931512951850891f, kR1 = 0.24016444385051727f, kR2 = 0.05579991266131401f;
constexpr float kR3 = 0.009017029777169228f, kR4 = 0.0018671301659196615f;
constexpr float kMin = -126.0f;  // below: 0, so no denormals reach the sums
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2 = 0.693147180559945309f;
}  // namespace exp2c

static inline float exp2PolyScalar(float d) {
  using namespace exp2c;
  if (d < kMin) return 0.0f;
  if (std::isnan(d)) return d;  // propagates; converting NaN to an integer below would be undefined
  float n = std::nearbyint(d);
  float f = d - n;
  float q = kQ4;
  q = std::fma(q, f, kQ3);
  q = std::fma(q, f, kQ2);
  q = std::fma(q, f, kQ1);
  q = std::fma(q, f, kQ0);
  float p = std::fma(q, f, 1.0f);
  uint32_t bits = uint32_t(int32_t(n > 127.0f ? 127.0f : n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}

}  // namespace infogain
