// The regression estimators over paired coalition samples ('kernel', 'leverage',
// 'regression-adjusted'): a proxy game f fitted to the observed values, plus the Horvitz-Thompson
// estimate of the residual's Shapley values (the generalized regression estimator of survey
// sampling), with a stratified delete-one-unit jackknife variance.
//
// With c_i(S) = w(|S|-1) if i in S, -w(|S|) if not (w: the Shapley weights), phi_i = sum_S c_i(S) v(S),
// so for any f whose Shapley values are known,
//   phi_i = phi_i(f) + sum_S c_i(S) (v(S) - f(S)),
// and the sum over sampled strata is estimated from the sampled pairs. The proxies:
//  - constrained (KernelSHAP): f(S) = v(empty) + sum_{j in S} b_j, kernel-weighted least squares
//    with sum b = v(N) - v(empty); the residual correction is then 0 up to rounding.
//  - free (Witter et al. 2025): f(S) = a + sum_{j in S} b_j [+ d_|S|], unweighted least squares;
//    the size offsets carry a ridge of one coalition's weight, so they shrink toward 0 where the
//    data are few. (Pairwise terms were tried and dropped: on complement pairs they change
//    nothing, the estimate came out identical.)
#include "pair_sample.h"

#include <algorithm>
#include <cmath>

#include "bits.h"
#include "combinatorics.h"
#include "dense_solve.h"
#include "shapley.h"
#include "student_t.h"

namespace infogain {
namespace {

// Ridges (relative to the mean diagonal) tried in turn until the normal equations factor.
const double kRidges[] = {1e-10, 1e-7, 1e-4, 1e-1};
// Above this many multiply-adds the jackknife gives way to the linearization variance, and the
// leave-one-out proxies of 'regression-adjusted' to kFolds-fold ones.
constexpr double kJackknifeWork = 2e9;
constexpr int kFolds = 32;

// The proxy: its parameters theta, the features of a coalition, its fit and its Shapley values.
class Proxy {
 public:
  Proxy(int n, ProxyTerms t, double vEmpty, double vFull)
      : n_(n), t_(t), vEmpty_(vEmpty), vFull_(vFull), full_(fullMask(n)) {
    int at = t.constrained ? 0 : 1;  // the constrained fit has its intercept fixed at v(empty)
    sizeBase_ = t.bySize && !t.constrained ? at : -1;
    at += sizeBase_ >= 0 ? n + 1 : 0;
    linearBase_ = at;
    p_ = at + n;
  }

  int params() const { return p_; }
  double linear(const std::vector<double>& theta, int j) const { return theta[size_t(linearBase_ + j)]; }
  bool constrained() const { return t_.constrained; }
  double base() const { return t_.constrained ? vEmpty_ : 0.0; }

  // the parameters f(S) depends on, each with coefficient 1
  void active(uint32_t mask, std::vector<int>* out) const {
    out->clear();
    if (!t_.constrained) out->push_back(0);
    if (sizeBase_ >= 0) out->push_back(sizeBase_ + popcount32(mask));
    for (uint32_t m = mask; m; m &= m - 1) out->push_back(linearBase_ + lowestBit(m));
  }

  double predict(const std::vector<double>& theta, uint32_t mask, std::vector<int>* scratch) const {
    active(mask, scratch);
    double f = base();
    for (int k : *scratch) f += theta[size_t(k)];
    return f;
  }

  // Ridge on the size offsets: `shrink` (about one coalition's weight).
  // linearRidge: a ridge of that many coalitions' weight on the linear terms too.
  void addShrinkage(std::vector<double>* A, double shrink, double linearRidge) const {
    for (int f = linearBase_; f < linearBase_ + n_ && linearRidge > 0; f++) (*A)[size_t(f * p_ + f)] += shrink * linearRidge;
    if (sizeBase_ < 0) return;
    for (int f = sizeBase_; f <= sizeBase_ + n_; f++) (*A)[size_t(f * p_ + f)] += shrink;
  }

  // theta from the normal equations A theta = b (A without the shrinkage added yet).
  bool solve(const std::vector<double>& A, const std::vector<double>& b, std::vector<double>* theta, Cholesky* chol) const {
    for (double ridge : kRidges) {
      if (!chol->factor(A, p_, ridge)) continue;
      *theta = b;
      chol->solve(theta->data());
      if (!t_.constrained) return true;
      // KernelSHAP: b = A^-1 y - A^-1 1 (1' A^-1 y - (v(N) - v(empty))) / (1' A^-1 1)
      std::vector<double> z(size_t(p_), 1.0);
      chol->solve(z.data());
      double su = 0, sz = 0;
      for (int i = 0; i < p_; i++) su += (*theta)[size_t(i)], sz += z[size_t(i)];
      if (!(sz > 0)) continue;
      const double lambda = (su - (vFull_ - vEmpty_)) / sz;
      for (int i = 0; i < p_; i++) (*theta)[size_t(i)] -= lambda * z[size_t(i)];
      return true;
    }
    return false;
  }

