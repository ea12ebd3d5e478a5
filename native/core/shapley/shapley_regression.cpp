// 'regression-adjusted' (Witter et al. 2025) over a paired design. With c_i(S) = w(|S|-1) if i is
// in S and -w(|S|) if not (w: the Shapley weights), phi_i = sum_S c_i(S) v(S), so for any proxy f
//   phi_i = sum_S c_i(S) f(S) + sum_S c_i(S) (v(S) - f(S)),
// the first sum in closed form, the second estimated by Horvitz-Thompson over the sampled pairs
// (the generalized regression estimator of survey sampling). The proxy f(S) = a + sum_{j in S} b_j
// + d_|S| is fitted by unweighted least squares; the size offsets d carry a ridge of one
// coalition's weight (they shrink toward 0 where data are few), and a ridge on b is chosen among
// {0, 0.5, 2, 8} coalitions' weight by the variance it leaves. (Pairwise terms were tried and
// dropped: on complement pairs the estimate came out identical.)
//
// Cross-fitted: each sampled pair's residual comes from the proxy fitted without it (leave-one-out,
// by Woodbury; for very large samples, without its fold of 32), so the correction is not biased by
// the fit having seen the pair. Per group g of m pairs, each pair u gives
//   q_u = (N_k / selectProb_k) sum_{S in u} c_i(S) (v(S) - f_-u(S)) + T_g(f_-u),
// T_g(f) the sum of c_i(S) f(S) over the whole group (closed form; the size offsets drop out), and
// the group's share is mean(q) with variance fpc s^2(q) / m. Fully enumerated groups add their
// exact sum; v(empty) and v(N) add (v(N) - v(empty)) / n. Efficiency holds exactly.
#include <algorithm>
#include <cmath>

#include "combinatorics.h"
#include "pair_sample.h"
#include "shapley.h"
#include "shapley_proxy.h"

namespace infogain {
namespace {

// Past this many multiply-adds for the leave-one-out fits, kFolds-fold ones instead.
constexpr double kLeaveOneOutWork = 2e9;
constexpr int kFolds = 32;

class RegressionAdjusted {
 public:
  explicit RegressionAdjusted(const PairSample& s)
      : s_(s), n_(s.n), proxy_(s.n, freeTerms(), s.vEmpty, s.vFull), p_(proxy_.params()),
        w_(semivalueWeights(s.n, ShapleyIndex::Shapley)), full_(fullMask(s.n)) {
    pairExpansions(s, &counts_);
  }

  void run(DesignEstimate* out) {
    // the normal equations over every observed coalition, the empty set and N included
    A_.assign(size_t(p_ * p_), 0.0);
    b_.assign(size_t(p_), 0.0);
    for (uint32_t m : {uint32_t(0), full_}) {
      proxy_.active(m, &scratch_);
      addRow(scratch_, 1.0, m ? s_.vFull : s_.vEmpty, p_, A_.data(), b_.data());
    }
    for (size_t u = 0; u < s_.masks.size(); u++)
      for (int side = 0; side < 2; side++) {
        proxy_.active(side ? full_ ^ s_.masks[u] : s_.masks[u], &scratch_);
        addRow(scratch_, 1.0, s_.values[2 * u + size_t(side)], p_, A_.data(), b_.data());
      }
    const bool leaveOneOut = double(s_.masks.size()) * 8.0 * p_ * p_ <= kLeaveOneOutWork;
    double best = INFINITY;
    std::vector<double> theta;
    Cholesky chol;
    for (double ridge : {0.0, 0.5, 2.0, 8.0}) {
      const bool fitted = solve(A_, b_, ridge, &theta, &chol);
      if (!fitted) theta.assign(size_t(p_), 0.0);  // no proxy: plain Horvitz-Thompson
      std::vector<std::vector<double>> folds;
      if (fitted && !leaveOneOut) foldFits(theta, ridge, &folds);
      DesignEstimate candidate;
      const double v = crossFit(theta, chol, fitted, folds, &candidate);
      if (v < best || out->phi.empty()) {
        best = v;
        *out = candidate;
      }
    }
    out->units = int64_t(s_.masks.size());
  }

