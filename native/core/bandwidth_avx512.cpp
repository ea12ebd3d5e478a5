#include <immintrin.h>

#include "bandwidth.h"
#include "bandwidth_kernel.h"

namespace infogain {
namespace avx512 {
namespace {
struct Int512 {
  using V = __m512i;
  static constexpr int64_t kBytes = 64;
  static V zero() { return _mm512_set1_epi64(0); }
  static V load(const unsigned char* p) { return _mm512_loadu_si512(p); }
  static V x(V a, V b) { return _mm512_xor_si512(a, b); }
  static uint64_t fold(V v) {
    alignas(64) uint64_t w[8];
    _mm512_store_si512(w, v);
    return w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4] ^ w[5] ^ w[6] ^ w[7];
  }
};
}  // namespace
uint64_t xorRange(const unsigned char* p, int64_t n, bool prefetch) {
  return kernel::xorRangeWith<Int512>(p, n, prefetch);
}
}  // namespace avx512
}  // namespace infogain
