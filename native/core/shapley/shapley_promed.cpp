// 'promed-reference': ProMed's Monte Carlo Shapley sampler (compute_equal_shapley_values in
// src/mcts_sampling/cal_shapley.py and src/models/doctor_reward.py), step by step:
//   for t = 1..maxPermutations: a random permutation; walk its prefixes from v(empty); for each
//   player idx: phi[idx] = (t-1)/t phi[idx] + (v(prefix) - v(previous prefix)) / t; stop the
//   permutation early once |v(prefix) - v(N)| < truncation; after the permutation, stop when
//   t >= minPermutations and mean_i |phi_i - phi_i before this permutation| < tolerance.
// It is sequential (truncation reads values), so each unit is one prefix.
//
// Bias: a player the truncation skips in permutation t gets no sample, yet the next update weighs
// its mean as if it had t of them: skipped before its first sample, it is averaged with a 0 (pulled
// toward 0); skipped later, it is averaged with its own running mean. Truncation skips exactly the
// players that join late, where marginal contributions are small but not 0, and the truncation
// test looks at v(prefix) only. The estimate is not efficient (sum phi != v(N) - v(empty)).
// The reference builds the prompt in permutation order, so its v is not a set function and
// cannot be cached; here v is a set function, and cached prefixes cost no new evaluation but
// still count in `calls`.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "bits.h"
#include "../groups.h"
#include "shapley_design.h"
#include "student_t.h"
#include "xoshiro.h"

namespace infogain {
namespace {

class PromedDesign : public Design {
 public:
  explicit PromedDesign(const EstimatorOptions& opt)
      : n_(opt.players), opt_(opt), rng_(opt.seed ^ 0x50524F4D45445246ull), order_(static_cast<size_t>(n_)),
        phi_(static_cast<size_t>(n_), 0.0), phiBefore_(static_cast<size_t>(n_), 0.0),
        samples_(static_cast<size_t>(n_)) {}

  Pull next(const CoalitionStore& store, Proposal* p) override {
    if (!store.known(0) || !store.known(fullMask(n_))) return Pull::Wait;
    if (awaiting_) {
      if (!store.known(prefix_)) return Pull::Wait;
      awaiting_ = false;
      takeStep(store);
    }
    if (stopped_) return Pull::Done;
    if (pos_ == 0) {
      if (t_ >= opt_.maxPermutations) {
        stopped_ = true;
        return Pull::Done;
      }
      startPermutation(store);
    }
    prefix_ |= uint32_t(1) << order_[size_t(pos_)];
    p->masks.assign(1, prefix_);
    p->calls = 1;
    awaiting_ = true;
    return Pull::Unit;
  }

  void reject() override {
    awaiting_ = false;
    stopped_ = true;
  }

  int64_t memoryBytes() const override {
    return int64_t(sizeof(*this)) + heapBytes(order_) + heapBytes(phi_) + heapBytes(phiBefore_) + heapBytes(samples_);
  }

  void estimate(const CoalitionStore&, DesignEstimate* out) const override {
    out->phi = phi_;
    out->standardError.assign(static_cast<size_t>(n_), INFINITY);
    out->units = t_;
    for (int i = 0; i < n_; i++) {  // spread of the samples each player got (the truncation bias is not in it)
      const Moments& s = samples_[size_t(i)];  // running moments: O(n) memory however many permutations run
      if (s.count < 2) continue;
      out->standardError[size_t(i)] = s.unbiasedStd() / std::sqrt(s.count) * tWidening(s.count - 1);
    }
  }

 private:
  void startPermutation(const CoalitionStore& store) {
    t_++;
    std::iota(order_.begin(), order_.end(), uint8_t(0));
    for (int i = n_ - 1; i > 0; i--) std::swap(order_[size_t(i)], order_[rng_.below(uint64_t(i) + 1)]);
    prefix_ = 0;
    vPrev_ = store.value(0);
    phiBefore_ = phi_;
  }

  // The value of the prefix that ends at pos_ has arrived.
  void takeStep(const CoalitionStore& store) {
    const int idx = order_[size_t(pos_)];
    const double v = store.value(prefix_), marginal = v - vPrev_;
    phi_[size_t(idx)] = double(t_ - 1) / t_ * phi_[size_t(idx)] + marginal / t_;
    samples_[size_t(idx)].add(marginal);
    vPrev_ = v;
    pos_++;
    const bool truncated = std::fabs(v - store.value(fullMask(n_))) < opt_.truncation;
    if (!truncated && pos_ < n_) return;
    pos_ = 0;  // the permutation ends
    if (t_ >= opt_.minPermutations) {
      double change = 0;
      for (int i = 0; i < n_; i++) change += std::fabs(phi_[size_t(i)] - phiBefore_[size_t(i)]);
      if (change / n_ < opt_.promedTolerance) stopped_ = true;
    }
  }

  int n_;
  EstimatorOptions opt_;
  Xoshiro256 rng_;
  std::vector<uint8_t> order_;
  std::vector<double> phi_, phiBefore_;
  std::vector<Moments> samples_;
  int t_ = 0, pos_ = 0;
  uint32_t prefix_ = 0;
  double vPrev_ = 0;
  bool awaiting_ = false, stopped_ = false;
};

}  // namespace

std::unique_ptr<Design> makePromedDesign(const EstimatorOptions& opt) {
  return std::unique_ptr<Design>(new PromedDesign(opt));
}

}  // namespace infogain
