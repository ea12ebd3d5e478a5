// SAR (self-aligned reward, compute_ppl_qa_log): how much the question lowers the answer's perplexity.
#include <cmath>

#include "reward_shaping.h"
#include "token_layout.h"

namespace infogain {

Status sarRewards(const float* conditioned, const float* unconditioned, int64_t n, const SarOptions& o, float* out) {
  if (n < 1) return rangeError(codes::kShape, "conditioned", -1, "conditioned is empty");
  if (!o.useComparison && o.useDenominator)
    return rangeError(codes::kRange, "useDenominator", -1, "useComparison: false needs useDenominator: false (-QA + 5)");
  if (!std::isfinite(o.clipValue)) return rangeError(codes::kRange, "clipValue", -1, "clipValue must be finite");
  Status st = checkFinite(conditioned, n, "conditioned");
  if (st.ok()) st = checkFinite(unconditioned, n, "unconditioned");
  if (!st.ok()) return st;
  // perplexity = exp(-mean log-prob); its log is -mean log-prob
  auto term = [&](float meanLogprob) {
    const double x = o.useLog ? -double(meanLogprob) : std::exp(-double(meanLogprob));
    return o.clipValue > 1 ? std::fmin(x, o.clipValue) : x;
  };
  for (int64_t i = 0; i < n; i++) {
    const double qa = term(conditioned[i]), a = term(unconditioned[i]);
    double r;
    if (!o.useComparison) {
      r = -qa + 5;
    } else if (o.useDenominator) {
      r = (a - qa) / (a + 1e-9);
      if (r < -1) r = -1;
    } else {
      r = a - qa;
    }
    out[i] = float(r);
  }
  return Status::Ok();
}

}  // namespace infogain
