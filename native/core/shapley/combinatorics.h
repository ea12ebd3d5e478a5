// Coalitions of a given size: counting, drawing one uniformly, listing all, shuffling.
#pragma once
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "xoshiro.h"

namespace infogain {

// C(n, k) as a double (exact while it fits in 53 bits: all n <= 32)
static inline double binomial(int n, int k) {
  if (k < 0 || k > n) return 0;
  double c = 1;
  for (int j = 1; j <= k; j++) c = c * double(n - k + j) / double(j);
  return std::round(c);
}

// A uniformly random subset of `size` of the bits 0..bits-1 (Floyd's algorithm: `size` draws).
static inline uint32_t randomSubset(Xoshiro256& rng, int bits, int size) {
  uint32_t s = 0;
  for (int j = bits - size; j < bits; j++) {
    const uint32_t t = uint32_t(rng.below(uint64_t(j) + 1));
    s |= (s >> t) & 1 ? uint32_t(1) << j : uint32_t(1) << t;
  }
  return s;
}

// Every subset of `size` of the bits 0..bits-1, in increasing order (Gosper's hack).
static inline void subsetsOfSize(int bits, int size, std::vector<uint32_t>* out) {
  if (size == 0) {
    out->push_back(0);
    return;
  }
  const uint64_t limit = uint64_t(1) << bits;
  for (uint64_t c = (uint64_t(1) << size) - 1; c < limit;) {
    out->push_back(uint32_t(c));
    const uint64_t low = c & (~c + 1), ripple = c + low;
    c = (((ripple ^ c) >> 2) / low) | ripple;
  }
}

template <class T>
static inline void shuffle(std::vector<T>* v, Xoshiro256& rng) {
  for (size_t i = v->size(); i > 1; i--) std::swap((*v)[i - 1], (*v)[rng.below(i)]);
}

}  // namespace infogain
