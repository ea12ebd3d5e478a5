// Exact Shapley and Banzhaf values of a game given as a dense table v[mask], mask over n players
// (bit i = player i). Both are semivalues: phi_i = sum over S without i of w(|S|) * (v(S+i) - v(S)),
// with w(s) = 1 / (n * C(n-1, s)) for Shapley and 2^-(n-1) for Banzhaf.
#pragma once
#include <cstdint>
#include <vector>

#include "../status.h"

namespace infogain {

enum class ShapleyIndex : int32_t { Shapley = 0, Banzhaf = 1 };

// The largest table shapleyExact accepts: 2^25 values (256 MiB of float64).
constexpr int kMaxExactPlayers = 25;

// w(0..n-1): the weight of one marginal contribution to a coalition of size s.
// Shapley weights by the product recurrence w(s+1) = w(s) (s+1) / (n-1-s), exact to a few ulp.
std::vector<double> semivalueWeights(int n, ShapleyIndex index);

// n from the table length (a power of two, 2^0 .. 2^25); RangeError otherwise.
Status checkShapleyExact(int64_t length, int* n);

// phi[0..n) from values[0..2^n). Threads; the result does not depend on the thread count.
// NaN or +-Infinity in the table is a RangeError naming its first index.
Status shapleyExact(const double* values, int64_t length, ShapleyIndex index, double* phi);

// The first index holding NaN or +-Infinity, or -1 (for error reports after a non-finite result).
int64_t firstNonFinite(const double* values, int64_t length);
Status nonFiniteValueError(const char* argument, const double* values, int64_t length);

}  // namespace infogain
