#include "token_advantages.h"

#include <cmath>

#include "token_moments.h"

namespace infogain {

// Runs fn(row) for every row, in chunks of about 64K tokens on the thread pool.
template <class Fn>
static void forRows(const TokenLayout& layout, const Fn& fn) {
  forChunks(layout.rows, rowsPerChunk(layout), [&](int64_t, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) fn(r);
  });
}

Status broadcastToTokens(const float* perSample, const TokenLayout& layout, float* out) {
  Status st = checkTokenLayout(layout);
  if (!st.ok()) return st;
  forRows(layout, [&](int64_t r) {
    const float v = perSample[r];
    const int64_t b = layout.begin(r), e = layout.end(r);
    if (!layout.mask) {
      for (int64_t t = b; t < e; t++) out[t] = v;
    } else {
      for (int64_t t = b; t < e; t++) out[t] = layout.mask[t] ? v : 0.0f;
    }
  });
  return Status::Ok();
}

Status reinforcePP(const float* rewards, const TokenLayout& layout, const ReinforcePPOptions& opt, float* advantages,
                   float* returns) {
  if (!(opt.gamma >= 0 && opt.gamma <= 1)) return rangeError(codes::kRange, "gamma", -1, "gamma must be in [0, 1]");
  if (!(opt.whitenEps >= 0) || !std::isfinite(opt.whitenEps))
    return rangeError(codes::kRange, "whitenEps", -1, "whitenEps must be finite and >= 0");
  Status st = checkTokenLayout(layout);
  if (st.ok()) st = checkFiniteTokens(rewards, layout, nullptr, "tokenRewards");
  if (!st.ok()) return st;
  forRows(layout, [&](int64_t r) {
    double running = 0;
    for (int64_t t = layout.end(r) - 1, b = layout.begin(r); t >= b; t--) {
      if (!layout.valid(t)) {
        if (opt.gaps == MaskGaps::Reset) running = 0;
        returns[t] = 0.0f;
        continue;
      }
      running = double(rewards[t]) + opt.gamma * running;
      returns[t] = float(running);
    }
  });
  const Moments m = validTokenMoments(layout, [&](int64_t, int64_t t) { return double(returns[t]); }, everyToken());
  if (m.count < 2)
    return rangeError(codes::kShape, "layout", -1, "reinforcePP whitens over the batch and needs at least 2 valid tokens");
  const double mean = m.mean, scale = 1.0 / std::sqrt(m.m2 / (m.count - 1) + opt.whitenEps);
  forRows(layout, [&](int64_t r) {
    for (int64_t t = layout.begin(r), e = layout.end(r); t < e; t++)
      advantages[t] = layout.valid(t) ? float((double(returns[t]) - mean) * scale) : 0.0f;
  });
  return Status::Ok();
}

Status promedAdvantages(const float* rewards, const TokenLayout& layout, const Grouping& grouping, float* out,
                        GroupIndex* index, GroupStats* stats) {
  Status st = checkTokenLayout(layout);
  if (st.ok()) st = checkFiniteTokens(rewards, layout, nullptr, "rewards");
  if (st.ok()) st = buildGroupIndex(grouping, layout.rows, "groups", index);
  if (!st.ok()) return st;
  const std::vector<Moments> m = groupMoments(index->groups(), [&](auto&& add) {
    for (int64_t r = 0; r < layout.rows; r++)
      for (int64_t t = layout.begin(r), e = layout.end(r); t < e; t++)
        if (layout.valid(t)) add(index->groupOf[size_t(r)], double(rewards[t]), 1.0);
  });
  stats->resize(index->groups());
  for (size_t g = 0; g < m.size(); g++) {
    stats->mean[g] = float(m[g].mean);
    stats->count[g] = int32_t(m[g].count);
  }
  forRows(layout, [&](int64_t r) {
    const double mean = m[size_t(index->groupOf[size_t(r)])].mean;
    for (int64_t t = layout.begin(r), e = layout.end(r); t < e; t++)
      out[t] = layout.valid(t) ? float(double(rewards[t]) - mean) : 0.0f;
  });
  return Status::Ok();
}

}  // namespace infogain
