// The inner loop of the exact semivalue transform (shapley_exact.cpp), one row of 2^L values:
//   r[l] += x[l] - shift;  a = sum wa[l] (x[l] - shift);  b = sum wb[l] (x[l] - shift)
// Per ISA (shapley_rows{,_avx2,_avx512}.cpp): the core is built for baseline x86-64, where this
// loop is scalar addsd chains; with 256/512-bit loads and FMAs it runs at the table's read speed.
#pragma once
#include <cstdint>

namespace infogain {

struct RowDots {
  double a, b;
};

using SemivalueRowFn = RowDots (*)(const double* x, double shift, const double* wa, const double* wb, double* r,
                                   int64_t len);

// The active ISA's loop (cpu.h).
SemivalueRowFn semivalueRowFn();

namespace scalar { RowDots semivalueRow(const double*, double, const double*, const double*, double*, int64_t); }
namespace avx2 { RowDots semivalueRow(const double*, double, const double*, const double*, double*, int64_t); }
namespace avx512 { RowDots semivalueRow(const double*, double, const double*, const double*, double*, int64_t); }

}  // namespace infogain
