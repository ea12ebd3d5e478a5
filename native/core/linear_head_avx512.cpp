// GCC 12 flags the self-initialized _mm512_undefined_ps() inside its own max intrinsic once
// addBlockKL is inlined here: a false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "simd/vec_avx512.h"
#include "linear_head_kernel.h"

namespace infogain {
namespace avx512 {
// register block: 12 rows x 2 vectors
using Kernel = kernel::Head<VecAvx512, 12, 2>;
HeadBlock headBlock() { return Kernel::block(); }
void packHidden(const HiddenView& h, int64_t first, int64_t rows, float* panel) { Kernel::packHidden(h, first, rows, panel); }
void headTask(const HeadTask& task) { Kernel::run(task); }
double fmaChains(int64_t iterations) { return Kernel::fmaChains(iterations); }
}  // namespace avx512
}  // namespace infogain
