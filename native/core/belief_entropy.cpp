#include "belief_entropy.h"

#include <cmath>
#include <string>
#include <vector>

#include "candidate_softmax.h"
#include "chunks.h"
#include "first_bad.h"
#include "ragged.h"

namespace infogain {
namespace {

// Every step of a rollout holds the attributes of the rollout's first step, in the same order and
// with the same number of candidates: the entropy sum then changes only through the beliefs.
Status checkSameAttributes(const Ragged& candidates, const Ragged& steps, const Ragged& rollouts) {
  for (int64_t r = 0; r < rollouts.count(); r++) {
    if (rollouts.size(r) == 0) continue;
    const int64_t first = rollouts.begin(r);
    for (int64_t s = first + 1; s < rollouts.end(r); s++) {
      if (steps.size(s) != steps.size(first))
        return rangeError(codes::kShape, "steps", s,
                          "step " + std::to_string(s) + " has " + std::to_string(steps.size(s)) + " attributes, the first step of its rollout (" +
                              std::to_string(first) + ") " + std::to_string(steps.size(first)));
      for (int64_t k = 0; k < steps.size(s); k++) {
        const int64_t b = steps.begin(s) + k, b0 = steps.begin(first) + k;
        if (candidates.size(b) != candidates.size(b0))
          return rangeError(codes::kShape, "candidates", b,
                            "belief " + std::to_string(b) + " (attribute " + std::to_string(k) + " of step " + std::to_string(s) + ") has " +
                                std::to_string(candidates.size(b)) + " candidates, the same attribute at step " +
                                std::to_string(first) + " " + std::to_string(candidates.size(b0)));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status beliefEntropyGain(const BeliefEntropyInput& in, const BeliefEntropyOutput& out) {
  if (!(in.temperature > 0.0) || !std::isfinite(in.temperature))
    return rangeError(codes::kRange, "temperature", -1, "temperature must be a finite number > 0");
  if (!in.candidates) return rangeError(codes::kShape, "candidates", -1, "candidates (offsets) are required");
  Ragged candidates, steps, rollouts;
  Status st = readRagged(in.candidates, in.beliefs, in.length, "candidates", false, &candidates);
  if (st.ok()) st = readRagged(in.steps, in.stepCount, in.beliefs, "steps", true, &steps);
  if (st.ok()) st = readRagged(in.rollouts, in.rolloutCount, steps.count(), "rollouts", false, &rollouts);
  if (!st.ok()) return st;
  for (int64_t b = 0; b < candidates.count(); b++)
    if (candidates.size(b) == 0)
      return rangeError(codes::kShape, "candidates", b, "belief " + std::to_string(b) + " has no candidates");
  if (!(st = checkSameAttributes(candidates, steps, rollouts)).ok()) return st;

  // each belief: softmax, probabilities out, entropy
  std::vector<double> entropy(size_t(candidates.count()));
  FirstBad firstBad(candidates.count());
  forChunks(candidates.count(), 256, [&](int64_t, int64_t first, int64_t last) {
    std::vector<double> e;  // exp(z) of one belief's candidates: one exp per candidate
    for (int64_t b = first; b < last; b++) {
      CandidateSoftmax sm;
      int64_t bad;
      e.resize(size_t(candidates.size(b)));
      if (!candidateSoftmax(in.candidateLogits, candidates.begin(b), candidates.end(b), in.temperature, &sm, &bad, e.data())) {
        firstBad.report(b);
        return;
      }
      for (int64_t j = candidates.begin(b); j < candidates.end(b); j++) out.beliefs[j] = float(e[size_t(j - candidates.begin(b))] / sm.sum);
      entropy[size_t(b)] = sm.entropy();
    }
  });
  if (firstBad.get() < candidates.count()) {
    const int64_t b = firstBad.get();
    CandidateSoftmax sm;
    int64_t bad = -1;
    candidateSoftmax(in.candidateLogits, candidates.begin(b), candidates.end(b), in.temperature, &sm, &bad);
    return candidateError("candidateLogits", in.candidateLogits, candidates.begin(b), bad, "belief " + std::to_string(b));
  }

  // steps and rollouts: sums and differences in float64
  std::vector<double> stepEntropy(size_t(steps.count()));
  for (int64_t s = 0; s < steps.count(); s++) {
    double sum = 0.0;
    for (int64_t b = steps.begin(s); b < steps.end(s); b++) {
      sum += entropy[size_t(b)];
      out.entropies[b] = float(entropy[size_t(b)]);
      out.attributeGains[b] = 0.0f;
    }
    stepEntropy[size_t(s)] = sum;
    out.stepEntropies[s] = float(sum);
  }
  for (int64_t r = 0; r < rollouts.count(); r++) {
    double total = 0.0;
    for (int64_t s = rollouts.begin(r); s < rollouts.end(r); s++) {
      const bool first = s == rollouts.begin(r);
      const double gain = first ? 0.0 : stepEntropy[size_t(s - 1)] - stepEntropy[size_t(s)];
      out.gains[s] = float(gain);
      out.hasGain[s] = first ? 0 : 1;
      total += gain;
      if (first) continue;
      for (int64_t k = 0; k < steps.size(s); k++) {
        const int64_t b = steps.begin(s) + k, before = steps.begin(s - 1) + k;
        out.attributeGains[b] = float(entropy[size_t(before)] - entropy[size_t(b)]);
      }
    }
    out.returns[r] = float(total);
  }
  return Status::Ok();
}

}  // namespace infogain
