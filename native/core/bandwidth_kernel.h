// The xor read loop over a vector type's integer loads, instantiated per ISA in
// bandwidth_{avx2,avx512}.cpp. Eight independent accumulators: a xor per load is far cheaper than
// the load, so the loop is bound by how fast the memory system delivers lines.
#pragma once
#include <cstdint>
#include <cstring>

namespace infogain {
namespace kernel {

// I: load(p) -> vector, x(a, b) -> a ^ b, fold(v) -> uint64_t; kBytes per vector.
template <class I>
static inline uint64_t xorRangeWith(const unsigned char* p, int64_t n, bool prefetch) {
  constexpr int64_t B = I::kBytes, kStep = 8 * B;
  typename I::V a0 = I::zero(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  int64_t i = 0;
  if (prefetch) {
    for (; i + kStep <= n; i += kStep) {
      for (int64_t b = 0; b < kStep; b += 64) __builtin_prefetch(p + i + 1024 + b);
      a0 = I::x(a0, I::load(p + i)); a1 = I::x(a1, I::load(p + i + B));
      a2 = I::x(a2, I::load(p + i + 2 * B)); a3 = I::x(a3, I::load(p + i + 3 * B));
      a4 = I::x(a4, I::load(p + i + 4 * B)); a5 = I::x(a5, I::load(p + i + 5 * B));
      a6 = I::x(a6, I::load(p + i + 6 * B)); a7 = I::x(a7, I::load(p + i + 7 * B));
    }
  } else {
    for (; i + kStep <= n; i += kStep) {
      a0 = I::x(a0, I::load(p + i)); a1 = I::x(a1, I::load(p + i + B));
      a2 = I::x(a2, I::load(p + i + 2 * B)); a3 = I::x(a3, I::load(p + i + 3 * B));
      a4 = I::x(a4, I::load(p + i + 4 * B)); a5 = I::x(a5, I::load(p + i + 5 * B));
      a6 = I::x(a6, I::load(p + i + 6 * B)); a7 = I::x(a7, I::load(p + i + 7 * B));
    }
  }
  uint64_t r = I::fold(I::x(I::x(I::x(a0, a1), I::x(a2, a3)), I::x(I::x(a4, a5), I::x(a6, a7))));
  for (; i < n; i++) r ^= p[i];
  return r;
}

}  // namespace kernel
}  // namespace infogain
