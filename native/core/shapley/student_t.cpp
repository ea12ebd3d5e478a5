#include "student_t.h"

#include <cmath>

namespace infogain {

namespace {
// t_{0.975} at df = 1..30, then 40, 60, 120 (standard tables)
constexpr double kSmall[30] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                               2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                               2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
constexpr double kZ = 1.959964;
}  // namespace

double tQuantile975(double df) {
  if (!(df >= 1)) return INFINITY;
  if (std::isinf(df)) return kZ;
  // linear in 1/df between tabulated points (the quantile is nearly linear in 1/df)
  struct Point { double df, t; };
  static const Point kTail[] = {{30, 2.0423}, {40, 2.0211}, {60, 2.0003}, {120, 1.9799}};
  if (df <= 30) {
    int lo = int(std::floor(df));
    if (lo >= 30) return kSmall[29];
    double a = 1.0 / lo, b = 1.0 / (lo + 1), x = 1.0 / df;
    return kSmall[lo - 1] + (kSmall[lo] - kSmall[lo - 1]) * (a - x) / (a - b);
  }
  for (int k = 0; k + 1 < 4; k++) {
    if (df <= kTail[k + 1].df) {
      double a = 1.0 / kTail[k].df, b = 1.0 / kTail[k + 1].df, x = 1.0 / df;
      return kTail[k].t + (kTail[k + 1].t - kTail[k].t) * (a - x) / (a - b);
    }
  }
  double a = 1.0 / 120, x = 1.0 / df;
  return kZ + (1.9799 - kZ) * x / a;
}

double tWidening(double df) { return tQuantile975(df) / kZ; }

}  // namespace infogain
