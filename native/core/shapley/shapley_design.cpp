// Helpers shared by the estimator designs, and the exact design (every coalition, in mask order).
#include "shapley_design.h"

#include <cmath>

#include "bits.h"
#include "student_t.h"

namespace infogain {

void uniformSplit(const CoalitionStore& store, int n, DesignEstimate* out) {
  const double share = (store.value(fullMask(n)) - store.value(0)) / n;
  out->phi.assign(size_t(n), share);
  out->standardError.assign(size_t(n), INFINITY);
  out->units = 0;
}

void meanOverUnits(const std::vector<double>& unitValues, int n, DesignEstimate* out) {
  const int64_t m = int64_t(unitValues.size()) / n;
  out->units = m;
  out->phi.assign(size_t(n), 0.0);
  out->standardError.assign(size_t(n), INFINITY);
  std::vector<double> var(size_t(n), 0.0);
  for (int i = 0; i < n; i++) {
    double mean = 0;
    for (int64_t u = 0; u < m; u++) mean += unitValues[size_t(u * n + i)];
    mean /= double(m);
    out->phi[size_t(i)] = mean;
    double ss = 0;
    for (int64_t u = 0; u < m; u++) {
      double d = unitValues[size_t(u * n + i)] - mean;
      ss += d * d;
    }
    var[size_t(i)] = m >= 2 ? ss / double(m - 1) : 0;
  }
  if (m < 2) return;
  double pooled = 0;
  for (double v : var) pooled += v;
  pooled /= n;
  // every unit gave every player the same value: from so few units that says nothing about the
  // spread (two antithetic pairs of a voting game with the same pivotal player), so no interval
  if (pooled == 0 && m < kMinUnitsForZeroSpread) return;
  for (int i = 0; i < n; i++) {
    const double df = double(m - 1) + kPriorDf;
    const double v = (double(m - 1) * var[size_t(i)] + kPriorDf * pooled) / df;
    out->standardError[size_t(i)] = std::sqrt(v / double(m)) * tWidening(df);
  }
}

namespace {

// Asks for every coalition in mask order; ShapleyEstimator computes the exact values once all are in.
class ExactDesign : public Design {
 public:
  explicit ExactDesign(int n) : n_(n) {}
  Pull next(const CoalitionStore&, Proposal* p) override {
    const uint64_t total = uint64_t(1) << n_;
    if (next_ >= total) return Pull::Done;
    p->masks.clear();
    for (int k = 0; k < 1024 && next_ < total; k++, next_++) p->masks.push_back(uint32_t(next_));
    p->calls = int64_t(p->masks.size());
    return Pull::Unit;
  }
  void reject() override { next_ = uint64_t(1) << n_; }
  void estimate(const CoalitionStore& store, DesignEstimate* out) const override { uniformSplit(store, n_, out); }
  int64_t memoryBytes() const override { return int64_t(sizeof(*this)); }

 private:
  int n_;
  uint64_t next_ = 1;
};

}  // namespace

std::unique_ptr<Design> makeExactDesign(const EstimatorOptions& opt) {
  return std::unique_ptr<Design>(new ExactDesign(opt.players));
}

}  // namespace infogain
