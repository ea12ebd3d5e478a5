// The memory-bandwidth floor for the benchmarks: one read of a buffer by every thread.
#pragma once
#include <cstdint>

namespace infogain {

// Reads every byte of [data, data + bytes) once, split across the thread pool; returns a
// checksum so the compiler cannot drop the loads.
uint64_t readPass(const void* data, int64_t bytes);

}  // namespace infogain
