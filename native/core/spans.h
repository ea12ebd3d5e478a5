// Spans: flattened [start, end) pairs over an axis of `length` items (rows, tokens, steps), and
// the per-span sum / mean every divergence kernel can return next to its per-item values.
#pragma once
#include <cstdint>

#include "status.h"

namespace infogain {

struct Spans {
  const int32_t* data = nullptr;  // [2 * count]: start0, end0, start1, end1, ...
  int64_t count = 0;

  int32_t start(int64_t k) const { return data[2 * k]; }
  int32_t end(int64_t k) const { return data[2 * k + 1]; }
};

enum class Reduce : int32_t { Mean = 0, Sum = 1 };

// Every span lies in [0, length] with start <= end, and no two spans share an item (empty spans
// share none; the order is free). With nonEmpty, start < end too. RangeError naming `argument`
// and the first bad span otherwise.
Status checkSpans(const Spans& spans, int64_t length, const char* argument, bool nonEmpty);

// Offsets that cut `items` consecutive items into groups (rollouts of turns or steps): count + 1
// non-decreasing values from 0 to items. RangeError naming `argument` and the first bad offset.
Status checkOffsets(const int32_t* offsets, int64_t count, int64_t items, const char* argument);

// out[k] = sum or mean of values[start_k, end_k), accumulated in float64. The mean of an empty
// span is NaN (checkSpans with nonEmpty rules that out where it matters).
void reduceSpans(const float* values, const Spans& spans, Reduce reduce, float* out);

}  // namespace infogain
