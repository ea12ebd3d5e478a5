// 'kernel' and 'leverage': KernelSHAP over a paired design. The proxy f(S) = v(empty) + sum b_j is
// fitted by kernel-weighted least squares (the Shapley kernel weight of each coalition times the
// pairs its pair stands for) with the efficiency constraint solved exactly; phi = b plus the
// Horvitz-Thompson estimate of the residual's Shapley values, which the normal equations make 0 up
// to rounding (kept, so a ridge-stabilized fit stays consistent). KernelSHAP is biased by design
// (Covert & Lee 2021): a regression, not an expectation. Variance: stratified delete-one-unit
// jackknife, the fit redone for each left-out pair; the Horvitz-Thompson variance of the residual
// terms past kJackknifeWork.
#include <cmath>

#include "combinatorics.h"
#include "pair_sample.h"
#include "shapley.h"
#include "shapley_proxy.h"

namespace infogain {
namespace {

// Above this many multiply-adds the jackknife gives way to the linearization variance.
constexpr double kJackknifeWork = 2e9;

// Everything the estimate and its jackknife replicates are linear in, summed per group:
//   normal equations A, b; V_i = sum_u e_u sum_{S in u} c_i(S) (v(S) - v(empty));
//   F_if = sum_u e_u sum_{S in u} c_i(S) [f in S].
struct Sums {
  std::vector<double> A, b, V, F;
  void init(int p, int n) {
    A.assign(size_t(p * p), 0.0);
    b.assign(size_t(p), 0.0);
    V.assign(size_t(n), 0.0);
    F.assign(size_t(n * p), 0.0);
  }
  void add(const Sums& x, double a) {
    for (size_t k = 0; k < A.size(); k++) A[k] += a * x.A[k];
    for (size_t k = 0; k < b.size(); k++) b[k] += a * x.b[k];
    for (size_t k = 0; k < V.size(); k++) V[k] += a * x.V[k];
    for (size_t k = 0; k < F.size(); k++) F[k] += a * x.F[k];
  }
};

class KernelShap {
 public:
  explicit KernelShap(const PairSample& s)
      : s_(s), n_(s.n), proxy_(s.n, constrainedTerms(), s.vEmpty, s.vFull), p_(proxy_.params()),
        w_(semivalueWeights(s.n, ShapleyIndex::Shapley)), full_(fullMask(s.n)), expansion_(pairExpansions(s, &counts_)) {}

  void run(DesignEstimate* out) {
    perGroup_.assign(counts_.size(), Sums());
    for (Sums& g : perGroup_) g.init(p_, n_);
    for (size_t u = 0; u < s_.masks.size(); u++) unitSums(u, &perGroup_[size_t(s_.group[u])]);
    Sums total;
    total.init(p_, n_);
    for (const Sums& g : perGroup_) total.add(g, 1.0);
    std::vector<double> theta;
    if (!solveFrom(total, &theta)) theta.assign(size_t(p_), 0.0);  // no fit: plain Horvitz-Thompson
    phiOf(total, theta, &out->phi);
    out->units = int64_t(s_.masks.size());
    if (double(s_.masks.size()) * p_ * p_ * p_ > kJackknifeWork) return linearization(theta, out);
    jackknife(total, theta, out);
  }

 private:
  static ProxyTerms constrainedTerms() {
    ProxyTerms t;
    t.constrained = true;
    return t;
  }

  // Unit u's rows (kernel weight times expansion) and its V, F terms.
  void unitSums(size_t u, Sums* g) {
    const double e = expansion_[u];
    for (int side = 0; side < 2; side++) {
      const uint32_t m = side ? full_ ^ s_.masks[u] : s_.masks[u];
      const double v = s_.values[2 * u + size_t(side)];
      const int s = popcount32(m);
      proxy_.active(m, &scratch_);
      const double kw = e * double(n_ - 1) / (binomial(n_, s) * double(s) * double(n_ - s));
      addRow(scratch_, kw, v - s_.vEmpty, p_, g->A.data(), g->b.data());
      for (int i = 0; i < n_; i++) {
        const double c = e * ((m >> i) & 1 ? w_[size_t(s - 1)] : -w_[size_t(s)]);
        g->V[size_t(i)] += c * (v - s_.vEmpty);
        double* F = g->F.data() + size_t(i) * size_t(p_);
        for (int f : scratch_) F[f] += c;
      }
    }
  }

