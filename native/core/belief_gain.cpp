#include "belief_gain.h"

#include <cmath>

namespace infogain {

Status beliefGain(const BeliefGainInput& in, const BeliefGainOutput& out) {
  if (int32_t(in.mode) < 0 || int32_t(in.mode) > 1) return rangeError(codes::kRange, "mode", -1, "mode is not a mode code");
  Status st = checkSpans(in.steps, in.length, "spans", false);
  if (!st.ok()) return st;
  if (in.rollouts && !(st = checkOffsets(in.rollouts, in.rolloutCount, in.steps.count, "rollouts")).ok()) return st;

  for (int64_t r = 0; r < in.rolloutCount; r++) {
    const int64_t first = in.rollouts ? in.rollouts[r] : 0;
    const int64_t last = in.rollouts ? in.rollouts[r + 1] : in.steps.count;
    bool hasBaseline = false;
    double baseline = 0.0;
    for (int64_t s = first; s < last; s++) {
      double sum = 0.0;
      for (int64_t j = in.steps.start(s); j < in.steps.end(s); j++) sum += in.logprobs[j];
      const int64_t n = in.steps.end(s) - in.steps.start(s);
      const double v = n > 0 ? sum / double(n) : NAN;
      const double value = in.mode == BeliefMode::Prob ? std::exp(v) : v;
      out.beliefs[s] = float(v);
      out.gains[s] = 0.0f;
      out.hasGain[s] = 0;
      out.skipped[s] = !std::isfinite(v) || !std::isfinite(value);
      if (out.skipped[s]) continue;  // the baseline stays the last kept value
      if (s == first) {
        hasBaseline = true;  // the prior
      } else if (hasBaseline) {
        const double gain = value - baseline;
        if (!std::isfinite(gain)) {
          out.skipped[s] = 1;
          continue;
        }
        out.gains[s] = float(gain);
        out.hasGain[s] = 1;
      }
      baseline = value;
    }
  }
  return Status::Ok();
}

}  // namespace infogain
