// softmaxStats: the entry point declared in softmax_stats.h, dispatching to the active ISA's loop.
#include "softmax_stats.h"

#include <atomic>

#include "cpu.h"

namespace infogain {

static std::atomic<int> g_float32OneSweep{-1};

bool float32OneSweep() {
  const int mode = g_float32OneSweep.load(std::memory_order_relaxed);
  return mode < 0 ? cpuIsAmd() : mode == 1;
}

void setFloat32OneSweep(int mode) { g_float32OneSweep.store(mode < 0 ? -1 : mode == 0 ? 0 : 1); }

SoftmaxStats softmaxStats(const void* row, DType dtype, int64_t begin, int64_t end, float invTemperature) {
  switch (activeIsa()) {
    case Isa::Avx512: return avx512::softmaxStats(row, dtype, begin, end, invTemperature);
    case Isa::Avx2: return avx2::softmaxStats(row, dtype, begin, end, invTemperature);
    default: return scalar::softmaxStats(row, dtype, begin, end, invTemperature);
  }
}

}  // namespace infogain
