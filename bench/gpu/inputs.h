// Random inputs of the GPU harness, on the host: logits in any dtype with a -inf mask that two
// matrices can share, targets, value tables. Each row draws from its own stream, so rows fill in
// parallel and the result does not depend on the thread count.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../../native/core/dtype.h"
#include "../../native/core/parallel.h"

namespace harness {

// splitmix64: a fast, well-mixed stream from any 64-bit state.
struct Rng {
  uint64_t state;
  Rng(uint64_t seed, uint64_t stream) : state(seed * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull + 1) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
  double normal() {  // Box-Muller, one value per call
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
};

inline uint16_t toBF16(float f) {  // round to nearest even
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // NaN stays NaN
  return uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

inline uint16_t toF16(float f) {  // round to nearest even; below the normal range -> signed zero
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000, e = (u >> 23) & 0xff, m = u & 0x7fffff;
  if (e == 0xff) return uint16_t(sign | 0x7c00 | (m ? 0x200 : 0));
  const int he = int(e) - 112;
  if (he <= 0) return uint16_t(sign);
  if (he >= 31) return uint16_t(sign | 0x7c00);
  uint32_t h = (uint32_t(he) << 10) | (m >> 13);
  const uint32_t rest = m & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
  return uint16_t(sign | h);
}

inline void store(std::vector<uint8_t>& bytes, infogain::DType dtype, int64_t i, float x) {
  if (dtype == infogain::DType::Float32) {
    std::memcpy(&bytes[size_t(i) * 4], &x, 4);
  } else {
    const uint16_t h = dtype == infogain::DType::BFloat16 ? toBF16(x) : toF16(x);
    std::memcpy(&bytes[size_t(i) * 2], &h, 2);
  }
}

// How to draw a logits matrix: offset + scale * N(0, 1) per entry; an entry is -inf with
// probability maskRate, drawn from `maskSeed` alone (two matrices with one maskSeed share the mask),
// except entry r % vocab of row r, which stays finite.
struct LogitsSpec {
  int64_t rows, vocab;
  uint64_t seed;
  uint64_t maskSeed;
  float scale = 4.0f;
  float offset = 0.0f;
  double maskRate = 0.05;
};

struct Logits {
  infogain::DType dtype;
  int64_t rows, vocab;
  std::vector<uint8_t> bytes;
  infogain::LogitsView view() const { return {bytes.data(), rows, vocab, dtype}; }
};

inline Logits randomLogits(infogain::DType dtype, const LogitsSpec& s) {
  Logits l{dtype, s.rows, s.vocab, std::vector<uint8_t>(size_t(s.rows * s.vocab * infogain::dtypeSize(dtype)))};
  infogain::parallelFor(s.rows, [&](int64_t r) {
    Rng values(s.seed, uint64_t(r)), mask(s.maskSeed, uint64_t(r));
    for (int64_t j = 0; j < s.vocab; j++) {
      const bool masked = mask.uniform() < s.maskRate && j != r % s.vocab;
      store(l.bytes, dtype, r * s.vocab + j, masked ? -INFINITY : float(s.offset + s.scale * values.normal()));
    }
  });
  return l;
}

// Targets in [0, vocab); every `ignoreEvery`-th row (0: none) gets `ignore` instead.
inline std::vector<int32_t> randomTargets(uint64_t seed, int64_t rows, int64_t vocab, int ignoreEvery = 0,
                                          int32_t ignore = -100) {
  std::vector<int32_t> t(static_cast<size_t>(rows));
  Rng rng(seed, 0);
  for (int64_t r = 0; r < rows; r++)
    t[size_t(r)] = ignoreEvery > 0 && r % ignoreEvery == 1 ? ignore : int32_t(rng.next() % uint64_t(vocab));
  return t;
}

}  // namespace harness
