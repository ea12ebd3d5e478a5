// Bit counting for coalition masks (C++17 has no <bit>).
#pragma once
#include <cstdint>

namespace infogain {

static inline int popcount64(uint64_t x) { return __builtin_popcountll(x); }
static inline int popcount32(uint32_t x) { return __builtin_popcount(x); }
static inline int lowestBit(uint64_t x) { return __builtin_ctzll(x); }  // x != 0

// The mask of all n players, 0 <= n <= 32.
static inline uint32_t fullMask(int n) { return n >= 32 ? 0xFFFFFFFFu : (uint32_t(1) << n) - 1u; }

}  // namespace infogain
