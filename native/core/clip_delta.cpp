// Clip and Delta refinement of process rewards (Gao et al., 2410.15115): both bound the return a
// policy can collect by repeating steps. Clip: min(r - eta, 0). Delta: r_k - r_{k+1}.
#include <cmath>

#include "reward_shaping.h"
#include "token_layout.h"

namespace infogain {

Status clipDeltaRewards(const float* rewards, int64_t steps, const int32_t* stepOffsets, int64_t trajectories,
                        const ClipDeltaOptions& o, float* out) {
  if (!std::isfinite(o.eta)) return rangeError(codes::kRange, "eta", -1, "eta must be finite");
  if (steps < 1) return rangeError(codes::kShape, "rewards", -1, "rewards is empty");
  if (trajectories < 1) return rangeError(codes::kShape, "stepOffsets", -1, "stepOffsets holds no trajectory");
  Status st = checkFinite(rewards, steps, "rewards");
  if (st.ok()) st = checkOffsets(stepOffsets, trajectories, steps, "stepOffsets");
  if (!st.ok()) return st;
  const bool clip = o.mode != ProcessRewardMode::Delta;
  auto value = [&](int64_t s) { return clip ? std::fmin(double(rewards[s]) - o.eta, 0.0) : double(rewards[s]); };
  for (int64_t i = 0; i < trajectories; i++) {
    const int64_t b = stepOffsets[i], e = stepOffsets[i + 1];
    for (int64_t s = b; s < e; s++) {
      if (o.mode == ProcessRewardMode::Clip)
        out[s] = float(value(s));
      else if (s + 1 < e)
        out[s] = float(value(s) - value(s + 1));
      else  // the last step: the paper's figure drops it, so returns telescope to r_k - r_K
        out[s] = o.lastStep == DeltaLastStep::Zero ? 0.0f : float(value(s));
    }
  }
  return Status::Ok();
}

}  // namespace infogain
