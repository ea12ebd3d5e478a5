#include "advantages.h"

#include <cmath>
#include <string>

#include "chunks.h"
#include "slot_moments.h"
#include "token_layout.h"

namespace infogain {
namespace {

constexpr int64_t kChunk = 1 << 16;
constexpr int64_t kSlotChunk = 1 << 14;

// Per-slot arrays reused across calls on this thread (a fresh 100K-group vector per call costs
// its zero-fill and page faults, which on 1M scores is a good part of the call). Calls over more
// than kKeepSlots slots use arrays of their own, so no thread keeps hundreds of MiB.
struct Affine {
  double mean, scale;
};
struct Center {
  double mean, std;
};
struct Scratch {
  std::vector<Moments> moments;
  std::vector<Center> centers;
  std::vector<Affine> affine;
};
constexpr int64_t kKeepSlots = int64_t(1) << 18;  // ~14 MiB of scratch a thread keeps; larger calls allocate their own
template <class T>
T* atLeast(std::vector<T>& kept, std::vector<T>& own, int64_t n) {
  std::vector<T>& v = n <= kKeepSlots ? kept : own;
  if (int64_t(v.size()) < n) v.resize(size_t(n));
  return v.data();
}
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// A group's center and scale after the singleton rule.

Center centerOf(const Moments& m, const GroupAdvantagesOptions& o) {
  if (m.count == 1) return o.singleton == Singleton::Verl ? Center{0.0, 1.0} : Center{m.mean, NAN};
  return {m.mean, o.std == StdKind::Unbiased ? m.unbiasedStd() : m.populationStd()};
}

Status singletonError(const char* method, int64_t sample) {
  return rangeError(codes::kShape, "groups", sample,
                    std::string(method) + " needs at least 2 samples per group; sample " + std::to_string(sample) +
                        " is alone in its group");
}

// reinforce++-baseline: group-centered scores, then whitened over the batch (weighted by token counts).
Status whiten(const float* scores, int64_t n, const GroupIndex& index, const Center* centers,
              const GroupAdvantagesOptions& o, float* out) {
  auto centered = [&](int64_t i) { return double(scores[i]) - centers[size_t(index.slotOf[i])].mean; };
  auto weight = [&](int64_t i) { return o.tokenCounts ? double(o.tokenCounts[i]) : 1.0; };
  const Moments batch = groupMoments(1, [&](auto&& add) {
    for (int64_t i = 0; i < n; i++) add(0, centered(i), weight(i));
  })[0];
  if (batch.count < 2)
    return rangeError(codes::kShape, o.tokenCounts ? "tokenCounts" : "scores", -1,
                      "reinforce++-baseline whitens over the batch and needs a total weight of at least 2");
  const double scale = 1.0 / std::sqrt(batch.m2 / (batch.count - 1) + o.whitenEps);
  forChunks(n, kChunk, [&](int64_t, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) out[i] = float((centered(i) - batch.mean) * scale);
  });
  return Status::Ok();
}

// pass@k: only each group's best sample gets (best - second best), over the std if asked.
void passK(const float* scores, int64_t n, const GroupIndex& index, const Center* centers,
           const GroupAdvantagesOptions& o, float* out) {
  std::vector<double> best(size_t(index.slots), -INFINITY), second(size_t(index.slots), -INFINITY);
  std::vector<int64_t> winner(size_t(index.slots), -1);
  for (int64_t i = 0; i < n; i++) {
    const size_t s = size_t(index.slotOf[i]);
    const double x = scores[i];
    if (x > best[s]) {
      second[s] = best[s];
      best[s] = x;
      winner[s] = i;  // the first of tied maxima; a tie gives 0 anyway
    } else if (x > second[s]) {
      second[s] = x;
    }
    out[i] = 0.0f;
  }
  for (size_t s = 0; s < best.size(); s++) {
    if (winner[s] < 0) continue;
    double a = best[s] - second[s];
    if (o.normalizeByStd) a /= centers[s].std + o.eps;
    out[winner[s]] = float(a);
  }
}

// pairsFor: the name of a method that needs every group to hold at least two samples, or null.
Status estimate(const float* scores, int64_t n, const GroupIndex& index, const GroupAdvantagesOptions& o,
                const char* pairsFor, const char* scoresName, float* out, GroupStats* stats) {
  std::vector<Moments> ownMoments;
  std::vector<Affine> ownAffine;
  Moments* m = atLeast(scratch().moments, ownMoments, index.slots);
  if (!slotMoments(scores, n, index, m)) {
    Status bad = checkFinite(scores, n, scoresName);  // names the first bad score
    // finite now but not when the moments read them: a SharedArrayBuffer written meanwhile (README's "an
    // error"; not ERR_INFOGAIN_INTERNAL, which says infogain has a bug); out is unwritten
    return bad.ok() ? rangeError(codes::kNonFinite, scoresName, -1,
                                 std::string(scoresName) + " held a non-finite value while groupAdvantages read it, finite when checked again: "
                                                           "it changed during the call (a SharedArrayBuffer written meanwhile)")
                    : bad;
  }
  if (pairsFor) {
    bool lone = false;
    for (int64_t s = 0; s < index.slots; s++) lone = lone || m[s].count == 1;
    if (lone)  // the first sample alone in its group, for the error
      for (int64_t i = 0; i < n; i++)
        if (m[size_t(index.slotOf[i])].count == 1) return singletonError(pairsFor, i);
  }
  // per slot, in parallel: the center (one sqrt), and for grpo, drgrpo and rloo, which are all
  // (x - mean) * scale per group, the affine map
  std::vector<Center> ownCenters;
  Center* centers = atLeast(scratch().centers, ownCenters, index.slots);
  const bool affineOut = o.estimator != Estimator::ReinforcePPBaseline && o.estimator != Estimator::PassK;
  Affine* affine = affineOut ? atLeast(scratch().affine, ownAffine, index.slots) : nullptr;
  forChunks(index.slots, kSlotChunk, [&](int64_t, int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; s++) {
      const Center c = centerOf(m[s], o);
      centers[s] = c;
      if (!affineOut) continue;
      const double k = m[s].count;
      if (o.estimator == Estimator::Rloo)  // s_i - mean of the others = (s_i - mean) G / (G - 1); verl leaves a lone sample
        affine[s] = k > 1 ? Affine{m[s].mean, k / (k - 1)} : Affine{0.0, o.singleton == Singleton::Verl ? 1.0 : NAN};
      else
        affine[s] = {c.mean, o.estimator == Estimator::Grpo && o.normalizeByStd ? 1.0 / (c.std + o.eps) : 1.0};
    }
  });
  stats->collect(index, [&](int64_t s) { return m[size_t(s)].count; });
  forChunks(int64_t(stats->slots.size()), kSlotChunk, [&](int64_t, int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; k++) {
      const Center& c = centers[size_t(stats->slots[size_t(k)])];
      stats->mean[size_t(k)] = float(c.mean);
      stats->std[size_t(k)] = float(c.std);
    }
  });
  if (o.estimator == Estimator::ReinforcePPBaseline) return whiten(scores, n, index, centers, o, out);
  if (o.estimator == Estimator::PassK) {
    passK(scores, n, index, centers, o, out);
    return Status::Ok();
  }
  forChunks(n, kChunk, [&](int64_t, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      const Affine& a = affine[size_t(index.slotOf[i])];
      out[i] = float((double(scores[i]) - a.mean) * a.scale);
    }
  });
  return Status::Ok();
}

}  // namespace

