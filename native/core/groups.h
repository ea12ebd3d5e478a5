// Group ids per sample -> slots of per-group arrays, and per-group moments (Welford).
// Shared by every group-normalized estimator (GRPO family, InfoPO, IGPO, ProMed, RLP).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "chunks.h"
#include "shelf.h"
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
// ascending id order. The arrays go back on a shelf (shelf.h) when it is destroyed, and collect()
// takes them from there.
struct GroupStats {
  std::vector<int32_t> ids, count;
  std::vector<float> mean, std;
  std::vector<int32_t> slots;  // the slot of each entry

  GroupStats() = default;
  GroupStats(const GroupStats&) = default;
  GroupStats(GroupStats&&) = default;
  GroupStats& operator=(const GroupStats&) = default;
  GroupStats& operator=(GroupStats&&) = default;
  ~GroupStats() {
    for (std::vector<int32_t>* v : {&ids, &count, &slots}) Shelf<int32_t>::give(std::move(*v));
    for (std::vector<float>* v : {&mean, &std}) Shelf<float>::give(std::move(*v));
  }

  // Lists the slots with count > 0 (ascending, so ids ascend too) with their ids and counts;
  // mean and std start as NaN. Two passes in chunks on the pool (count, then fill at each chunk's
  // offset): one serial pass with push_back was 7% of groupAdvantages on 1M scores in 123K groups.
  template <class Count>
  void collect(const GroupIndex& index, const Count& countOfSlot) {
    constexpr int64_t kChunk = 1 << 14;
    std::vector<int64_t> first(size_t(chunkCount(index.slots, kChunk)) + 1, 0);
    forChunks(index.slots, kChunk, [&](int64_t c, int64_t begin, int64_t end) {
      int64_t k = 0;
      for (int64_t s = begin; s < end; s++) k += countOfSlot(s) > 0;
      first[size_t(c) + 1] = k;
    });
    for (size_t c = 1; c < first.size(); c++) first[c] += first[c - 1];
    const size_t total = size_t(first.back());
    for (std::vector<int32_t>* v : {&slots, &ids, &count})
      if (v->capacity() < total) *v = Shelf<int32_t>::take();
    for (std::vector<float>* v : {&mean, &std})
      if (v->capacity() < total) *v = Shelf<float>::take();
    slots.resize(total);
    ids.resize(total);
    count.resize(total);
    mean.assign(total, NAN);
    std.assign(total, NAN);
    forChunks(index.slots, kChunk, [&](int64_t c, int64_t begin, int64_t end) {
      size_t k = size_t(first[size_t(c)]);
      for (int64_t s = begin; s < end; s++) {
        const double n = countOfSlot(s);
        if (!(n > 0)) continue;
        slots[k] = int32_t(s);
        ids[k] = index.idOf(s);
        count[k] = int32_t(n);
        k++;
      }
    });
  }
};

}  // namespace infogain
