// softmaxStats: the entry point declared in softmax_stats.h, dispatching to the active ISA's loop.
#include "softmax_stats.h"

#include "cpu.h"

namespace infogain {

SoftmaxStats softmaxStats(const void* row, DType dtype, int64_t begin, int64_t end, float invTemperature) {
  switch (activeIsa()) {
    case Isa::Avx512: return avx512::softmaxStats(row, dtype, begin, end, invTemperature);
    case Isa::Avx2: return avx2::softmaxStats(row, dtype, begin, end, invTemperature);
    default: return scalar::softmaxStats(row, dtype, begin, end, invTemperature);
  }
}

}  // namespace infogain
