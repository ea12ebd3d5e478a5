// The 97.5% quantile of Student's t, for intervals phi +- 1.96 stderr that keep 95% coverage when
// the standard error comes from few sampling units.
#pragma once

namespace infogain {

// t_{0.975}(df) for real df >= 1 (df < 1 gives +inf, an infinite df gives 1.959964).
double tQuantile975(double df);

// The factor t_{0.975}(df) / 1.959964 by which a standard error is widened.
double tWidening(double df);

}  // namespace infogain
