// Digamma for positive arguments (InSight's Beta-posterior entropy): recurrence up to x >= 10,
// then the asymptotic series; about 1e-15 relative error. Thread-safe (no global state).
// NaN for x <= 0 or NaN.
#pragma once
#include <cmath>

namespace infogain {

inline double digamma(double x) {
  // outside the domain: NaN, and no endless recurrence (-inf + 1 is -inf). Callers check x > 0, but
  // data in a SharedArrayBuffer can change after the check (native/node/call_inputs.h).
  if (!(x > 0)) return NAN;
  double shift = 0;
  for (; x < 10; x += 1) shift -= 1 / x;
  const double r = 1 / (x * x);
  return shift + std::log(x) - 0.5 / x -
         r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r * (1.0 / 132)))));
}

}  // namespace infogain
