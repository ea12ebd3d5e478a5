#include "bandwidth.h"

#include <cstring>
#include <vector>

#include "cpu.h"
#include "parallel.h"

namespace infogain {

// Four independent 64-bit xor chains in baseline x86-64: what the floor used to be (128-bit loads
// at best), kept as one strategy among several.
static uint64_t xorRangeScalar(const unsigned char* p, int64_t n, bool) {
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

namespace {
struct Strategy {
  const char* name;
  Isa isa;
  uint64_t (*xorRange)(const unsigned char*, int64_t, bool);
  int64_t piece;  // bytes per task; 0: one contiguous range per thread
  bool prefetch;
};
const Strategy kStrategies[] = {
    {"64-bit, 1 MiB pieces", Isa::Scalar, xorRangeScalar, int64_t(1) << 20, false},
    {"256-bit, 1 MiB pieces", Isa::Avx2, avx2::xorRange, int64_t(1) << 20, false},
    {"256-bit + prefetch, 256 KiB pieces", Isa::Avx2, avx2::xorRange, int64_t(1) << 18, true},
    {"512-bit, 1 MiB pieces", Isa::Avx512, avx512::xorRange, int64_t(1) << 20, false},
    {"512-bit, 256 KiB pieces", Isa::Avx512, avx512::xorRange, int64_t(1) << 18, false},
    {"512-bit + prefetch, 1 MiB pieces", Isa::Avx512, avx512::xorRange, int64_t(1) << 20, true},
    {"512-bit, one range per thread", Isa::Avx512, avx512::xorRange, 0, false},
};

// The strategies this CPU runs, in table order.
std::vector<const Strategy*> available() {
  std::vector<const Strategy*> out;
  for (const Strategy& s : kStrategies)
    if (int(s.isa) <= int(detectedIsa())) out.push_back(&s);
  return out;
}
}  // namespace

int readStrategyCount() { return int(available().size()); }

const char* readStrategyName(int strategy) {
  const auto a = available();
  return strategy >= 0 && strategy < int(a.size()) ? a[size_t(strategy)]->name : "";
}

uint64_t readPass(const void* data, int64_t bytes, int strategy) {
  const auto a = available();
  const Strategy& s = *a[size_t(strategy >= 0 && strategy < int(a.size()) ? strategy : 0)];
  // pieces are whole 64-byte multiples, so each starts on a cache line when the buffer does (wide
  // loads then never straddle lines; a buffer off a line costs every strategy alike)
  const int64_t piece = s.piece > 0 ? s.piece : ((bytes + threadCount() - 1) / threadCount() + 63) / 64 * 64;
  const int64_t pieces = piece > 0 ? (bytes + piece - 1) / piece : 0;
  std::vector<uint64_t> sums(static_cast<size_t>(pieces));
  const auto* base = static_cast<const unsigned char*>(data);
  parallelFor(pieces, [&](int64_t i) {
    const int64_t off = i * piece, n = bytes - off < piece ? bytes - off : piece;
    sums[size_t(i)] = s.xorRange(base + off, n, s.prefetch);
  });
  uint64_t x = 0;
  for (uint64_t v : sums) x ^= v;
  return x;
}

}  // namespace infogain
