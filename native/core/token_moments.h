// Batch-wide moments over the valid tokens of a layout, chunked by rows so the sums are reproducible
// whatever the thread count (see chunks.h).
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

// Two-pass count, mean and centered sum of squares of value(row, token) over valid tokens
// (and only where include(row, token) holds).
template <class Value, class Include>
Moments validTokenMoments(const TokenLayout& layout, const Value& value, const Include& include) {
  const int64_t chunk = rowsPerChunk(layout);
  std::vector<Moments> part(size_t(chunkCount(layout.rows, chunk)));
  forChunks(layout.rows, chunk, [&](int64_t c, int64_t r0, int64_t r1) {
    double count = 0, sum = 0;
    for (int64_t r = r0; r < r1; r++)
      for (int64_t t = layout.begin(r), e = layout.end(r); t < e; t++)
        if (layout.valid(t) && include(r, t)) {
          count += 1;
          sum += value(r, t);
        }
    part[size_t(c)] = {count, sum, 0};
  });
  Moments m;
  for (const Moments& p : part) {
    m.count += p.count;
    m.mean += p.mean;
  }
  m.mean = m.count > 0 ? m.mean / m.count : NAN;
  forChunks(layout.rows, chunk, [&](int64_t c, int64_t r0, int64_t r1) {
    double m2 = 0;
    for (int64_t r = r0; r < r1; r++)
      for (int64_t t = layout.begin(r), e = layout.end(r); t < e; t++)
        if (layout.valid(t) && include(r, t)) {
          double d = value(r, t) - m.mean;
          m2 += d * d;
        }
    part[size_t(c)].m2 = m2;
  });
  for (const Moments& p : part) m.m2 += p.m2;
  return m;
}

inline auto everyToken() {
  return [](int64_t, int64_t) { return true; };
}

}  // namespace infogain
