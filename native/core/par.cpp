// PAR (preference-as-reward shaping, reward_shaper.py with --reward_sigmoid --reward_relative).
#include <cmath>
#include <string>

#include "reward_shaping.h"
#include "token_layout.h"

namespace infogain {

static double sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

static Status checkPar(const ParInput& in, const ParOptions& o) {
  if (!std::isfinite(o.k)) return rangeError(codes::kRange, "k", -1, "k must be finite");
  if (o.maxReferences < 1) return rangeError(codes::kRange, "maxReferences", -1, "maxReferences must be >= 1");
  if (!std::isfinite(o.lengthThreshold) || !std::isfinite(o.lengthPenalty))
    return rangeError(codes::kRange, "lengthPenalty", -1, "lengthThreshold and lengthPenalty must be finite");
  if (in.n < 1) return rangeError(codes::kShape, "rewards", -1, "rewards is empty");
  Status st = checkFinite(in.rewards, in.n, "rewards");
  if (st.ok()) st = checkFinite(in.references, in.numReferences, "references");
  if (!st.ok()) return st;
  if (in.referenceOffsets) {
    st = checkOffsets(in.referenceOffsets, in.n, in.numReferences, "referenceOffsets");
    if (!st.ok()) return st;
    for (int64_t i = 0; i < in.n; i++)
      if (in.referenceOffsets[i + 1] == in.referenceOffsets[i])
        return rangeError(codes::kShape, "referenceOffsets", i, "sample " + std::to_string(i) + " has no reference");
  } else if (in.numReferences == 0 || in.numReferences % in.n != 0) {
    return rangeError(codes::kShape, "references", -1,
                      std::to_string(in.numReferences) + " references are not a whole number (>= 1) per sample for " +
                          std::to_string(in.n) + " samples");
  }
  if (in.lengths)
    for (int64_t i = 0; i < in.n; i++)
      if (in.lengths[i] < 0) return rangeError(codes::kRange, "lengths", i, "lengths[" + std::to_string(i) + "] is negative");
  return Status::Ok();
}

Status parRewards(const ParInput& in, const ParOptions& o, float* out) {
  Status st = checkPar(in, o);
  if (!st.ok()) return st;
  const int64_t each = in.referenceOffsets ? 0 : in.numReferences / in.n;
  for (int64_t i = 0; i < in.n; i++) {
    double r = in.rewards[i];
    if (in.lengths && in.lengths[i] > o.lengthThreshold) r -= o.lengthPenalty * (in.lengths[i] - o.lengthThreshold);
    const int64_t b = in.referenceOffsets ? in.referenceOffsets[i] : i * each;
    int64_t e = in.referenceOffsets ? in.referenceOffsets[i + 1] : (i + 1) * each;
    if (e - b > o.maxReferences) e = b + o.maxReferences;
    double sum = 0;
    for (int64_t j = b; j < e; j++) sum += sigmoid(o.k * (r - double(in.references[j])));
    out[i] = float(sum / double(e - b));
  }
  return Status::Ok();
}

}  // namespace infogain
