// One-lane "vector" with the same interface and the same exp2 polynomial as the SIMD types,
// so every ISA computes the same function (sums differ only in order).
#pragma once
#include <cmath>
#include <cstdint>

#include "../dtype.h"
#include "exp_poly.h"

namespace infogain {

struct VecScalar {
  using V = float;
  static constexpr int W = 1;

  static V set1(float a) { return a; }
  static V loadF32(const float* p) { return *p; }
  static V loadF16(const uint16_t* p) { return f16ToFloat(*p); }
  // two vectors of bfloat16, in any order (reductions do not care)
  static void loadBF16x2(const uint16_t* p, V& a, V& b) {
    a = bf16ToFloat(p[0]);
    b = bf16ToFloat(p[1]);
  }
  static V loadBF16(const uint16_t* p) { return bf16ToFloat(*p); }  // in element order
  static void store(float* p, V v) { *p = v; }

  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V fmadd(V a, V b, V c) { return std::fma(a, b, c); }
  static V fmsub(V a, V b, V c) { return std::fma(a, b, -c); }
  static V max(V a, V b) { return a > b ? a : b; }
  static V floorAt(V a, float lo) { return !(a < lo) ? a : lo; }  // NaN stays NaN
  // c + a * b where a > 0, c elsewhere: a weight of 0 cancels even an infinite b
  static V fmaddIfPositive(V a, V b, V c) { return a > 0.0f ? std::fma(a, b, c) : c; }
  static V exp2(V d) { return exp2PolyScalar(d); }

  // s += 2^d, w += 2^d d; d below -126 (-inf included) adds nothing, NaN propagates
  static void accumulate(V d, V& s, V& w) {
    d = floorAt(d, -1e30f);
    V e = exp2(d);
    s = add(s, e);
    w = fmadd(e, d, w);
  }

  static bool anyGreater(V a, V b) { return a > b; }  // ordered: NaN never counts

  static float reduceMax(V v) { return v; }

  // Lane counters: how many elements were >= a bound (ordered: NaN never counts).
  using C = int64_t;
  static C countZero() { return 0; }
  static C countAtLeast(C acc, V a, V bound) { return acc + (a >= bound); }
  static int64_t countSum(C acc) { return acc; }
  static void transpose(V (&)[W]) {}  // a 1 x 1 block
};

}  // namespace infogain
