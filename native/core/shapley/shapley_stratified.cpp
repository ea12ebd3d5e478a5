// 'stratified': per player i, marginal contributions v(S + i) - v(S) stratified by |S| (Maleki et
// al. 2013): phi_i = sum_s w(s) * (sum of the C(n-1, s) contributions of size s), each stratum
// estimated from S drawn uniformly among the subsets of N \ i of that size. Sizes share the units
// equally (with the border trick: sizes 0 and n-1 hold one subset and are evaluated outright), and
// sizes too thin to estimate a variance are merged into groups (strata.h). Players take turns,
// one unit each. Units cost two evaluations, fewer when the cache holds one of them; the budget
// so saved buys further rounds. Each player's estimate is separate: efficiency is not enforced.
#include <algorithm>
#include <cmath>

#include "bits.h"
#include "combinatorics.h"
#include "key_index.h"
#include "shapley.h"
#include "shapley_design.h"
#include "strata.h"
#include "student_t.h"
#include "xoshiro.h"

namespace infogain {
namespace {

constexpr int kMinUnitsPerGroup = 3;

// x over the n-1 players other than i, as a mask over all n (bit i stays clear)
uint32_t skipPlayer(uint32_t x, int i) {
  const uint32_t low = x & ((uint32_t(1) << i) - 1);
  return low | uint32_t((uint64_t(x >> i)) << (i + 1));
}

struct MarginalUnit {
  uint32_t without;  // S, without player i
  int8_t player;
  int8_t group;
  int8_t k;
};

class StratifiedDesign : public Design {
 public:
  explicit StratifiedDesign(const EstimatorOptions& opt)
      : n_(opt.players), rng_(opt.seed ^ 0x5354524154494649ull), weights_(semivalueWeights(n_, ShapleyIndex::Shapley)) {
    for (int s = 0; s < n_; s++) populations_.push_back(binomial(n_ - 1, s));
    const std::vector<double> equal(static_cast<size_t>(n_), 1.0);
    const int64_t perPlayer = (opt.budget - 2) / (2 * int64_t(n_));
    groups_ = allocateUnits(populations_, equal, perPlayer, kMinUnitsPerGroup, false);
    for (int i = 0; i < n_; i++) schedules_.emplace_back(new GroupSchedule(groups_));
    lists_.resize(size_t(n_) * groups_.size());
    listNext_.assign(size_t(n_) * groups_.size(), 0);
  }

  Pull next(const CoalitionStore&, Proposal* p) override {
    for (int tries = 0; !done_ && tries < n_; tries++) {
      const int i = turn_;
      turn_ = (turn_ + 1) % n_;
      const int g = schedules_[size_t(i)]->next();
      if (g < 0) continue;  // this player's strata are used up
      MarginalUnit u{0, int8_t(i), int8_t(g), 0};
      if (!draw(i, g, &u)) {
        schedules_[size_t(i)]->undo(g);
        continue;
      }
      taken_.insert((uint64_t(i) << 32) | u.without, 0);
      units_.push_back(u);
      p->masks = {u.without, u.without | (uint32_t(1) << i)};
      p->calls = 2;
      return Pull::Unit;
    }
    done_ = true;
    return Pull::Done;
  }

  void reject() override {
    schedules_[size_t(units_.back().player)]->undo(units_.back().group);
    units_.pop_back();
    done_ = true;
  }

  int64_t memoryBytes() const override {
    int64_t bytes = int64_t(sizeof(*this)) + heapBytes(weights_) + heapBytes(populations_) + heapBytes(groups_) +
                    heapBytes(schedules_) + heapBytes(lists_) + heapBytes(listNext_) + heapBytes(units_) +
                    taken_.memoryBytes();
    for (const auto& s : schedules_) bytes += s->memoryBytes();
    return bytes;
  }

  void estimate(const CoalitionStore& store, DesignEstimate* out) const override {
    out->phi.assign(static_cast<size_t>(n_), 0.0);
    out->standardError.assign(static_cast<size_t>(n_), INFINITY);
    out->units = 0;
    std::vector<double> variance(static_cast<size_t>(n_)), df(static_cast<size_t>(n_));
    for (int i = 0; i < n_; i++) {
      GroupTotals totals(groups_, populations_, 1);
      for (const MarginalUnit& u : units_) {
        if (u.player != i) continue;
        const uint32_t with = u.without | (uint32_t(1) << i);
        if (!store.known(u.without) || !store.known(with)) continue;
        const double y = weights_[size_t(popcount32(u.without))] * (store.value(with) - store.value(u.without));
        totals.add(u.group, u.k, &y);
        out->units++;
      }
      totals.finish(&out->phi[size_t(i)], &variance[size_t(i)], &df[size_t(i)]);
    }
    if (out->units == 0) return uniformSplit(store, n_, out);
    // moderated variances, as meanOverUnits: each shrunk toward the players' mean with 2 df
    double pooled = 0;
    int finite = 0;
    for (double v : variance)
      if (std::isfinite(v)) pooled += v, finite++;
    pooled = finite ? pooled / finite : 0;
    for (int i = 0; i < n_; i++) {
      const double v = variance[size_t(i)], d = df[size_t(i)];
      if (!std::isfinite(v) || v == 0) {
        out->standardError[size_t(i)] = std::isfinite(v) ? 0.0 : INFINITY;
        continue;
      }
      const double dm = std::isfinite(d) ? d : 1e6;
      out->standardError[size_t(i)] = std::sqrt((dm * v + kPriorDf * pooled) / (dm + kPriorDf)) * tWidening(dm + kPriorDf);
    }
  }

 private:
  int sizeOf(int g, int k) const { return groups_[size_t(g)].strata[size_t(k)]; }

  bool draw(int i, int g, MarginalUnit* u) {
    const Group& G = groups_[size_t(g)];
    if (G.strata.size() == 1 && (G.enumerated || double(G.planned) * 2 > G.population)) {
      const size_t slot = size_t(i) * groups_.size() + size_t(g);
      if (lists_[slot].empty()) buildList(i, sizeOf(g, 0), &lists_[slot]);
      if (listNext_[slot] >= lists_[slot].size()) return false;
      u->without = lists_[slot][listNext_[slot]++];
      return true;
    }
    for (int tries = 0; tries < 100000; tries++) {
      const int k = pickStratum(G, rng_);
      const uint32_t S = skipPlayer(randomSubset(rng_, n_ - 1, sizeOf(g, k)), i);
      if (taken_.find((uint64_t(i) << 32) | S) >= 0) continue;
      u->without = S;
      u->k = int8_t(k);
      return true;
    }
    return false;
  }

  // Every S of size s without player i, in random order.
  void buildList(int i, int s, std::vector<uint32_t>* list) {
    subsetsOfSize(n_ - 1, s, list);
    for (uint32_t& c : *list) c = skipPlayer(c, i);
    shuffle(list, rng_);
  }

  int n_;
  Xoshiro256 rng_;
  std::vector<double> weights_;
  std::vector<double> populations_;
  std::vector<Group> groups_;
  std::vector<std::unique_ptr<GroupSchedule>> schedules_;
  std::vector<std::vector<uint32_t>> lists_;
  std::vector<size_t> listNext_;
  std::vector<MarginalUnit> units_;
  KeyIndex taken_;
  int turn_ = 0;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Design> makeStratifiedDesign(const EstimatorOptions& opt) {
  return std::unique_ptr<Design>(new StratifiedDesign(opt));
}

}  // namespace infogain
