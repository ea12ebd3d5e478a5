#include <immintrin.h>

#include "bandwidth.h"
#include "bandwidth_kernel.h"

namespace infogain {
namespace avx2 {
namespace {
struct Int256 {
  using V = __m256i;
  static constexpr int64_t kBytes = 32;
  static V zero() { return _mm256_setzero_si256(); }
  static V load(const unsigned char* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static V x(V a, V b) { return _mm256_xor_si256(a, b); }
  static uint64_t fold(V v) {
    return uint64_t(_mm256_extract_epi64(v, 0) ^ _mm256_extract_epi64(v, 1) ^ _mm256_extract_epi64(v, 2) ^
                    _mm256_extract_epi64(v, 3));
  }
};
}  // namespace
uint64_t xorRange(const unsigned char* p, int64_t n, bool prefetch) {
  return kernel::xorRangeWith<Int256>(p, n, prefetch);
}
}  // namespace avx2
}  // namespace infogain