Status groupAdvantages(const float* scores, int64_t n, const Grouping& grouping, const GroupAdvantagesOptions& opt,
                       float* out, GroupStats* stats) {
  if (n < 1) return rangeError(codes::kShape, "scores", -1, "scores is empty");
  if (!(opt.eps >= 0) || !std::isfinite(opt.eps)) return rangeError(codes::kRange, "eps", -1, "eps must be finite and >= 0");
  if (!(opt.whitenEps >= 0) || !std::isfinite(opt.whitenEps))
    return rangeError(codes::kRange, "whitenEps", -1, "whitenEps must be finite and >= 0");
  // The scores' finiteness is checked by the moments pass (estimate), not by a pass of its own; an
  // error found before it still yields to a non-finite score, the documented order.
  auto scoresFirst = [&](Status later) {
    Status finite = checkFinite(scores, n, "scores");
    return finite.ok() ? later : finite;
  };
  if (opt.tokenCounts)
    for (int64_t i = 0; i < n; i++)
      if (opt.tokenCounts[i] < 0)
        return scoresFirst(rangeError(codes::kRange, "tokenCounts", i, "tokenCounts[" + std::to_string(i) + "] is negative"));
  GroupIndex index;
  Status st = buildGroupIndex(grouping, n, "groups", &index);
  if (!st.ok()) return scoresFirst(st);
  return estimate(scores, n, index, opt, opt.estimator == Estimator::PassK ? "passk" : nullptr, "scores", out, stats);
}

Status rlpAdvantages(const float* withThought, const float* baseline, int64_t n, const Grouping& grouping,
                     float* rewards, float* advantages, GroupStats* stats) {
  if (n < 1) return rangeError(codes::kShape, "withThought", -1, "withThought is empty");
  GroupIndex index;
  Status st = checkFinite(withThought, n, "withThought");
  if (st.ok()) st = checkFinite(baseline, n, "baseline");
  if (st.ok()) st = buildGroupIndex(grouping, n, "groups", &index);
  if (!st.ok()) return st;
  for (int64_t i = 0; i < n; i++) {
    rewards[i] = float(double(withThought[i]) - double(baseline[i]));
    if (!std::isfinite(rewards[i]))  // both finite, their difference past float32 (3e38 - -3e38)
      return rangeError(codes::kNonFinite, "withThought", i,
                        "withThought[" + std::to_string(i) + "] - baseline[" + std::to_string(i) + "] overflows float32");
  }
  GroupAdvantagesOptions loo;
  loo.estimator = Estimator::Rloo;
  return estimate(rewards, n, index, loo, "rlp", "withThought", advantages, stats);
}

}  // namespace infogain
