// Stratified sampling of units (coalition pairs, marginal-contribution pairs) under a budget, and
// the Horvitz-Thompson totals and variances over them.
//
// Strata are the natural populations of an estimator (all complement pairs of one size, ...).
// allocateUnits() spreads a number of units over them in proportion to weights, enumerates every
// stratum the allocation would cover anyway (the "border trick"), and merges neighbouring strata
// whose share is too small to estimate a variance into groups. A group is sampled unit by unit:
// a stratum with probability selectProb, then a unit uniformly inside it, never the same unit twice.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../heap_bytes.h"
#include "xoshiro.h"

namespace infogain {

struct Group {
  std::vector<int> strata;          // indices into the stratum list, in order
  std::vector<double> selectProb;   // per stratum of the group, sums to 1
  double population = 0;            // units in the group
  int64_t planned = 0;              // units the plan gives it
  bool enumerated = false;          // planned == population: every unit, in random order
};

// populations[h]: units in stratum h; weights[h] >= 0: its share of the sampled units.
// forceFirst: enumerate stratum 0 first whenever the units cover it (extremes-first designs).
// Heap bytes of a group list (ShapleyEstimator::memoryBytes).
inline int64_t heapBytes(const std::vector<Group>& groups) {
  int64_t bytes = int64_t(groups.capacity() * sizeof(Group));
  for (const Group& g : groups) bytes += heapBytes(g.strata) + heapBytes(g.selectProb);
  return bytes;
}

std::vector<Group> allocateUnits(const std::vector<double>& populations, const std::vector<double>& weights,
                                 int64_t units, int minUnitsPerGroup, bool forceFirst);

// A stratum of group g (an index into g.strata) drawn with the group's selection probabilities.
int pickStratum(const Group& g, Xoshiro256& rng);

// Interleaves the groups so that any prefix of the plan holds each group's share: the next unit
// goes to the group whose next unit is due first. Groups keep getting units past their plan
// (when a cache makes units cheaper than planned) until their population is used up.
class GroupSchedule {
 public:
  explicit GroupSchedule(const std::vector<Group>& groups);
  int next();                 // a group index, or -1 when every group is used up
  void undo(int group);       // the unit given to `group` was not taken
  int64_t taken(int group) const { return taken_[size_t(group)]; }
  int64_t memoryBytes() const { return int64_t(sizeof(*this)) + heapBytes(taken_); }

 private:
  const std::vector<Group>& groups_;
  std::vector<int64_t> taken_;
};

// How many population units one complete unit of stratum k of group g stands for, when the group
// has m complete units (Hansen-Hurwitz: N_k / (selectProb_k m); 1 for a fully enumerated group).
double expansionWeight(const Group& g, const std::vector<double>& populations, int k, int64_t m);

// The Horvitz-Thompson estimate of the sum over all units of y (one value per player) from the
// complete units of each group, its variance (finite population corrected where the group is one
// stratum) and Welch-Satterthwaite degrees of freedom.
class GroupTotals {
 public:
  GroupTotals(const std::vector<Group>& groups, const std::vector<double>& populations, int players);
  // A complete unit of group g from its k-th stratum, y[0..players).
  void add(int g, int k, const double* y);
  // total[i]; variance[i] is +inf when a sampled group has fewer than 2 units; df[i].
  void finish(double* total, double* variance, double* df) const;

 private:
  const std::vector<Group>& groups_;
  const std::vector<double>& populations_;
  int n_;
  std::vector<std::vector<double>> z_;  // per group: units x players, y scaled by N_k / selectProb_k
};

}  // namespace infogain
