// The exact semivalue transform, O(n 2^n) with one read of the table.
// The table is viewed as 2^H rows of 2^L values (mask = high bits << L | low bits). For a row whose
// high part h has p players, every weight depends on p and the low part only, so:
//  - a high player j gets, from row h, +sum_l w(p-1+|l|) v[h,l] if j in h, -sum_l w(p+|l|) v[h,l] if not:
//    two dot products per row against tables that depend on p only;
//  - a low player gets sum over rows of a signed weighted sum that depends on (p, l) only, so the rows
//    are first summed per p (R[p][l]) and the low players are computed once from R.
// Values are taken relative to v(empty set), which leaves every semivalue unchanged (the weights of
// one player sum to zero over the lattice) and keeps large offsets (log-probs near -50) from
// costing precision.
#include <cmath>
#include <string>
#include <vector>

#include "bits.h"
#include "../parallel.h"
#include "shapley.h"
#include "shapley_rows.h"

namespace infogain {

std::vector<double> semivalueWeights(int n, ShapleyIndex index) {
  std::vector<double> w(size_t(n > 0 ? n : 0));
  if (n <= 0) return w;
  if (index == ShapleyIndex::Banzhaf) {
    double b = std::ldexp(1.0, -(n - 1));
    for (auto& x : w) x = b;
    return w;
  }
  // w(s) = s! (n-1-s)! / n!, built from both ends toward the middle so the two halves are mirror images
  w[0] = 1.0 / n;
  for (int s = 0; s + 1 < n; s++) w[size_t(s + 1)] = w[size_t(s)] * double(s + 1) / double(n - 1 - s);
  for (int s = 0; s < n / 2; s++) w[size_t(n - 1 - s)] = w[size_t(s)];
  return w;
}

Status checkShapleyExact(int64_t length, int* n) {
  if (length < 1 || (length & (length - 1)) != 0)
    return rangeError(codes::kShape, "values", -1,
                      "values has " + std::to_string(length) + " elements: expected 2^n (one value per coalition)");
  int k = lowestBit(uint64_t(length));
  if (k > kMaxExactPlayers)
    return rangeError(codes::kRange, "values", -1,
                      "values has 2^" + std::to_string(k) + " elements: exact values are limited to n <= " +
                          std::to_string(kMaxExactPlayers) + " players");
  *n = k;
  return Status::Ok();
}

int64_t firstNonFinite(const double* values, int64_t length) {
  for (int64_t i = 0; i < length; i++)
    if (!std::isfinite(values[i])) return i;
  return -1;
}

Status nonFiniteValueError(const char* argument, const double* values, int64_t length) {
  int64_t bad = firstNonFinite(values, length);
  if (bad < 0)
    return rangeError(codes::kNonFinite, argument, -1,
                      std::string(argument) + ": the values are too large, the result overflows float64");
  double x = values[bad];
  return rangeError(codes::kNonFinite, argument, bad,
                    std::string(argument) + "[" + std::to_string(bad) + "] is " +
                        (std::isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity"));
}

namespace {

struct RowLayout {
  int n, L, H;
  int64_t rows, rowLen;
  explicit RowLayout(int players) : n(players) {
    // 2^8 values (2 KiB) per row: the row, its R row and its two weight rows stay in L1 (2^10 measured
    // 2.3-2.6x one read of the table against 1.9x, C++ harness, threads 1 and 2)
    L = n < 8 ? n : 8;
    H = n - L;
    rows = int64_t(1) << H;
    rowLen = int64_t(1) << L;
  }
};

// Sum of t[k] over the k (below t's power-of-two size) with bit j set.
double sumWithBit(const std::vector<double>& t, int j) {
  double s = 0;
  for (size_t k = 0; k < t.size(); k++) s += (k >> j) & 1 ? t[k] : 0.0;
  return s;
}

// One task's share of rows [begin, end), a power of two of them starting at a multiple of their
// count: adds its contribution to phi (length n).
void exactRows(const RowLayout& g, const double* values, double shift, const std::vector<double>& w,
               const std::vector<double>& highWeights, int64_t begin, int64_t end, double* phi) {
  const int64_t len = g.rowLen;
  std::vector<double> R(size_t((g.H + 1) * len), 0.0);
  auto weightRow = [&](int q) { return highWeights.data() + (q + 1) * len; };  // q in [-1, H]
  const SemivalueRowFn row = semivalueRowFn();  // AVX-512 / AVX2 / scalar, chosen at run time
  // High player j gets +a from the rows h with bit j set and -b from the others, i.e.
  //   (the sum of c = a + b over the rows with bit j set) - (the sum of every b).
  // With h = begin + (hi << lo) + low, the first sum comes from c summed per low (lowSums) and per
  // hi (highSums) for the bits that vary in this task, and from the total for the bits that do not:
  // three adds per row, where adding to phi per row and player was 7% of shapleyExact at n = 25.
  const int bits = lowestBit(uint64_t(end - begin)), lo = bits < 8 ? bits : 8;
  std::vector<double> lowSums(size_t(1) << lo, 0.0), highSums(size_t(1) << (bits - lo), 0.0);
  double sumB = 0;
  for (int64_t h = begin; h < end; h++) {
    const int p = popcount64(uint64_t(h));
    const double* x = values + h * len;
    const double* wa = weightRow(p - 1);
    const double* wb = weightRow(p);
    double* r = R.data() + p * len;
    const RowDots d = row(x, shift, wa, wb, r, len);
    const int64_t i = h - begin;
    lowSums[size_t(i & ((int64_t(1) << lo) - 1))] += d.a + d.b;
    highSums[size_t(i >> lo)] += d.a + d.b;
    sumB += d.b;
  }
  double sumC = 0;
  for (double c : highSums) sumC += c;
  for (int j = 0; j < g.H; j++) {
    const double withBit = j < lo ? sumWithBit(lowSums, j) : j < bits ? sumWithBit(highSums, j - lo)
                                                                       : (begin >> j) & 1 ? sumC : 0.0;
    phi[g.L + j] += withBit - sumB;
  }
  // low players from the per-popcount row sums
  auto wAt = [&](int s) { return s >= 0 && s < g.n ? w[size_t(s)] : 0.0; };
  for (int p = 0; p <= g.H; p++) {
    const double* r = R.data() + p * len;
    for (int64_t l = 0; l < len; l++) {
      if (r[l] == 0.0) continue;
      const int s = p + popcount64(uint64_t(l));
      const double plus = wAt(s - 1) * r[l], minus = wAt(s) * r[l];
      for (int i = 0; i < g.L; i++) phi[i] += (l >> i) & 1 ? plus : -minus;
    }
  }
}

}  // namespace

Status shapleyExact(const double* values, int64_t length, ShapleyIndex index, double* phi) {
  int n = 0;
  Status st = checkShapleyExact(length, &n);
  if (!st.ok()) return st;
  if (n == 0) return Status::Ok();
  const RowLayout g(n);
  const std::vector<double> w = semivalueWeights(n, index);
  // highWeights[q + 1][l] = w(q + |l|) for q in [0, H - 1]; rows q = -1 and q = H are zero
  std::vector<double> highWeights(size_t((g.H + 2) * g.rowLen), 0.0);
  for (int q = 0; q < g.H; q++)
    for (int64_t l = 0; l < g.rowLen; l++)
      highWeights[size_t((q + 1) * g.rowLen + l)] = w[size_t(q + popcount64(uint64_t(l)))];

  // A fixed task count (not the thread count) so the summation order, and the result, never vary.
  const int64_t tasks = g.rows >= 64 && length >= (int64_t(1) << 16) ? 64 : 1;
  std::vector<double> partial(size_t(tasks * n), 0.0);
  const double shift = values[0];
  parallelFor(tasks, [&](int64_t t) {
    int64_t begin = g.rows * t / tasks, end = g.rows * (t + 1) / tasks;
    exactRows(g, values, shift, w, highWeights, begin, end, partial.data() + t * n);
  });
  bool finite = true;
  for (int i = 0; i < n; i++) {
    double sum = 0;
    for (int64_t t = 0; t < tasks; t++) sum += partial[size_t(t * n + i)];
    phi[i] = sum;
    finite = finite && std::isfinite(sum);
  }
  // every value has a non-zero weight for every player, so a NaN or infinity anywhere shows here
  if (!finite) return nonFiniteValueError("values", values, length);
  return Status::Ok();
}

}  // namespace infogain
