// Small dense symmetric positive definite solves (the normal equations of the Shapley regressions).
#pragma once
#include <vector>

namespace infogain {

// A = L L^T for a p x p row-major symmetric positive definite A.
class Cholesky {
 public:
  // Factors A plus a diagonal ridge of `ridge` times its mean diagonal. False when A is not
  // positive definite even then.
  bool factor(const std::vector<double>& A, int p, double ridge);
  // b <- A^-1 b
  void solve(double* b) const;
  // x' A^-1 x
  double inverseQuadratic(const double* x) const;
  int size() const { return p_; }

 private:
  std::vector<double> L_;
  int p_ = 0;
};

}  // namespace infogain
