// Offsets that cut a flat axis into ragged groups (candidates of a belief, rows of a step, steps
// of a rollout), read once from the caller's buffer. The buffer may be a SharedArrayBuffer that
// another thread writes while a kernel runs: a kernel validates this copy and reads only it, so
// no later change can send it out of bounds.
#pragma once
#include <cstdint>
#include <vector>

#include "spans.h"
#include "status.h"

namespace infogain {

struct Ragged {
  std::vector<int32_t> offsets;  // count + 1 values, validated

  int64_t count() const { return int64_t(offsets.size()) - 1; }
  int64_t begin(int64_t g) const { return offsets[size_t(g)]; }
  int64_t end(int64_t g) const { return offsets[size_t(g + 1)]; }
  int64_t size(int64_t g) const { return end(g) - begin(g); }
};

// Copies count + 1 offsets (count >= 0) and checks them (checkOffsets: 0 first, non-decreasing,
// `items` last). offsets == nullptr stands for the default grouping: one item per group when
// oneEach (count must then equal items), else one group of every item.
inline Status readRagged(const int32_t* offsets, int64_t count, int64_t items, const char* argument, bool oneEach,
                         Ragged* out) {
  if (items > INT32_MAX) return rangeError(codes::kShape, argument, -1, std::string(argument) + ": more than 2^31 - 1 items");
  if (!offsets) {
    out->offsets.clear();
    if (oneEach)
      for (int64_t i = 0; i <= items; i++) out->offsets.push_back(int32_t(i));
    else
      out->offsets = {0, int32_t(items)};
    return Status::Ok();
  }
  if (count < 0) return rangeError(codes::kShape, argument, -1, std::string(argument) + " must hold at least one offset (0)");
  out->offsets.assign(offsets, offsets + count + 1);
  return checkOffsets(out->offsets.data(), count, items, argument);
}

}  // namespace infogain
