// 8 x float32 with AVX2 + FMA + F16C. Include only from *_avx2.cpp (built with those flags).
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "exp_poly.h"

namespace infogain {

struct VecAvx2 {
  using V = __m256;
  static constexpr int W = 8;

  static V set1(float a) { return _mm256_set1_ps(a); }
  static V loadF32(const float* p) { return _mm256_loadu_ps(p); }
  static V loadF16(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  // 16 bfloat16 -> two vectors, interleaved within 128-bit lanes: a bfloat16 is the top half of
  // a float32, so unpacking with zeros below widens it in one instruction
  static void loadBF16x2(const uint16_t* p, V& a, V& b) {
    __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    __m256i zero = _mm256_setzero_si256();
    a = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, raw));
    b = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, raw));
  }
  // 8 bfloat16 in element order (loadBF16x2 is faster where the order does not matter)
  static V loadBF16(const uint16_t* p) {
    __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }

  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fmsub(V a, V b, V c) { return _mm256_fmsub_ps(a, b, c); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  // max returns its second operand when either is NaN: NaN stays NaN
  static V floorAt(V a, float lo) { return _mm256_max_ps(_mm256_set1_ps(lo), a); }
  // c + a * b where a > 0, c elsewhere: a weight of 0 cancels even an infinite b
  static V fmaddIfPositive(V a, V b, V c) {
    return _mm256_blendv_ps(c, _mm256_fmadd_ps(a, b, c), _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GT_OQ));
  }

  static V exp2(V d) {
    using namespace exp2c;
    __m256 under = _mm256_cmp_ps(d, _mm256_set1_ps(kMin), _CMP_LT_OQ);
    d = _mm256_max_ps(_mm256_set1_ps(kMin), d);
    __m256 n = _mm256_round_ps(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 f = _mm256_sub_ps(d, n);
    __m256 q = _mm256_set1_ps(kQ4);
    q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(kQ3));
    q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(kQ2));
    q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(kQ1));
    q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(kQ0));
    __m256 p = _mm256_fmadd_ps(q, f, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
  }

  // s += 2^d, w += 2^d d; d below -126 (-inf included) adds nothing, NaN propagates
  static void accumulate(V d, V& s, V& w) {
    d = floorAt(d, -1e30f);
    V e = exp2(d);
    s = add(s, e);
    w = fmadd(e, d, w);
  }

  // any lane of a > b (ordered: NaN never counts)
  static bool anyGreater(V a, V b) { return _mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_GT_OQ)) != 0; }

  static float reduceMax(V v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
  }

  // Lane counters (int32 per lane): how many elements were >= a bound (ordered: NaN never counts).
  // A true compare is all ones, -1 as an integer: subtracting it adds one.
  using C = __m256i;
  static C countZero() { return _mm256_setzero_si256(); }
  static C countAtLeast(C acc, V a, V bound) { return _mm256_sub_epi32(acc, _mm256_castps_si256(_mm256_cmp_ps(a, bound, _CMP_GE_OQ))); }
  static int64_t countSum(C acc) {
    alignas(32) int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
    int64_t sum = 0;
    for (int32_t v : lanes) sum += v;
    return sum;
  }
  // r[i][j] <- r[j][i] for an 8 x 8 block (the fused head packs its weight tiles with it)
  static void transpose(V (&r)[W]) {
    V t[W];
    for (int i = 0; i < W; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < W; i += 4) {
      r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
      r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
      r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
      r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
      t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
      t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
    }
    for (int i = 0; i < W; i++) r[i] = t[i];
  }
};

}  // namespace infogain