  bool solveFrom(const Sums& sums, std::vector<double>* theta) const {
    Cholesky chol;
    return proxy_.solve(sums.A, sums.b, theta, &chol);
  }

  // phi = phi(f) + exact residual terms + V - F theta
  void phiOf(const Sums& sums, const std::vector<double>& theta, std::vector<double>* phi) {
    proxy_.shapley(theta, phi, &scratch_);
    for (int i = 0; i < n_; i++) {
      double c = sums.V[size_t(i)];
      const double* F = sums.F.data() + size_t(i) * size_t(p_);
      for (int f = 0; f < p_; f++) c -= F[f] * theta[size_t(f)];
      (*phi)[size_t(i)] += c;
    }
  }

  // Each sampled unit left out in turn, its group's other units standing for the group
  // (expansion weights times m / (m - 1)), the constrained fit redone.
  void jackknife(const Sums& total, const std::vector<double>& theta, DesignEstimate* out) {
    std::vector<std::vector<double>> reps(perGroup_.size());
    std::vector<double> phi, thetaU;
    for (size_t g = 0; g < perGroup_.size(); g++) {
      const int64_t m = counts_[g];
      const Group& G = (*s_.groups)[g];
      if (m < 2 || (G.strata.size() == 1 && double(m) >= G.population)) continue;
      const double r = double(m) / double(m - 1);
      for (size_t u = 0; u < s_.masks.size(); u++) {
        if (size_t(s_.group[u]) != g) continue;
        Sums unit;
        unit.init(p_, n_);
        unitSums(u, &unit);
        Sums rest = total;
        rest.add(perGroup_[g], r - 1.0);
        rest.add(unit, -r);
        if (!solveFrom(rest, &thetaU)) thetaU = theta;
        phiOf(rest, thetaU, &phi);
        reps[g].insert(reps[g].end(), phi.begin(), phi.end());
      }
    }
    jackknifeErrors(*s_.groups, counts_, reps, n_, out);
  }

  // For samples too large to jackknife: the Horvitz-Thompson variance of the residual terms.
  void linearization(const std::vector<double>& theta, DesignEstimate* out) {
    GroupTotals spread(*s_.groups, *s_.populations, n_);
    const size_t nn = size_t(n_);
    std::vector<double> y(nn), total(nn), variance(nn), df(nn);
    auto fit = [&](uint32_t m) { return proxy_.predict(theta, m, &scratch_); };
    for (size_t u = 0; u < s_.masks.size(); u++) {
      pairTerms(s_, u, w_, 1.0, fit, y.data());
      spread.add(s_.group[u], s_.stratum[u], y.data());
    }
    spread.finish(total.data(), variance.data(), df.data());
    std::vector<double> dfDen(nn);
    for (size_t i = 0; i < nn; i++) dfDen[i] = std::isfinite(df[i]) && df[i] > 0 ? variance[i] * variance[i] / df[i] : 0;
    bool unknown = false;
    for (double v : variance) unknown = unknown || !std::isfinite(v);
    standardErrors(variance, dfDen, unknown, n_, out);
  }

  const PairSample& s_;
  int n_;
  Proxy proxy_;
  int p_;
  std::vector<double> w_;
  uint32_t full_;
  std::vector<int64_t> counts_;
  std::vector<double> expansion_;
  std::vector<Sums> perGroup_;
  std::vector<int> scratch_;
};

}  // namespace

void kernelEstimate(const PairSample& sample, DesignEstimate* out) { KernelShap(sample).run(out); }

}  // namespace infogain