 private:
  static ProxyTerms freeTerms() {
    ProxyTerms t;
    t.bySize = true;
    return t;
  }

  // A plus the size offsets' shrinkage (one coalition's weight) and `linearRidge` on b.
  bool solve(const std::vector<double>& A, const std::vector<double>& b, double linearRidge, std::vector<double>* theta,
             Cholesky* chol) const {
    std::vector<double> shrunk = A;
    proxy_.addShrinkage(&shrunk, 1.0, linearRidge);
    return proxy_.solve(shrunk, b, theta, chol);
  }

  // Large samples: kFolds proxies, each fitted without one fold (units u with u % kFolds == f).
  void foldFits(const std::vector<double>& theta, double ridge, std::vector<std::vector<double>>* folds) {
    std::vector<std::vector<double>> A(kFolds, std::vector<double>(size_t(p_ * p_), 0.0)), b(kFolds, std::vector<double>(size_t(p_), 0.0));
    for (size_t u = 0; u < s_.masks.size(); u++)
      for (int side = 0; side < 2; side++) {
        const uint32_t m = side ? full_ ^ s_.masks[u] : s_.masks[u];
        proxy_.active(m, &scratch_);
        addRow(scratch_, 1.0, s_.values[2 * u + size_t(side)], p_, A[u % kFolds].data(), b[u % kFolds].data());
      }
    folds->assign(kFolds, theta);
    for (int f = 0; f < kFolds; f++) {
      std::vector<double> restA = A_, restB = b_;
      for (size_t k = 0; k < restA.size(); k++) restA[k] -= A[size_t(f)][k];
      for (size_t k = 0; k < restB.size(); k++) restB[k] -= b[size_t(f)][k];
      Cholesky c;
      if (!solve(restA, restB, ridge, &(*folds)[size_t(f)], &c)) (*folds)[size_t(f)] = theta;
    }
  }

  double crossFit(const std::vector<double>& theta, const Cholesky& chol, bool fitted,
                  const std::vector<std::vector<double>>& folds, DesignEstimate* out) {
    const std::vector<Group>& groups = *s_.groups;
    const int n = n_;
    out->phi.assign(size_t(n), (s_.vFull - s_.vEmpty) / n);
    const size_t nn = size_t(n);
    std::vector<double> variance(nn, 0.0), dfDen(nn, 0.0), q, thetaU, y(nn);
    bool unknown = false;
    for (size_t g = 0; g < groups.size(); g++) {
      const Group& G = groups[g];
      const int64_t m = counts_[g];
      const bool complete = G.strata.size() == 1 && double(m) >= G.population;
      if (m == 0) {
        groupProxyTotal(g, theta, &y);
        for (int i = 0; i < n; i++) out->phi[size_t(i)] += y[size_t(i)];
        unknown = unknown || G.population > 0;
        continue;
      }
      q.clear();
      for (size_t u = 0; u < s_.masks.size(); u++) {
        if (size_t(s_.group[u]) != g) continue;
        if (complete) {  // the exact sum of c_i(S) v(S) over the group
          pairTerms(s_, u, w_, 1.0, [](uint32_t) { return 0.0; }, y.data());
          for (int i = 0; i < n; i++) out->phi[size_t(i)] += y[size_t(i)];
          continue;
        }
        if (!folds.empty()) thetaU = folds[u % kFolds];
        else if (fitted) leaveOut(u, theta, chol, &thetaU);
        else thetaU = theta;
        pairTerms(s_, u, w_, expansionWeight(G, *s_.populations, s_.stratum[u], 1),
                  [&](uint32_t msk) { return proxy_.predict(thetaU, msk, &scratch_); }, y.data());
        q.insert(q.end(), y.begin(), y.end());
        groupProxyTotal(g, thetaU, &y);
        for (int i = 0; i < n; i++) q[q.size() - size_t(n) + size_t(i)] += y[size_t(i)];
      }
      if (complete) continue;
      const double fpc = G.strata.size() == 1 ? std::max(0.0, 1.0 - double(m) / G.population) : 1.0;
      for (int i = 0; i < n; i++) {
        double mean = 0, ss = 0;
        for (int64_t k = 0; k < m; k++) mean += q[size_t(k * n + i)];
        mean /= double(m);
        out->phi[size_t(i)] += mean;
        if (m < 2) continue;
        for (int64_t k = 0; k < m; k++) ss += (q[size_t(k * n + i)] - mean) * (q[size_t(k * n + i)] - mean);
        const double v = fpc * ss / double(m - 1) / double(m);
        variance[size_t(i)] += v;
        dfDen[size_t(i)] += v * v / double(m - 1);
      }
      unknown = unknown || m < 2;
    }
    standardErrors(variance, dfDen, unknown, n, out);
    double total = 0;
    for (double v : variance) total += v;
    return unknown ? INFINITY : total;
  }