  // phi(f) plus the exact residual terms of the empty set and N: c_i(N) = 1/n, c_i(empty) = -1/n
  void shapley(const std::vector<double>& theta, std::vector<double>* phi, std::vector<int>* scratch) const {
    const double rFull = vFull_ - predict(theta, full_, scratch), rEmpty = vEmpty_ - predict(theta, 0, scratch);
    phi->assign(size_t(n_), (rFull - rEmpty) / n_);
    for (int i = 0; i < n_; i++) {
      double& x = (*phi)[size_t(i)];
      x += theta[size_t(linearBase_ + i)];
      if (sizeBase_ >= 0) x += (theta[size_t(sizeBase_ + n_)] - theta[size_t(sizeBase_)]) / n_;
    }
  }

 private:
  int n_;
  ProxyTerms t_;
  double vEmpty_, vFull_;
  uint32_t full_;
  int sizeBase_ = -1, linearBase_ = 0, p_ = 0;
};

// Adds w x x' to A and w y x to b for the 0/1 features listed in `active`.
void addRow(const std::vector<int>& active, double w, double y, int p, double* A, double* b) {
  for (int f : active) {
    b[f] += w * y;
    for (int g : active) A[size_t(f) * size_t(p) + size_t(g)] += w;
  }
}

// Everything the estimate and its jackknife replicates are linear in, summed per group:
//   normal equations A, b (of the rows whose weight moves with the group's size),
//   V_i = sum_u e_u sum_{S in u} c_i(S) (v(S) - base),  F_if = sum_u e_u sum_{S in u} c_i(S) [f in S].
struct Sums {
  std::vector<double> A, b, V, F;
  void init(int p, int n) {
    A.assign(size_t(p * p), 0.0);
    b.assign(size_t(p), 0.0);
    V.assign(size_t(n), 0.0);
    F.assign(size_t(n * p), 0.0);
  }
};

class Gregory {
 public:
  Gregory(const PairSample& s, ProxyTerms t)
      : s_(s), n_(s.n), proxy_(s.n, t, s.vEmpty, s.vFull), p_(proxy_.params()),
        w_(semivalueWeights(s.n, ShapleyIndex::Shapley)), full_(fullMask(s.n)) {
    const size_t G = s.groups->size();
    counts_.assign(G, 0);
    for (int g : s.group) counts_[size_t(g)]++;
    units_ = s.masks.size();
    expansion_.resize(units_);
    for (size_t u = 0; u < units_; u++)
      expansion_[u] = expansionWeight((*s.groups)[size_t(s.group[u])], *s.populations, s.stratum[u], counts_[size_t(s.group[u])]);
  }

  void run(DesignEstimate* out) {
    const size_t G = s_.groups->size();
    // rows whose weight does not move: the empty set and N (free fit), and every unit of a free fit
    fixed_.init(p_, n_);
    perGroup_.assign(G, Sums());
    for (Sums& g : perGroup_) g.init(p_, n_);
    if (!proxy_.constrained())
      for (uint32_t m : {uint32_t(0), full_}) {
        proxy_.active(m, &scratch_);
        addRow(scratch_, 1.0, m ? s_.vFull : s_.vEmpty, p_, fixed_.A.data(), fixed_.b.data());
      }
    double weightSum = 2, rows = 2;
    for (size_t u = 0; u < units_; u++) {
      Sums& g = perGroup_[size_t(s_.group[u])];
      unitSums(u, &g, 1.0, proxy_.constrained() ? nullptr : &fixed_);
      weightSum += proxy_.constrained() ? 0 : 2;
      rows += 2;
    }
    shrink_ = proxy_.constrained() ? 0 : weightSum / rows;
    Sums total = fixed_;
    for (const Sums& g : perGroup_) add(&total, g, 1.0);
    std::vector<double> theta;
    Cholesky chol;
    out->units = int64_t(units_);
    if (!proxy_.constrained()) {
      // the proxy's ridge on its linear terms is chosen among a few by the variance it leaves
      const bool leaveOneOut = double(units_) * 8.0 * p_ * p_ <= kJackknifeWork;
      double best = INFINITY;
      for (double ridge : {0.0, 0.5, 2.0, 8.0}) {
        const bool fitted = solveFrom(total, &theta, &chol, ridge);
        if (!fitted) theta.assign(size_t(p_), 0.0);  // no proxy: plain Horvitz-Thompson
        std::vector<std::vector<double>> folds;
        if (fitted && !leaveOneOut) foldFits(total, theta, ridge, &folds);
        DesignEstimate candidate;
        const double v = crossFit(theta, chol, fitted, folds, &candidate);
        if (v < best || (best == INFINITY && out->phi.empty())) {
          best = v;
          *out = candidate;
          out->units = int64_t(units_);
        }
      }
      return;
    }
    if (!solveFrom(total, &theta, &chol)) theta.assign(size_t(p_), 0.0);
    phiOf(total, theta, &out->phi);
    jackknife(total, theta, chol, out);
  }

