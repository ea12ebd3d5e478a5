#include "simd/vec_scalar.h"
#include "linear_head_kernel.h"

namespace infogain {
namespace scalar {
// register block: 4 rows x 4 vectors
using Kernel = kernel::Head<VecScalar, 4, 4>;
HeadBlock headBlock() { return Kernel::block(); }
void packHidden(const HiddenView& h, int64_t first, int64_t rows, float* panel) { Kernel::packHidden(h, first, rows, panel); }
void headTask(const HeadTask& task) { Kernel::run(task); }
double fmaChains(int64_t iterations) { return Kernel::fmaChains(iterations); }
}  // namespace scalar
}  // namespace infogain
