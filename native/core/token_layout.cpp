#include "token_layout.h"

#include <cmath>
#include <string>

namespace infogain {

static std::string at(const char* argument, int64_t i) { return std::string(argument) + "[" + std::to_string(i) + "]"; }

Status checkTokenLayout(const TokenLayout& layout) {
  if (layout.rows < 1) return rangeError(codes::kShape, "layout", -1, "the layout has no rows");
  if (layout.offsets) {
    Status st = checkOffsets(layout.offsets, layout.rows, layout.offsets[layout.rows], "layout.offsets");
    if (!st.ok()) return st;
  } else if (layout.columns < 1) {
    return rangeError(codes::kRange, "layout.columns", -1, "layout.columns must be an integer >= 1");
  }
  if (!layout.mask) return Status::Ok();
  const int64_t n = layout.tokens();
  uint8_t high = 0;  // any bit above the lowest, in any byte: branch-free, so it vectorizes
  for (int64_t t = 0; t < n; t++) high |= layout.mask[t] & 0xfe;
  if (high)
    for (int64_t t = 0; t < n; t++)
      if (layout.mask[t] > 1)
        return rangeError(codes::kRange, "layout.mask", t,
                          at("layout.mask", t) + " = " + std::to_string(layout.mask[t]) + " is not 0 or 1");
  return Status::Ok();
}

static Status nonFinite(const char* argument, int64_t i, float v) {
  return rangeError(codes::kNonFinite, argument, i,
                    at(argument, i) + " is " + (std::isnan(v) ? "NaN" : v > 0 ? "+Infinity" : "-Infinity"));
}

Status checkFinite(const float* values, int64_t n, const char* argument) {
  // branch-free blocks (they vectorize); the element loop only runs on a block holding a bad value
  constexpr int64_t kBlock = 1024;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = b + kBlock < n ? b + kBlock : n;
    bool bad = false;
    for (int64_t i = b; i < e; i++) bad |= !(std::fabs(values[i]) <= 3.4028234663852886e38f);
    if (bad)
      for (int64_t i = b; i < e; i++)
        if (!std::isfinite(values[i])) return nonFinite(argument, i, values[i]);
  }
  return Status::Ok();
}

Status checkFiniteTokens(const float* values, const TokenLayout& layout, const uint8_t* present, const char* argument) {
  auto counts = [&](int64_t t) { return layout.valid(t) && (!present || present[t]); };
  constexpr int64_t kBlock = 1024;
  for (int64_t b = 0, n = layout.tokens(); b < n; b += kBlock) {
    const int64_t e = b + kBlock < n ? b + kBlock : n;
    bool bad = false;  // branch-free first; the culprit is looked for only in a bad block
    for (int64_t t = b; t < e; t++) bad |= counts(t) & !(std::fabs(values[t]) <= 3.4028234663852886e38f);
    if (bad)
      for (int64_t t = b; t < e; t++)
        if (counts(t) && !std::isfinite(values[t])) return nonFinite(argument, t, values[t]);
  }
  return Status::Ok();
}

}  // namespace infogain