 private:
  // Adds unit u's rows: normal equations (kernel weight times expansion for the constrained fit)
  // into `eq` or, for a free fit, into `fixedEq`; V and F (times the expansion) into `g`.
  void unitSums(size_t u, Sums* g, double scale, Sums* fixedEq) {
    const double e = expansion_[u] * scale;
    for (int side = 0; side < 2; side++) {
      const uint32_t m = side ? full_ ^ s_.masks[u] : s_.masks[u];
      const double v = s_.values[2 * u + size_t(side)];
      const int s = popcount32(m);
      proxy_.active(m, &scratch_);
      if (proxy_.constrained()) {
        const double kw = e * double(n_ - 1) / (binomial(n_, s) * double(s) * double(n_ - s));
        addRow(scratch_, kw, v - s_.vEmpty, p_, g->A.data(), g->b.data());
      } else if (fixedEq) {
        addRow(scratch_, 1.0, v, p_, fixedEq->A.data(), fixedEq->b.data());
      }
      for (int i = 0; i < n_; i++) {
        const double c = e * ((m >> i) & 1 ? w_[size_t(s - 1)] : -w_[size_t(s)]);
        g->V[size_t(i)] += c * (v - proxy_.base());
        double* F = g->F.data() + size_t(i) * size_t(p_);
        for (int f : scratch_) F[f] += c;
      }
    }
  }

  static void add(Sums* into, const Sums& x, double a) {
    for (size_t k = 0; k < into->A.size(); k++) into->A[k] += a * x.A[k];
    for (size_t k = 0; k < into->b.size(); k++) into->b[k] += a * x.b[k];
    for (size_t k = 0; k < into->V.size(); k++) into->V[k] += a * x.V[k];
    for (size_t k = 0; k < into->F.size(); k++) into->F[k] += a * x.F[k];
  }

