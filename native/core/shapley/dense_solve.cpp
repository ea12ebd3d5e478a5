#include "dense_solve.h"

#include <cmath>

namespace infogain {

bool Cholesky::factor(const std::vector<double>& A, int p, double ridge) {
  p_ = p;
  L_ = A;
  double meanDiag = 0;
  for (int i = 0; i < p; i++) meanDiag += A[size_t(i * p + i)];
  meanDiag = p > 0 ? meanDiag / p : 1;
  if (!(meanDiag > 0)) meanDiag = 1;
  for (int i = 0; i < p; i++) L_[size_t(i * p + i)] += ridge * meanDiag;
  for (int j = 0; j < p; j++) {
    double d = L_[size_t(j * p + j)];
    for (int k = 0; k < j; k++) d -= L_[size_t(j * p + k)] * L_[size_t(j * p + k)];
    if (!(d > 1e-300) || !std::isfinite(d)) return false;
    const double ljj = std::sqrt(d);
    L_[size_t(j * p + j)] = ljj;
    for (int i = j + 1; i < p; i++) {
      double s = L_[size_t(i * p + j)];
      for (int k = 0; k < j; k++) s -= L_[size_t(i * p + k)] * L_[size_t(j * p + k)];
      L_[size_t(i * p + j)] = s / ljj;
    }
  }
  return true;
}

void Cholesky::solve(double* b) const {
  const int p = p_;
  for (int i = 0; i < p; i++) {  // L y = b
    double s = b[i];
    for (int k = 0; k < i; k++) s -= L_[size_t(i * p + k)] * b[k];
    b[i] = s / L_[size_t(i * p + i)];
  }
  for (int i = p - 1; i >= 0; i--) {  // L^T x = y
    double s = b[i];
    for (int k = i + 1; k < p; k++) s -= L_[size_t(k * p + i)] * b[k];
    b[i] = s / L_[size_t(i * p + i)];
  }
}

double Cholesky::inverseQuadratic(const double* x) const {
  const int p = p_;
  std::vector<double> y(x, x + p);
  double q = 0;
  for (int i = 0; i < p; i++) {
    double s = y[size_t(i)];
    for (int k = 0; k < i; k++) s -= L_[size_t(i * p + k)] * y[size_t(k)];
    y[size_t(i)] = s / L_[size_t(i * p + i)];
    q += y[size_t(i)] * y[size_t(i)];
  }
  return q;
}

}  // namespace infogain
