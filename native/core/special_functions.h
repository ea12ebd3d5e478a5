// Digamma for positive arguments (InSight's Beta-posterior entropy): recurrence up to x >= 10,
// then the asymptotic series; about 1e-15 relative error. Thread-safe (no global state).
#pragma once
#include <cmath>

namespace infogain {

inline double digamma(double x) {
  double shift = 0;
  for (; x < 10; x += 1) shift -= 1 / x;
  const double r = 1 / (x * x);
  return shift + std::log(x) - 0.5 / x -
         r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r * (1.0 / 132)))));
}

}  // namespace infogain
