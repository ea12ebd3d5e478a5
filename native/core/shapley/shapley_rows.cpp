#include "shapley_rows.h"

#include "../cpu.h"

namespace infogain {

SemivalueRowFn semivalueRowFn() {
  switch (activeIsa()) {
    case Isa::Avx512: return avx512::semivalueRow;
    case Isa::Avx2: return avx2::semivalueRow;
    default: return scalar::semivalueRow;
  }
}

namespace scalar {
RowDots semivalueRow(const double* x, double shift, const double* wa, const double* wb, double* r, int64_t len) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  int64_t l = 0;
  for (; l + 4 <= len; l += 4) {
    double x0 = x[l] - shift, x1 = x[l + 1] - shift, x2 = x[l + 2] - shift, x3 = x[l + 3] - shift;
    r[l] += x0, r[l + 1] += x1, r[l + 2] += x2, r[l + 3] += x3;
    a0 += wa[l] * x0, a1 += wa[l + 1] * x1, a2 += wa[l + 2] * x2, a3 += wa[l + 3] * x3;
    b0 += wb[l] * x0, b1 += wb[l + 1] * x1, b2 += wb[l + 2] * x2, b3 += wb[l + 3] * x3;
  }
  for (; l < len; l++) {
    double xl = x[l] - shift;
    r[l] += xl;
    a0 += wa[l] * xl;
    b0 += wb[l] * xl;
  }
  return {(a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)};
}
}  // namespace scalar

}  // namespace infogain
