#include "simd/vec_avx2.h"
#include "linear_head_kernel.h"

namespace infogain {
namespace avx2 {
// register block: 6 rows x 2 vectors
using Kernel = kernel::Head<VecAvx2, 6, 2>;
HeadBlock headBlock() { return Kernel::block(); }
void packHidden(const HiddenView& h, int64_t first, int64_t rows, float* panel) { Kernel::packHidden(h, first, rows, panel); }
void headTask(const HeadTask& task) { Kernel::run(task); }
double fmaChains(int64_t iterations) { return Kernel::fmaChains(iterations); }
}  // namespace avx2
}  // namespace infogain