  // T_g,i(f) = sum over the group's coalitions of c_i(S) f(S) for f's linear part b: per size s,
  // b_i / n + kappa_s sum_{j != i} b_j, kappa_s = w(s-1) C(n-2, s-2) - w(s) C(n-2, s-1).
  void groupProxyTotal(size_t g, const std::vector<double>& theta, std::vector<double>* y) const {
    double own = 0, others = 0;
    for (int h : (*s_.groups)[g].strata) {
      for (int s : {h + 1, n_ - h - 1}) {
        const double kappa = (s >= 2 ? w_[size_t(s - 1)] * binomial(n_ - 2, s - 2) : 0.0) -
                             (s <= n_ - 1 ? w_[size_t(s)] * binomial(n_ - 2, s - 1) : 0.0);
        own += 1.0 / n_ - kappa;
        others += kappa;
        if (2 * s == n_) break;  // the middle stratum holds one size
      }
    }
    double sum = 0;
    for (int j = 0; j < n_; j++) sum += proxy_.linear(theta, j);
    for (int i = 0; i < n_; i++) (*y)[size_t(i)] = proxy_.linear(theta, i) * own + sum * others;
  }

  // theta without unit u's two rows: theta - A^-1 X' (I - X A^-1 X')^-1 (y - X theta), X the two rows.
  void leaveOut(size_t u, const std::vector<double>& theta, const Cholesky& chol, std::vector<double>* out) {
    std::vector<double> z[2];
    std::vector<int> act[2];
    double e[2];
    for (int side = 0; side < 2; side++) {
      const uint32_t m = side ? full_ ^ s_.masks[u] : s_.masks[u];
      proxy_.active(m, &act[side]);
      z[side].assign(size_t(p_), 0.0);
      for (int f : act[side]) z[side][size_t(f)] = 1.0;
      double fit = 0;
      for (int f : act[side]) fit += theta[size_t(f)];
      e[side] = s_.values[2 * u + size_t(side)] - fit;
      chol.solve(z[side].data());
    }
    double H[2][2];
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 2; b++) {
        double h = 0;
        for (int f : act[a]) h += z[b][size_t(f)];
        H[a][b] = (a == b ? 1.0 : 0.0) - h;
      }
    const double det = H[0][0] * H[1][1] - H[0][1] * H[1][0];
    *out = theta;
    if (!(std::fabs(det) > 1e-12)) return;  // the unit determines part of the fit alone: keep theta
    const double c0 = (H[1][1] * e[0] - H[0][1] * e[1]) / det, c1 = (-H[1][0] * e[0] + H[0][0] * e[1]) / det;
    for (int f = 0; f < p_; f++) (*out)[size_t(f)] -= z[0][size_t(f)] * c0 + z[1][size_t(f)] * c1;
  }

  const PairSample& s_;
  int n_;
  Proxy proxy_;
  int p_;
  std::vector<double> w_;
  uint32_t full_;
  std::vector<int64_t> counts_;
  std::vector<double> A_, b_;
  std::vector<int> scratch_;
};

}  // namespace

void regressionAdjustedEstimate(const PairSample& sample, DesignEstimate* out) { RegressionAdjusted(sample).run(out); }

}  // namespace infogain
