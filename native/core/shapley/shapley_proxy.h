// The proxy games of the regression estimators (shapley_kernelshap.cpp, shapley_regression.cpp):
//   constrained (KernelSHAP): f(S) = v(empty) + sum_{j in S} b_j, with sum b = v(N) - v(empty);
//   free: f(S) = a + sum_{j in S} b_j [+ d_|S|, one offset per size].
// Their Shapley values are closed-form: phi_i(f) = b_i (+ (d_n - d_0) / n).
#pragma once
#include <cstdint>
#include <vector>

#include "bits.h"
#include "dense_solve.h"

namespace infogain {

struct ProxyTerms {
  bool constrained = false;  // KernelSHAP's fit: f(S) = v(empty) + sum b_j with sum b = v(N) - v(empty)
  bool bySize = false;       // one offset per coalition size, shrunk toward 0
};

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
    // ridges (relative to the mean diagonal) tried in turn until the normal equations factor
    for (double ridge : {1e-10, 1e-7, 1e-4, 1e-1}) {
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
static inline void addRow(const std::vector<int>& active, double w, double y, int p, double* A, double* b) {
  for (int f : active) {
    b[f] += w * y;
    for (int g : active) A[size_t(f) * size_t(p) + size_t(g)] += w;
  }
}

}  // namespace infogain
