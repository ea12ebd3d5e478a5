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
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }

  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fmsub(V a, V b, V c) { return _mm512_fmsub_ps(a, b, c); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  // max returns its second operand when either is NaN: NaN stays NaN
  static V floorAt(V a, float lo) { return _mm512_max_ps(_mm512_set1_ps(lo), a); }

  // scalef does the 2^n exactly; the mask zeroes d < -126 (no denormals) but keeps NaN
  static V exp2(V d) {
    using namespace exp2c;
    __mmask16 keep = _mm512_cmp_ps_mask(d, _mm512_set1_ps(kMin), _CMP_NLT_UQ);
    __m512 n = _mm512_roundscale_ps(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_sub_ps(d, n);
    __m512 q = _mm512_set1_ps(kQ4);
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(kQ3));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(kQ2));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(kQ1));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(kQ0));
    __m512 p = _mm512_fmadd_ps(q, f, _mm512_set1_ps(1.0f));
    return _mm512_maskz_scalef_ps(keep, p, n);
  }

  static float reduceMax(V v) { return _mm512_reduce_max_ps(v); }
};

}  // namespace infogain
