#include "spans.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace infogain {

Status checkSpans(const Spans& spans, int64_t length, const char* argument, bool nonEmpty) {
  const std::string name(argument);
  for (int64_t k = 0; k < spans.count; k++) {
    const int64_t s = spans.start(k), e = spans.end(k);
    if (s < 0 || e > length || s > e)
      return rangeError(codes::kRange, argument, k,
                        name + " span " + std::to_string(k) + " = [" + std::to_string(s) + ", " + std::to_string(e) +
                            ") is not inside [0, " + std::to_string(length) + "] with start <= end");
    if (nonEmpty && s == e)
      return rangeError(codes::kRange, argument, k, name + " span " + std::to_string(k) + " is empty");
  }
  // overlap: sort the non-empty spans by start; each must begin at or after the previous end
  std::vector<int64_t> order;
  order.reserve(size_t(spans.count));
  for (int64_t k = 0; k < spans.count; k++)
    if (spans.start(k) < spans.end(k)) order.push_back(k);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return spans.start(a) != spans.start(b) ? spans.start(a) < spans.start(b) : a < b;
  });
  for (size_t i = 1; i < order.size(); i++) {
    const int64_t prev = order[i - 1], cur = order[i];
    if (spans.start(cur) < spans.end(prev)) {
      const int64_t later = std::max(prev, cur), earlier = std::min(prev, cur);
      return rangeError(codes::kRange, argument, later,
                        name + " span " + std::to_string(later) + " overlaps span " + std::to_string(earlier));
    }
  }
  return Status::Ok();
}

Status checkOffsets(const int32_t* offsets, int64_t count, int64_t items, const char* argument) {
  const std::string name(argument);
  if (count < 0) return rangeError(codes::kRange, argument, -1, name + ": the group count must be >= 0");
  if (offsets[0] != 0)
    return rangeError(codes::kRange, argument, 0, name + "[0] = " + std::to_string(offsets[0]) + " must be 0");
  for (int64_t k = 1; k <= count; k++)
    if (offsets[k] < offsets[k - 1])
      return rangeError(codes::kRange, argument, k, name + "[" + std::to_string(k) + "] = " + std::to_string(offsets[k]) +
                                                        " is below the offset before it");
  if (offsets[count] != items)
    return rangeError(codes::kShape, argument, count,
                      name + "[" + std::to_string(count) + "] = " + std::to_string(offsets[count]) + " must equal " +
                          std::to_string(items) + ", the number of items grouped");
  return Status::Ok();
}

void reduceSpans(const float* values, const Spans& spans, Reduce reduce, float* out) {
  for (int64_t k = 0; k < spans.count; k++) {
    const int64_t s = spans.start(k), e = spans.end(k);
    double sum = 0.0;
    for (int64_t i = s; i < e; i++) sum += values[i];
    out[k] = float(reduce == Reduce::Sum ? sum : (e > s ? sum / double(e - s) : NAN));
  }
}

}  // namespace infogain
