// Paired coalition designs: 'kernel', 'leverage', 'regression-adjusted' and 'svarm'.
//
// Every coalition S other than the empty set and N is in exactly one complement pair {S, N \ S};
// pairs are the units, stratified by h = min(|S|, n - |S|) in 1..n/2. The budget's units are
// spread over the strata by a size distribution (kernel: the Shapley kernel's mass 1/(s(n-s)), as
// KernelSHAP; uniform: every size alike, as Leverage SHAP; svarm: 1/s, as Stratified SVARM;
// mixed: 70% kernel + 30% uniform), with the border trick (a stratum its share covers is
// enumerated) and neighbouring strata too thin for a variance merged into groups (strata.h).
// Units are drawn without replacement and interleaved across groups, so any prefix of the plan
// is itself a stratified sample (an early stop on `tolerance` leaves a valid estimate).
// The estimators over the complete pairs: shapley_kernelshap.cpp, shapley_regression.cpp, shapley_svarm.cpp.
#include <algorithm>
#include <cmath>

#include "bits.h"
#include "combinatorics.h"
#include "shapley_design.h"
#include "pair_sample.h"
#include "strata.h"
#include "xoshiro.h"

namespace infogain {
namespace {

constexpr int kMinUnitsPerGroup = 3;

struct PairUnit {
  uint32_t mask;  // the pair's canonical member
  int16_t group;
  int16_t k;      // stratum index within the group
};

class PairedDesign : public Design {
 public:
  PairedDesign(const EstimatorOptions& opt, ShapleyMethod method)
      : n_(opt.players), method_(method), rng_(opt.seed ^ 0x5041495245444553ull), full_(fullMask(opt.players)) {
    SizeDistribution sizes = opt.sizes;
    if (sizes == SizeDistribution::Default)
      sizes = method == ShapleyMethod::Leverage ? SizeDistribution::Uniform
              : method == ShapleyMethod::Svarm  ? SizeDistribution::Svarm
              : method == ShapleyMethod::Kernel ? SizeDistribution::Kernel
                                                : SizeDistribution::Mixed;
    const std::vector<double> weights = sizeWeights(sizes);
    const int64_t units = (opt.budget - 2) / 2;
    groups_ = allocateUnits(populations_, weights, units, kMinUnitsPerGroup, method == ShapleyMethod::Svarm);
    schedule_.reset(new GroupSchedule(groups_));
    lists_.resize(groups_.size());
    listNext_.assign(groups_.size(), 0);
  }

  Pull next(const CoalitionStore& store, Proposal* p) override {
    if (done_) return Pull::Done;
    const int g = schedule_->next();
    if (g < 0) return Pull::Done;
    PairUnit u{0, int16_t(g), 0};
    if (!draw(store, g, &u)) {
      schedule_->undo(g);
      done_ = true;
      return Pull::Done;
    }
    units_.push_back(u);
    p->masks = {u.mask, full_ ^ u.mask};
    p->calls = 2;
    return Pull::Unit;
  }

  void reject() override {
    schedule_->undo(units_.back().group);
    units_.pop_back();
    done_ = true;
  }

  void estimate(const CoalitionStore& store, DesignEstimate* out) const override;
  int64_t memoryBytes() const override {
    return int64_t(sizeof(*this)) + heapBytes(populations_) + heapBytes(groups_) + schedule_->memoryBytes() +
           heapBytes(lists_) + heapBytes(listNext_) + heapBytes(units_);
  }

 private:
  // Fills populations_ (pairs per stratum h = 1..n/2) and returns each stratum's share of the units.
  std::vector<double> sizeWeights(SizeDistribution sizes) {
    const int H = n_ / 2;
    std::vector<double> kernel, uniform, svarm;
    double kSum = 0, uSum = 0;
    for (int h = 1; h <= H; h++) {
      const bool middle = 2 * h == n_;
      populations_.push_back(middle ? binomial(n_, h) / 2 : binomial(n_, h));
      const double both = middle ? 1.0 : 2.0;  // the stratum holds sizes h and n - h
      kernel.push_back(both / (double(h) * double(n_ - h)));
      uniform.push_back(both);
      svarm.push_back(both / double(h));
      kSum += kernel.back();
      uSum += uniform.back();
    }
    switch (sizes) {
      case SizeDistribution::Kernel: return kernel;
      case SizeDistribution::Uniform: return uniform;
      case SizeDistribution::Svarm: return svarm;
      default: break;
    }
    // mixed: 70% as the kernel, 30% uniform (bench/RESULTS.md: within 10% of the better one)
    std::vector<double> mixed(kernel.size());
    for (size_t h = 0; h < mixed.size(); h++) mixed[h] = 0.7 * kernel[h] / kSum + 0.3 * uniform[h] / uSum;
    return mixed;
  }

