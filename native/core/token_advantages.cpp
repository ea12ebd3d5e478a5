#include "token_advantages.h"

#include <algorithm>
#include <cmath>

#include "token_moments.h"

namespace infogain {

// Per row: valid tokens, the sum of their returns, and the first non-finite reward among them.
struct RowSums {
  std::vector<double> count, sum;
  std::vector<int64_t> firstBad;  // INT64_MAX when none
};

// Discounted returns of rows [r0, r1), up to 8 rows at a time (each row's backward recurrence
// waits on its previous step, so interleaving rows keeps the FPU busy), with their RowSums.
static void discountedReturns(const float* rewards, const TokenLayout& L, int64_t r0, int64_t r1,
                              const ReinforcePPOptions& opt, float* returns, bool outZeroed, RowSums* sums) {
  for (int64_t base = r0; base < r1; base += 8) {
    const int rows = int(r1 - base < 8 ? r1 - base : 8);
    double running[8] = {0}, count[8] = {0}, sum[8] = {0};
    int64_t begin[8], end[8], bad[8], longest = 0;
    for (int k = 0; k < rows; k++) {
      begin[k] = L.begin(base + k);
      end[k] = L.end(base + k);
      bad[k] = INT64_MAX;
      longest = std::max(longest, end[k] - begin[k]);
    }
    for (int64_t j = 1; j <= longest; j++)  // the j-th token from each row's end
      for (int k = 0; k < rows; k++) {
        const int64_t t = end[k] - j;
        if (t < begin[k]) continue;
        if (!L.valid(t)) {
          if (opt.gaps == MaskGaps::Reset) running[k] = 0;
          if (!outZeroed) returns[t] = 0.0f;
          continue;
        }
        const float r = rewards[t];
        if (!std::isfinite(r)) bad[k] = t;  // scanning backwards: the last one found is the first
        running[k] = double(r) + opt.gamma * running[k];
        const float g = float(running[k]);
        returns[t] = g;
        count[k] += 1;
        sum[k] += double(g);
      }
    for (int k = 0; k < rows; k++) {
      sums->count[size_t(base + k)] = count[k];
      sums->sum[size_t(base + k)] = sum[k];
      sums->firstBad[size_t(base + k)] = bad[k];
    }
  }
}

Status broadcastToTokens(const float* perSample, const TokenLayout& layout, float* out, bool outZeroed) {
  Status st = checkTokenLayout(layout);
  if (!st.ok()) return st;
  forRows(layout, [&](int64_t r) {
    const float v = perSample[r];
    const int64_t b = layout.begin(r), e = layout.end(r);
    if (!layout.mask) {
      for (int64_t t = b; t < e; t++) out[t] = v;
    } else if (outZeroed) {
      for (int64_t t = b; t < e; t++)
        if (layout.mask[t]) out[t] = v;
    } else {
      for (int64_t t = b; t < e; t++) out[t] = layout.mask[t] ? v : 0.0f;
    }
  });
  return Status::Ok();
}

Status reinforcePP(const float* rewards, const TokenLayout& layout, const ReinforcePPOptions& opt, float* advantages,
                   float* returns, bool outZeroed) {
  if (!(opt.gamma >= 0 && opt.gamma <= 1)) return rangeError(codes::kRange, "gamma", -1, "gamma must be in [0, 1]");
  if (!(opt.whitenEps >= 0) || !std::isfinite(opt.whitenEps))
    return rangeError(codes::kRange, "whitenEps", -1, "whitenEps must be finite and >= 0");
  Status st = checkTokenLayout(layout);
  if (!st.ok()) return st;
  RowSums sums{std::vector<double>(size_t(layout.rows)), std::vector<double>(size_t(layout.rows)),
               std::vector<int64_t>(size_t(layout.rows))};
  forChunks(layout.rows, rowsPerChunk(layout), [&](int64_t, int64_t r0, int64_t r1) {
    discountedReturns(rewards, layout, r0, r1, opt, returns, outZeroed, &sums);
  });
  Moments m;
  for (int64_t r = 0; r < layout.rows; r++) {
    if (sums.firstBad[size_t(r)] != INT64_MAX) return checkFiniteTokens(rewards, layout, nullptr, "tokenRewards");
    m.count += sums.count[size_t(r)];
    m.mean += sums.sum[size_t(r)];
  }
  if (m.count < 2)
    return rangeError(codes::kShape, "layout", -1, "reinforcePP whitens over the batch and needs at least 2 valid tokens");
  m.mean /= m.count;
  forRows(layout, [&](int64_t r) {
    sums.sum[size_t(r)] = squaresRange(layout.begin(r), layout.end(r), [&](int64_t t) { return layout.valid(t); },
                                       [&](int64_t t) { return double(returns[t]); }, m.mean);
  });
  for (int64_t r = 0; r < layout.rows; r++) m.m2 += sums.sum[size_t(r)];
  const double mean = m.mean, scale = 1.0 / std::sqrt(m.m2 / (m.count - 1) + opt.whitenEps);
  forRows(layout, [&](int64_t r) {
    for (int64_t t = layout.begin(r), e = layout.end(r); t < e; t++)
      if (layout.valid(t))
        advantages[t] = float((double(returns[t]) - mean) * scale);
      else if (!outZeroed)
        advantages[t] = 0.0f;
  });
  return Status::Ok();
}

Status promedAdvantages(const float* rewards, const TokenLayout& layout, const Grouping& grouping, float* out,
                        GroupStats* stats) {
  GroupIndex index;
  Status st = checkTokenLayout(layout);
  if (st.ok()) st = checkFiniteTokens(rewards, layout, nullptr, "rewards");
  if (st.ok()) st = buildGroupIndex(grouping, layout.rows, "groups", &index);
  if (!st.ok()) return st;
  const std::vector<Moments> m = rowMoments(
      layout, index.slots, [&](int64_t r) { return index.slotOf[r]; }, [](int64_t, int64_t) { return true; },
      [&](int64_t, int64_t t) { return double(rewards[t]); });
  const std::vector<int32_t> rows = slotCounts(index, layout.rows);
  stats->collect(index, [&](int64_t s) { return rows[size_t(s)]; });
  for (size_t k = 0; k < stats->slots.size(); k++) {
    stats->mean[k] = float(m[size_t(stats->slots[k])].mean);
    stats->count[k] = int32_t(m[size_t(stats->slots[k])].count);  // tokens
  }
  forRows(layout, [&](int64_t r) {
    const double mean = m[size_t(index.slotOf[r])].mean;
    for (int64_t t = layout.begin(r), e = layout.end(r); t < e; t++)
      out[t] = layout.valid(t) ? float(double(rewards[t]) - mean) : 0.0f;
  });
  return Status::Ok();
}

}  // namespace infogain
