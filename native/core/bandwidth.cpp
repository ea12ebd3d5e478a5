#include "bandwidth.h"

#include <cstring>
#include <vector>

#include "parallel.h"

namespace infogain {

// Four independent 64-bit xor chains: cheap enough that the loads are the bottleneck, and the
// compiler vectorizes it at -O3 for whatever ISA the file is built for.
static uint64_t xorRange(const unsigned char* p, int64_t n) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t w[4];
    std::memcpy(w, p + i, 32);
    a ^= w[0];
    b ^= w[1];
    c ^= w[2];
    d ^= w[3];
  }
  for (; i < n; i++) a ^= p[i];
  return a ^ b ^ c ^ d;
}

uint64_t readPass(const void* data, int64_t bytes) {
  constexpr int64_t kPiece = int64_t(1) << 20;
  int64_t pieces = (bytes + kPiece - 1) / kPiece;
  std::vector<uint64_t> sums(size_t(pieces > 0 ? pieces : 0));
  parallelFor(pieces, [&](int64_t i) {
    int64_t off = i * kPiece, n = bytes - off < kPiece ? bytes - off : kPiece;
    sums[size_t(i)] = xorRange(static_cast<const unsigned char*>(data) + off, n);
  });
  uint64_t x = 0;
  for (uint64_t s : sums) x ^= s;
  return x;
}

}  // namespace infogain
