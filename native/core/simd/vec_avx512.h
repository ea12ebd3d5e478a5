// 16 x float32 with AVX-512 F/BW/DQ/VL. Include only from *_avx512.cpp (built with those flags).
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "exp_poly.h"

namespace infogain {

struct VecAvx512 {
  using V = __m512;
  static constexpr int W = 16;

  static V set1(float a) { return _mm512_set1_ps(a); }
  static V loadF32(const float* p) { return _mm512_loadu_ps(p); }
  static V loadF16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  // 32 bfloat16 -> two vectors, interleaved within 128-bit lanes (see VecAvx2::loadBF16x2)
  static void loadBF16x2(const uint16_t* p, V& a, V& b) {
    __m512i raw = _mm512_loadu_si512(p);
    __m512i zero = _mm512_setzero_si512();
    a = _mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, raw));
    b = _mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, raw));
  }
  // 16 bfloat16 in element order (loadBF16x2 is faster where the order does not matter)
  static V loadBF16(const uint16_t* p) {
    __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
  }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }

  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fmsub(V a, V b, V c) { return _mm512_fmsub_ps(a, b, c); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  // max returns its second operand when either is NaN: NaN stays NaN
  static V floorAt(V a, float lo) { return _mm512_max_ps(_mm512_set1_ps(lo), a); }
  // c + a * b where a > 0, c elsewhere: a weight of 0 cancels even an infinite b
  static V fmaddIfPositive(V a, V b, V c) {
    return _mm512_mask3_fmadd_ps(a, b, c, _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GT_OQ));
  }

  // 2^d = 2^f * 2^floor(d) with f = d - floor(d) from vreduceps; vscalefps applies floor(d)
  // itself. `keep` is false for d < -126 (no denormals; -inf too) and true for NaN.
  static V exp2Masked(V d, __mmask16 keep) {
    using namespace exp2c;
    __m512 f = _mm512_reduce_ps(d, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512 q = _mm512_set1_ps(kR4);
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(kR3));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(kR2));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(kR1));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(kR0));
    __m512 p = _mm512_fmadd_ps(q, f, _mm512_set1_ps(1.0f));
    return _mm512_maskz_scalef_ps(keep, p, d);
  }
  static __mmask16 inRange(V d) { return _mm512_cmp_ps_mask(d, _mm512_set1_ps(exp2c::kMin), _CMP_NLT_UQ); }
  static V exp2(V d) { return exp2Masked(d, inRange(d)); }

  // s += 2^d, w += 2^d d; d below -126 (-inf included) adds nothing, NaN propagates.
  // The masked FMA leaves w alone where 2^d is 0, so -inf needs no floor first.
  static void accumulate(V d, V& s, V& w) {
    __mmask16 keep = inRange(d);
    V e = exp2Masked(d, keep);
    s = _mm512_add_ps(s, e);
    w = _mm512_mask3_fmadd_ps(e, d, w, keep);
  }

  // any lane of a > b (ordered: NaN never counts)
  static bool anyGreater(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ) != 0; }

  static float reduceMax(V v) { return _mm512_reduce_max_ps(v); }

  // Lane counters (int32 per lane): how many elements were >= a bound (ordered: NaN never counts).
  using C = __m512i;
  static C countZero() { return _mm512_setzero_si512(); }
  static C countAtLeast(C acc, V a, V bound) {
    return _mm512_mask_add_epi32(acc, _mm512_cmp_ps_mask(a, bound, _CMP_GE_OQ), acc, _mm512_set1_epi32(1));
  }
  static int64_t countSum(C acc) { return _mm512_reduce_add_epi32(acc); }
  // r[i][j] <- r[j][i] for a 16 x 16 block (the fused head packs its weight tiles with it)
  static void transpose(V (&r)[W]) {
    V t[W];
    for (int i = 0; i < W; i += 2) {
      t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < W; i += 4) {
      r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
      r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xee);
      r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
      r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
      t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
      t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
      t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
      t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
      r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
      r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
      r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
      r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
    }
  }
};

}  // namespace infogain
