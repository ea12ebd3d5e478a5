// Moments over the valid tokens of a layout, per group of rows or batch-wide. Each row is reduced
// with four independent accumulators (one add chain would make every token wait on the previous
// add), rows are reduced in parallel, and the row partials are added in row order: the same bits
// whatever the thread count.
#pragma once
#include <vector>

#include "chunks.h"
#include "groups.h"
#include "token_layout.h"

namespace infogain {

// Rows per chunk so that a chunk holds about 64K tokens.
inline int64_t rowsPerChunk(const TokenLayout& layout) {
  const int64_t perRow = layout.tokens() / layout.rows + 1;
  return (int64_t(1) << 16) / perRow + 1;
}

// Runs fn(row) for every row, in chunks of about 64K tokens on the thread pool.
template <class Fn>
void forRows(const TokenLayout& layout, const Fn& fn) {
  forChunks(layout.rows, rowsPerChunk(layout), [&](int64_t, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) fn(r);
  });
}

// Over t in [b, e) where keep(t): count, sum of value(t), or sum of (value(t) - center)^2.
template <class Keep, class Value>
void sumRange(int64_t b, int64_t e, const Keep& keep, const Value& value, double* count, double* sum) {
  double c[4] = {0, 0, 0, 0}, s[4] = {0, 0, 0, 0};
  int64_t t = b;
  for (; t + 4 <= e; t += 4)
    for (int k = 0; k < 4; k++)
      if (keep(t + k)) {
        c[k] += 1;
        s[k] += value(t + k);
      }
  for (; t < e; t++)
    if (keep(t)) {
      c[0] += 1;
      s[0] += value(t);
    }
  *count = (c[0] + c[1]) + (c[2] + c[3]);
  *sum = (s[0] + s[1]) + (s[2] + s[3]);
}

template <class Keep, class Value>
double squaresRange(int64_t b, int64_t e, const Keep& keep, const Value& value, double center) {
  double count;
  double sum;
  sumRange(b, e, keep, [&](int64_t t) { const double d = value(t) - center; return d * d; }, &count, &sum);
  return sum;
}

// Two-pass moments of value(row, t) over the tokens where layout.valid(t) && keep(row, t), one
// set per slot, rows assigned by slotOfRow(row).
template <class SlotOf, class Keep, class Value>
std::vector<Moments> rowMoments(const TokenLayout& L, int64_t slots, const SlotOf& slotOfRow, const Keep& keep,
                                const Value& value) {
  std::vector<Moments> m(static_cast<size_t>(slots));
  std::vector<double> count(size_t(L.rows)), sum(size_t(L.rows));
  forRows(L, [&](int64_t r) {
    sumRange(L.begin(r), L.end(r), [&](int64_t t) { return L.valid(t) && keep(r, t); },
             [&](int64_t t) { return value(r, t); }, &count[size_t(r)], &sum[size_t(r)]);
  });
  for (int64_t r = 0; r < L.rows; r++) {
    Moments& g = m[size_t(slotOfRow(r))];
    g.count += count[size_t(r)];
    g.mean += sum[size_t(r)];
  }
  for (Moments& g : m) g.mean = g.count > 0 ? g.mean / g.count : NAN;
  forRows(L, [&](int64_t r) {
    sum[size_t(r)] = squaresRange(L.begin(r), L.end(r), [&](int64_t t) { return L.valid(t) && keep(r, t); },
                                  [&](int64_t t) { return value(r, t); }, m[size_t(slotOfRow(r))].mean);
  });
  for (int64_t r = 0; r < L.rows; r++) m[size_t(slotOfRow(r))].m2 += sum[size_t(r)];
  return m;
}

// Batch-wide moments of value(row, t) over every valid token.
template <class Value>
Moments validTokenMoments(const TokenLayout& L, const Value& value) {
  return rowMoments(L, 1, [](int64_t) { return 0; }, [](int64_t, int64_t) { return true; }, value)[0];
}

}  // namespace infogain
