// What bounds the 16-bit softmax-statistics loop (softmax_stats_kernel.h's one-sweep block, AVX-512):
// its body on 16 KiB of bfloat16 kept in L1, as built and with one part taken out or swapped for
// a cheaper-looking one, in cycles per 16 elements. Nothing here is a kernel: results are discarded.
//   g++ -O2 -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -Wno-maybe-uninitialized bench/softmax-body.cpp \
//       -o /tmp/softmax-body
//   /tmp/softmax-body [GHz]       (cycles = ns * GHz; the default 3.17 was measured on the Zen 5 VM)
#include <immintrin.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

enum Body {
  kAsBuilt,      // widen, block max, fmsub, range mask, vreduceps, 5 FMAs, vscalefps, s += e, masked w FMA
  kNoMax,        // without the block max
  kNoMask,       // without the range compare (and its masks)
  kDegree4,      // one FMA fewer (the degree-4 polynomial: 2.9e-6 per exponential)
  kNoScalef,     // without vscalefps
  kNoWFma,       // without w += e d
  kFloorByMax,   // the range mask replaced by d = max(d, -125)
  kMagicRound,   // vreduceps replaced by n = (d + 1.5 2^23) - 1.5 2^23, f = d - n
  kIntExponent,  // ... and vscalefps by adding n << 23 to the bits
  kBodies
};
const char* kNames[kBodies] = {"as built", "no block max", "no range mask", "degree 4", "no vscalefps",
                               "no w FMA", "mask -> max floor", "magic rounding", "magic + int exponent"};

template <int B>
__attribute__((noinline)) double nsPer16(const uint16_t* p, int len, int reps) {
  const __m512 c = _mm512_set1_ps(1.4427f / 0.9f), mc = _mm512_set1_ps(3.0f), lo = _mm512_set1_ps(-126.0f);
  const __m512 magic = _mm512_set1_ps(12582912.0f);
  __m512 s[4], w[4], bm[4];
  for (int j = 0; j < 4; j++) {
    s[j] = w[j] = _mm512_setzero_ps();
    bm[j] = _mm512_set1_ps(-3e38f);
  }
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; r++)
    for (int i = 0; i < len; i += 64) {
      const __m512i z = _mm512_setzero_si512(), a = _mm512_loadu_si512(p + i), b = _mm512_loadu_si512(p + i + 32);
      const __m512 x[4] = {_mm512_castsi512_ps(_mm512_unpacklo_epi16(z, a)), _mm512_castsi512_ps(_mm512_unpackhi_epi16(z, a)),
                           _mm512_castsi512_ps(_mm512_unpacklo_epi16(z, b)), _mm512_castsi512_ps(_mm512_unpackhi_epi16(z, b))};
#pragma GCC unroll 4
      for (int j = 0; j < 4; j++) {
        if (B != kNoMax) bm[j] = _mm512_max_ps(bm[j], x[j]);
        __m512 d = _mm512_fmsub_ps(x[j], c, mc);
        __mmask16 keep = 0xffff;
        if (B == kFloorByMax || B == kMagicRound || B == kIntExponent) d = _mm512_max_ps(_mm512_set1_ps(-125.0f), d);
        else if (B != kNoMask) keep = _mm512_cmp_ps_mask(d, lo, _CMP_NLT_UQ);
        __m512 f, n = d;
        if (B == kMagicRound || B == kIntExponent) {
          n = _mm512_sub_ps(_mm512_add_ps(d, magic), magic);
          f = _mm512_sub_ps(d, n);
        } else {
          f = _mm512_reduce_ps(d, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        }
        __m512 q = _mm512_set1_ps(0.0018671301659196615f);
        q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(0.009017029777169228f));
        q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(0.05579991266131401f));
        if (B != kDegree4) q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(0.24016444385051727f));
        q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(0.6931512951850891f));
        const __m512 poly = _mm512_fmadd_ps(q, f, _mm512_set1_ps(1.0f));
        __m512 e;
        if (B == kNoScalef) e = poly;
        else if (B == kIntExponent)
          e = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(poly),
                                                   _mm512_slli_epi32(_mm512_castps_si512(_mm512_add_ps(d, magic)), 23)));
        else e = _mm512_maskz_scalef_ps(keep, poly, n);
        s[j] = _mm512_add_ps(s[j], e);
        if (B != kNoWFma) w[j] = _mm512_mask3_fmadd_ps(e, d, w[j], keep);
      }
    }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  float sink = 0;
  for (int j = 0; j < 4; j++) sink += _mm512_reduce_add_ps(s[j]) + _mm512_reduce_add_ps(w[j]) + _mm512_reduce_max_ps(bm[j]);
  if (sink == 1.2345f) std::puts("");  // keeps the sums alive
  return seconds / (double(len) * reps / 16) * 1e9;
}

template <int... B>
void runAll(const uint16_t* p, int len, double ghz, std::integer_sequence<int, B...>) {
  const double ns[] = {nsPer16<B>(p, len, 20000)...};
  for (int b = 0; b < kBodies; b++) std::printf("%-22s %.3f ns = %.2f cycles per 16 elements\n", kNames[b], ns[b], ns[b] * ghz);
}

int main(int argc, char** argv) {
  const double ghz = argc > 1 ? std::atof(argv[1]) : 3.17;
  std::vector<uint16_t> row(8192);
  for (size_t i = 0; i < row.size(); i++) {
    const float f = float(i % 97) * 0.01f;
    uint32_t u;
    std::memcpy(&u, &f, 4);
    row[i] = uint16_t(u >> 16);
  }
  for (int round = 0; round < 3; round++) {
    std::printf("round %d\n", round + 1);
    runAll(row.data(), int(row.size()), ghz, std::make_integer_sequence<int, kBodies>{});
  }
}