  bool solveFrom(const Sums& sums, std::vector<double>* theta, Cholesky* chol, double linearRidge = 0) const {
    std::vector<double> A = sums.A;
    proxy_.addShrinkage(&A, shrink_, linearRidge);
    return proxy_.solve(A, sums.b, theta, chol);
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

  // Stratified delete-one-unit jackknife: each sampled unit left out in turn, its group's other
  // units standing for the group (expansion weights times m / (m - 1)), the proxy refitted.
  // V_i = sum_g fpc_g (m_g - 1) / m_g sum_{u in g} (phi_(u),i - mean_g)^2. Enumerated groups add 0.
  void jackknife(const Sums& total, const std::vector<double>& theta, const Cholesky& chol, DesignEstimate* out) {
    const double work = double(units_) * (proxy_.constrained() ? double(p_) * p_ * p_ : 4.0 * p_ * p_);
    if (work > kJackknifeWork) return linearization(theta, out);
    std::vector<std::vector<double>> reps(perGroup_.size());
    std::vector<double> phi, thetaU;
    for (size_t g = 0; g < perGroup_.size(); g++) {
      const int64_t m = counts_[g];
      const Group& G = (*s_.groups)[g];
      if (m < 2 || (G.strata.size() == 1 && double(m) >= G.population)) continue;
      const double r = double(m) / double(m - 1);
      for (size_t u = 0; u < units_; u++) {
        if (size_t(s_.group[u]) != g) continue;
        Sums unit;
        unit.init(p_, n_);
        unitSums(u, &unit, 1.0, nullptr);
        // the sums without u: the group's other units scaled by m / (m - 1)
        Sums rest = total;
        add(&rest, perGroup_[g], r - 1.0);
        add(&rest, unit, -r);
        if (proxy_.constrained()) {
          Cholesky c;
          if (!solveFrom(rest, &thetaU, &c)) thetaU = theta;
        } else {
          leaveOut(u, theta, chol, &thetaU);  // a free fit's weights do not move: remove u's rows
        }
        phiOf(rest, thetaU, &phi);
        reps[g].insert(reps[g].end(), phi.begin(), phi.end());
      }
    }
    jackknifeErrors(*s_.groups, counts_, reps, n_, out);
  }

  // 'regression-adjusted', cross-fitted: each sampled pair's residual comes from the proxy fitted
  // without it (leave-one-out, by Woodbury; for very large samples, without its fold), so the
  // correction is not biased by the fit having seen the pair. Per group g of m pairs, each pair u gives
  //   q_u = (N_k / selectProb_k) sum_{S in u} c_i(S) (v(S) - f_-u(S)) + T_g(f_-u),
  // T_g(f) the sum of c_i(S) f(S) over the whole group (closed form for a linear proxy; the size
  // offsets drop out), and the group's share is mean(q) with variance fpc s^2(q) / m. Fully
  // enumerated groups add their exact sum; v(empty) and v(N) add (v(N) - v(empty)) / n.
  // Returns the sum over players of the estimated variances.
  // Large samples: kFolds proxies, each fitted without one fold (units u with u % kFolds == f).
  void foldFits(const Sums& total, const std::vector<double>& theta, double ridge, std::vector<std::vector<double>>* folds) {
    std::vector<Sums> out(kFolds);
    for (Sums& f : out) f.init(p_, 0);
    for (size_t u = 0; u < units_; u++)
      for (int side = 0; side < 2; side++) {
        const uint32_t m = side ? full_ ^ s_.masks[u] : s_.masks[u];
        proxy_.active(m, &scratch_);
        Sums& f = out[u % kFolds];
        addRow(scratch_, 1.0, s_.values[2 * u + size_t(side)], p_, f.A.data(), f.b.data());
      }
    folds->assign(kFolds, theta);
    for (int f = 0; f < kFolds; f++) {
      Sums rest = total;
      for (size_t k = 0; k < rest.A.size(); k++) rest.A[k] -= out[size_t(f)].A[k];
      for (size_t k = 0; k < rest.b.size(); k++) rest.b[k] -= out[size_t(f)].b[k];
      Cholesky c;
      if (!solveFrom(rest, &(*folds)[size_t(f)], &c, ridge)) (*folds)[size_t(f)] = theta;
    }
  }

  double crossFit(const std::vector<double>& theta, const Cholesky& chol, bool fitted,
                  const std::vector<std::vector<double>>& folds, DesignEstimate* out) {
    const int n = n_;
    out->phi.assign(size_t(n), (s_.vFull - s_.vEmpty) / n);
    const size_t nn = size_t(n);
    std::vector<double> variance(nn, 0.0), dfDen(nn, 0.0), q, thetaU, y(nn);
    bool unknown = false;
    for (size_t g = 0; g < perGroup_.size(); g++) {
      const Group& G = (*s_.groups)[g];
      const int64_t m = counts_[g];
      const bool complete = G.strata.size() == 1 && double(m) >= G.population;
      if (m == 0) {
        groupProxyTotal(g, theta, &y);
        for (int i = 0; i < n; i++) out->phi[size_t(i)] += y[size_t(i)];
        unknown = unknown || G.population > 0;
        continue;
      }
      q.clear();
      for (size_t u = 0; u < units_; u++) {
        if (size_t(s_.group[u]) != g) continue;
        if (complete) {  // the exact sum of c_i(S) v(S) over the group
          residualTerms(u, nullptr, 1.0, &y);
          for (int i = 0; i < n; i++) out->phi[size_t(i)] += y[size_t(i)];
          continue;
        }
        if (!folds.empty()) thetaU = folds[u % kFolds];
        else if (fitted) leaveOut(u, theta, chol, &thetaU);
        else thetaU = theta;
        residualTerms(u, &thetaU, expansionWeight(G, *s_.populations, s_.stratum[u], 1), &y);
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

  // scale * sum_{S in u} c_i(S) (v(S) - f_theta(S)) (f = 0 when theta is null)
  void residualTerms(size_t u, const std::vector<double>* theta, double scale, std::vector<double>* y) {
    std::fill(y->begin(), y->end(), 0.0);
    for (int side = 0; side < 2; side++) {
      const uint32_t m = side ? full_ ^ s_.masks[u] : s_.masks[u];
      const int s = popcount32(m);
      const double r = s_.values[2 * u + size_t(side)] - (theta ? proxy_.predict(*theta, m, &scratch_) : 0.0);
      for (int i = 0; i < n_; i++) (*y)[size_t(i)] += scale * ((m >> i) & 1 ? w_[size_t(s - 1)] : -w_[size_t(s)]) * r;
    }
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

  // For samples too large to jackknife: the Horvitz-Thompson variance of the residual terms.
  void linearization(const std::vector<double>& theta, DesignEstimate* out) {
    out->standardError.assign(size_t(n_), 0.0);
    GroupTotals spread(*s_.groups, *s_.populations, n_);
    const size_t nn = size_t(n_);
    std::vector<double> y(nn), total(nn), variance(nn), df(nn);
    for (size_t u = 0; u < units_; u++) {
      std::fill(y.begin(), y.end(), 0.0);
      for (int side = 0; side < 2; side++) {
        const uint32_t m = side ? full_ ^ s_.masks[u] : s_.masks[u];
        const int s = popcount32(m);
        const double r = s_.values[2 * u + size_t(side)] - proxy_.predict(theta, m, &scratch_);
        for (int i = 0; i < n_; i++) y[size_t(i)] += ((m >> i) & 1 ? w_[size_t(s - 1)] : -w_[size_t(s)]) * r;
      }
      spread.add(s_.group[u], s_.stratum[u], y.data());
    }
    spread.finish(total.data(), variance.data(), df.data());
    for (int i = 0; i < n_; i++)
      out->standardError[size_t(i)] = variance[size_t(i)] > 0 ? std::sqrt(variance[size_t(i)]) * tWidening(df[size_t(i)]) : 0.0;
  }

  const PairSample& s_;
  int n_;
  Proxy proxy_;
  int p_;
  std::vector<double> w_;
  uint32_t full_;
  size_t units_ = 0;
  std::vector<int64_t> counts_;
  std::vector<double> expansion_;
  Sums fixed_;
  std::vector<Sums> perGroup_;
  double shrink_ = 0;
  std::vector<int> scratch_;
};

}  // namespace

void regressionEstimate(const PairSample& sample, ProxyTerms terms, DesignEstimate* out) {
  Gregory(sample, terms).run(out);
}

void standardErrors(const std::vector<double>& variance, const std::vector<double>& dfDen, bool unknown, int n,
                    DesignEstimate* out) {
  out->standardError.assign(size_t(n), unknown ? INFINITY : 0.0);
  if (unknown) return;
  for (int i = 0; i < n; i++) {
    const double v = variance[size_t(i)];
    const double df = dfDen[size_t(i)] > 0 ? v * v / dfDen[size_t(i)] : INFINITY;
    out->standardError[size_t(i)] = v > 0 ? std::sqrt(v) * tWidening(df) : 0.0;
  }
}

void jackknifeErrors(const std::vector<Group>& groups, const std::vector<int64_t>& counts,
                     const std::vector<std::vector<double>>& reps, int n, DesignEstimate* out) {
  std::vector<double> variance(size_t(n), 0.0), dfDen(size_t(n), 0.0);
  bool unknown = false;
  for (size_t g = 0; g < groups.size(); g++) {
    const Group& G = groups[g];
    const int64_t m = counts[g];
    const bool single = G.strata.size() == 1;
    if (single && double(m) >= G.population) continue;  // enumerated: exact
    if (m < 2) {                                         // a sampled group with < 2 units
      unknown = unknown || G.population > 0;
      continue;
    }
    const std::vector<double>& r = reps[g];
    const int64_t R = int64_t(r.size()) / n;  // replicates: m (delete one) or fewer (delete a part)
    if (R < 2) continue;
    const double fpc = single ? std::max(0.0, 1.0 - double(m) / G.population) : 1.0;
    for (int i = 0; i < n; i++) {
      double mean = 0, ss = 0;
      for (int64_t k = 0; k < R; k++) mean += r[size_t(k * n + i)];
      mean /= double(R);
      for (int64_t k = 0; k < R; k++) ss += (r[size_t(k * n + i)] - mean) * (r[size_t(k * n + i)] - mean);
      const double v = fpc * double(R - 1) / double(R) * ss;
      variance[size_t(i)] += v;
      dfDen[size_t(i)] += v * v / double(R - 1);
    }
  }
  standardErrors(variance, dfDen, unknown, n, out);
}

}  // namespace infogain