  int stratumSize(int g, int k) const { return groups_[size_t(g)].strata[size_t(k)] + 1; }

  uint32_t canonical(uint32_t s, int h) const { return 2 * h == n_ && !(s & 1u) ? full_ ^ s : s; }

  // The next unit of group g: from its shuffled list when it is enumerated or densely sampled,
  // else a fresh random pair (redrawn when already taken).
  bool draw(const CoalitionStore& store, int g, PairUnit* u) {
    const Group& G = groups_[size_t(g)];
    const bool listed = G.strata.size() == 1 && (G.enumerated || (double(G.planned) * 2 > G.population && G.population <= double(1 << 22)));
    if (listed) {
      if (lists_[size_t(g)].empty()) buildList(g);
      std::vector<uint32_t>& list = lists_[size_t(g)];
      size_t& at = listNext_[size_t(g)];
      if (at >= list.size()) return false;
      u->mask = list[at++];
      u->k = 0;
      return true;
    }
    for (int tries = 0; tries < 100000; tries++) {
      const int k = pickStratum(G, rng_);
      const int h = stratumSize(g, k);
      const uint32_t s = canonical(randomSubset(rng_, n_, h), h);
      if (store.asked(s)) continue;
      u->mask = s;
      u->k = int16_t(k);
      return true;
    }
    return false;
  }

  // Every pair of a one-stratum group, in random order (middle stratum: the members holding player 0).
  void buildList(int g) {
    const int h = stratumSize(g, 0);
    std::vector<uint32_t>& list = lists_[size_t(g)];
    if (2 * h == n_) {
      subsetsOfSize(n_ - 1, h - 1, &list);
      for (uint32_t& c : list) c = (c << 1) | 1u;
    } else {
      subsetsOfSize(n_, h, &list);
    }
    shuffle(&list, rng_);
  }

  int n_;
  ShapleyMethod method_;
  Xoshiro256 rng_;
  uint32_t full_;
  std::vector<double> populations_;
  std::vector<Group> groups_;
  std::unique_ptr<GroupSchedule> schedule_;
  std::vector<std::vector<uint32_t>> lists_;
  std::vector<size_t> listNext_;
  std::vector<PairUnit> units_;
  bool done_ = false;

};

void PairedDesign::estimate(const CoalitionStore& store, DesignEstimate* out) const {
  std::vector<PairUnit> units;
  std::vector<int64_t> counts(groups_.size(), 0);
  for (const PairUnit& u : units_) {
    if (!store.known(u.mask) || !store.known(full_ ^ u.mask)) continue;
    units.push_back(u);
    counts[size_t(u.group)]++;
  }
  if (units.empty()) return uniformSplit(store, n_, out);
  PairSample sample;
  sample.n = n_;
  sample.vEmpty = store.value(0);
  sample.vFull = store.value(full_);
  sample.groups = &groups_;
  sample.populations = &populations_;
  for (const PairUnit& u : units) {
    sample.masks.push_back(u.mask);
    sample.values.push_back(store.value(u.mask));
    sample.values.push_back(store.value(full_ ^ u.mask));
    sample.group.push_back(u.group);
    sample.stratum.push_back(u.k);
  }
  if (method_ == ShapleyMethod::Svarm) return svarmEstimate(sample, out);
  if (method_ == ShapleyMethod::RegressionAdjusted) return regressionAdjustedEstimate(sample, out);
  kernelEstimate(sample, out);
}

}  // namespace

std::unique_ptr<Design> makePairedDesign(const EstimatorOptions& opt, ShapleyMethod method) {
  return std::unique_ptr<Design>(new PairedDesign(opt, method));
}

}  // namespace infogain
