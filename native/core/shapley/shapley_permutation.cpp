// Permutation designs: a unit is one random permutation ('permutation'), or a permutation and its
// reverse ('antithetic', 'orthogonal'). A permutation asks for its n-1 proper prefixes; v(empty)
// and v(N) are shared. A unit's value for player i is its marginal contribution where it joins,
// averaged over the unit's permutations; phi is the mean over units, the standard error their
// spread (pairs are the independent units, so antithetic intervals are not too narrow).
//
// 'orthogonal' (Mitchell et al. 2022, orthogonal spherical codes): n-1 orthonormal directions of
// the zero-sum subspace per block, each direction x giving the permutation argsort(x) and, as its
// antithetic partner, argsort(-x), the reverse. Directions of one block are negatively
// correlated, so treating their pairs as independent units errs on the wide side.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "bits.h"
#include "shapley_design.h"
#include "xoshiro.h"

namespace infogain {
namespace {

class PermutationDesign : public Design {
 public:
  PermutationDesign(const EstimatorOptions& opt, ShapleyMethod method)
      : n_(opt.players), method_(method), rng_(opt.seed ^ 0x5045524D55544154ull) {
    perUnit_ = method == ShapleyMethod::Permutation ? 1 : 2;
  }

  Pull next(const CoalitionStore&, Proposal* p) override {
    if (done_ || n_ < 2) return Pull::Done;
    std::vector<uint8_t> order(static_cast<size_t>(n_));
    if (method_ == ShapleyMethod::Orthogonal) {
      directionOrder(order.data());
    } else {
      std::iota(order.begin(), order.end(), uint8_t(0));
      for (int i = n_ - 1; i > 0; i--) std::swap(order[size_t(i)], order[rng_.below(uint64_t(i) + 1)]);
    }
    orders_.insert(orders_.end(), order.begin(), order.end());
    if (perUnit_ == 2) orders_.insert(orders_.end(), order.rbegin(), order.rend());
    p->masks.clear();
    for (int k = 0; k < perUnit_; k++) {
      const uint8_t* o = orders_.data() + orders_.size() - size_t((perUnit_ - k) * n_);
      uint32_t prefix = 0;
      for (int j = 0; j + 1 < n_; j++) {
        prefix |= uint32_t(1) << o[j];
        p->masks.push_back(prefix);
      }
    }
    // shap's PermutationExplainer pays n+1 per direction, sharing v(N) within a pair: 2n+1
    p->calls = perUnit_ == 1 ? n_ + 1 : 2 * n_ + 1;
    return Pull::Unit;
  }

  void reject() override {
    orders_.resize(orders_.size() - size_t(perUnit_ * n_));
    done_ = true;
  }

  // v(empty) and v(N) are paid once per unit by an uncached sampler, not up front
  int64_t initialCalls() const override { return 0; }
  int64_t memoryBytes() const override { return int64_t(sizeof(*this)) + heapBytes(orders_) + heapBytes(block_); }

  void estimate(const CoalitionStore& store, DesignEstimate* out) const override {
    const int64_t units = int64_t(orders_.size()) / (perUnit_ * n_);
    std::vector<double> values, marg(static_cast<size_t>(n_));
    const uint32_t full = fullMask(n_);
    const double vEmpty = store.value(0), vFull = store.value(full);
    for (int64_t u = 0; u < units; u++) {
      std::fill(marg.begin(), marg.end(), 0.0);
      bool complete = true;
      for (int k = 0; k < perUnit_ && complete; k++) {
        const uint8_t* o = orders_.data() + size_t((u * perUnit_ + k) * n_);
        uint32_t prefix = 0;
        double prev = vEmpty;
        for (int j = 0; j < n_; j++) {
          prefix |= uint32_t(1) << o[j];
          const double v = j + 1 == n_ ? vFull : store.value(prefix);
          if (std::isnan(v)) {
            complete = false;
            break;
          }
          marg[o[j]] += (v - prev) / perUnit_;
          prev = v;
        }
      }
      if (complete) values.insert(values.end(), marg.begin(), marg.end());
    }
    if (values.empty()) return uniformSplit(store, n_, out);
    meanOverUnits(values, n_, out);
  }

 private:
  // The next direction of the current orthonormal block, as the order of its coordinates.
  void directionOrder(uint8_t* order) {
    if (blockNext_ >= blockSize_) newBlock();
    const double* x = block_.data() + size_t(blockNext_++ * n_);
    std::iota(order, order + n_, uint8_t(0));
    std::sort(order, order + n_, [&](uint8_t a, uint8_t b) { return x[a] < x[b] || (x[a] == x[b] && a < b); });
  }

  // n-1 orthonormal vectors orthogonal to (1, ..., 1): Gram-Schmidt on Gaussian vectors.
  void newBlock() {
    blockSize_ = n_ - 1;
    block_.assign(size_t(blockSize_ * n_), 0.0);
    for (int d = 0; d < blockSize_; d++) {
      double* x = block_.data() + size_t(d * n_);
      for (;;) {
        double mean = 0;
        for (int i = 0; i < n_; i++) mean += (x[i] = rng_.normal());
        mean /= n_;
        for (int i = 0; i < n_; i++) x[i] -= mean;
        for (int e = 0; e < d; e++) {
          const double* y = block_.data() + size_t(e * n_);
          double dot = 0;
          for (int i = 0; i < n_; i++) dot += x[i] * y[i];
          for (int i = 0; i < n_; i++) x[i] -= dot * y[i];
        }
        double norm = 0;
        for (int i = 0; i < n_; i++) norm += x[i] * x[i];
        if (norm > 1e-12) {
          norm = 1.0 / std::sqrt(norm);
          for (int i = 0; i < n_; i++) x[i] *= norm;
          break;
        }
      }
    }
    blockNext_ = 0;
  }

  int n_;
  ShapleyMethod method_;
  Xoshiro256 rng_;
  int perUnit_;
  bool done_ = false;
  std::vector<uint8_t> orders_;  // units x perUnit x n: the order in which players join
  std::vector<double> block_;
  int blockSize_ = 0, blockNext_ = 0;
};

}  // namespace

std::unique_ptr<Design> makePermutationDesign(const EstimatorOptions& opt, ShapleyMethod method) {
  return std::unique_ptr<Design>(new PermutationDesign(opt, method));
}

}  // namespace infogain
