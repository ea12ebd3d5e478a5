// The memory-bandwidth floor for the benchmarks: one read of a buffer by every thread.
// Several read strategies (load width, split, prefetch); a floor is the fastest of them, so a
// kernel can never honestly beat it (bench/lib/harness.js readFloor takes the max).
#pragma once
#include <cstdint>

namespace infogain {

// Read strategies this CPU can run (those needing a wider ISA than detectedIsa() are left out).
int readStrategyCount();
const char* readStrategyName(int strategy);

// Reads every byte of [data, data + bytes) once with `strategy` (0 <= strategy < readStrategyCount()),
// split across the thread pool; returns a checksum so the compiler cannot drop the loads.
uint64_t readPass(const void* data, int64_t bytes, int strategy = 0);

// One thread's xor of [p, p + n), per ISA (bandwidth_{avx2,avx512}.cpp); prefetch: software
// prefetch 1 KiB ahead.
namespace avx2 { uint64_t xorRange(const unsigned char* p, int64_t n, bool prefetch); }
namespace avx512 { uint64_t xorRange(const unsigned char* p, int64_t n, bool prefetch); }

}  // namespace infogain
