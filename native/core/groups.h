// Group ids per sample -> dense group indices, and per-group two-pass moments.
// Shared by every group-normalized estimator (GRPO family, InfoPO, IGPO, ProMed, RLP).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "status.h"

namespace infogain {

// How samples are grouped: an id per sample (any non-negative int32, any order, ragged groups),
// or, when ids is null, consecutive fixed-size groups of groupSize samples.
struct Grouping {
  const int32_t* ids = nullptr;
  int64_t groupSize = 0;
};

struct GroupIndex {
  std::vector<int32_t> ids;      // the distinct group ids, ascending (0..G-1 for fixed-size groups)
  std::vector<int32_t> groupOf;  // per sample: its group's position in `ids`
  int64_t groups() const { return int64_t(ids.size()); }
};

// Validates (ids >= 0; groupSize >= 1 and dividing n; n >= 1) and builds the index.
// `argument` names the ids in errors ("groups").
Status buildGroupIndex(const Grouping& grouping, int64_t n, const char* argument, GroupIndex* out);

// count may be fractional when elements carry weights; mean is NaN for an empty group.
struct Moments {
  double count = 0, mean = 0, m2 = 0;
  double unbiasedStd() const { return std::sqrt(m2 / (count - 1)); }  // NaN for one element
  double populationStd() const { return std::sqrt(m2 / count); }
};

// Two-pass moments (sum, then centered squares: no cancellation) of elements spread over `groups`.
// visit(add) must call add(group, value, weight) for every element, in the same order both times.
template <class Visit>
std::vector<Moments> groupMoments(int64_t groups, const Visit& visit) {
  std::vector<Moments> m(size_t(groups > 0 ? groups : 0));
  visit([&](int64_t g, double x, double w) {
    m[size_t(g)].count += w;
    m[size_t(g)].mean += w * x;
  });
  for (Moments& s : m) s.mean = s.count > 0 ? s.mean / s.count : NAN;
  visit([&](int64_t g, double x, double w) {
    double d = x - m[size_t(g)].mean;
    m[size_t(g)].m2 += w * d * d;
  });
  return m;
}

// Per-group statistics handed back to the caller, aligned with GroupIndex::ids.
struct GroupStats {
  std::vector<float> mean, std;
  std::vector<int32_t> count;
  void resize(int64_t groups) {
    mean.assign(size_t(groups), NAN);
    std.assign(size_t(groups), NAN);
    count.assign(size_t(groups), 0);
  }
};

}  // namespace infogain
