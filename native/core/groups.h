// Group ids per sample -> slots of per-group arrays, and per-group moments (Welford).
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

// Per-group arrays are indexed by slot. When the ids are small enough, the slots are the ids
// themselves (no remapping pass; unused ids are empty slots); otherwise (sparse ids, fixed-size
// groups) a per-sample slot array is built here, with the group id of each slot.
struct GroupIndex {
  const int32_t* slotOf = nullptr;  // per sample: its group's slot
  int64_t slots = 0;                // size of per-slot arrays
  std::vector<int32_t> storage;     // slotOf's memory when it is not the caller's ids
  std::vector<int32_t> slotIds;     // group id of each slot; empty when slot == id

  int32_t idOf(int64_t slot) const { return slotIds.empty() ? int32_t(slot) : slotIds[size_t(slot)]; }
};

// Validates (ids >= 0; groupSize >= 1 and dividing n; n >= 1) and builds the index.
// `argument` names the ids in errors ("groups").
Status buildGroupIndex(const Grouping& grouping, int64_t n, const char* argument, GroupIndex* out);

// Per-slot sample counts (one pass over slotOf).
std::vector<int32_t> slotCounts(const GroupIndex& index, int64_t n);

// count may be fractional when elements carry weights; mean is NaN for an empty group.
struct Moments {
  double count = 0, mean = 0, m2 = 0;
  // one weighted Welford update (West 1979); a zero weight adds nothing (and must not divide by a
  // zero count)
  void add(double x, double w = 1.0) {
    if (!(w > 0)) return;
    count += w;
    const double delta = x - mean;
    mean += delta * (w / count);
    m2 += w * delta * (x - mean);
  }
  double unbiasedStd() const { return std::sqrt(m2 / (count - 1)); }  // NaN for one element
  double populationStd() const { return std::sqrt(m2 / count); }
};

// Moments of elements spread over `groups`, in one pass of weighted Welford updates (West 1979):
// no sum-of-squares cancellation, and all-equal values give exactly m2 = 0. One scatter pass over
// the groups instead of two (sum, then centered squares) matters when there are many groups.
// visit(add) must call add(group, value, weight) for every element.
template <class Visit>
std::vector<Moments> groupMoments(int64_t groups, const Visit& visit) {
  std::vector<Moments> m(size_t(groups > 0 ? groups : 0));
  visit([&](int64_t g, double x, double w) { m[size_t(g)].add(x, w); });
  for (Moments& s : m)
    if (!(s.count > 0)) s.mean = NAN;
  return m;
}

// Per-group statistics handed back to the caller: one entry per group that has samples, in
// ascending id order.
struct GroupStats {
  std::vector<int32_t> ids, count;
  std::vector<float> mean, std;
  std::vector<int32_t> slots;  // the slot of each entry

  // Lists the slots with count > 0 (ascending, so ids ascend too) with their ids and counts;
  // mean and std start as NaN.
  template <class Count>
  void collect(const GroupIndex& index, const Count& countOfSlot) {
    slots.reserve(size_t(index.slots));
    ids.reserve(size_t(index.slots));
    count.reserve(size_t(index.slots));
    for (int64_t s = 0; s < index.slots; s++) {
      const double c = countOfSlot(s);
      if (c > 0) {
        slots.push_back(int32_t(s));
        ids.push_back(index.idOf(s));
        count.push_back(int32_t(c));
      }
    }
    mean.assign(slots.size(), NAN);
    std.assign(slots.size(), NAN);
  }
};

}  // namespace infogain
