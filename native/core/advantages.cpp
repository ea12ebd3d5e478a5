#include "advantages.h"

#include <cmath>
#include <string>

#include "chunks.h"
#include "token_layout.h"

namespace infogain {
namespace {

constexpr int64_t kChunk = 1 << 16;

// A group's center and scale after the singleton rule.
struct Center {
  double mean, std;
};

Center centerOf(const Moments& m, const GroupAdvantagesOptions& o) {
  if (m.count == 1) return o.singleton == Singleton::Verl ? Center{0.0, 1.0} : Center{m.mean, NAN};
  return {m.mean, o.std == StdKind::Unbiased ? m.unbiasedStd() : m.populationStd()};
}

// The first sample whose group has a single member, or -1.
int64_t firstSingleton(const GroupIndex& index, const std::vector<Moments>& m) {
  for (size_t i = 0; i < index.groupOf.size(); i++)
    if (m[size_t(index.groupOf[i])].count == 1) return int64_t(i);
  return -1;
}

Status singletonError(const char* estimator, int64_t sample) {
  return rangeError(codes::kShape, "groups", sample,
                    std::string(estimator) + " needs at least 2 samples per group; sample " + std::to_string(sample) +
                        " is alone in its group");
}

// reinforce++-baseline: group-centered scores, then whitened over the batch (weighted by token counts).
Status whiten(const float* scores, const GroupIndex& index, const std::vector<Center>& centers,
              const GroupAdvantagesOptions& o, float* out) {
  const int64_t n = int64_t(index.groupOf.size());
  auto centered = [&](int64_t i) { return double(scores[i]) - centers[size_t(index.groupOf[size_t(i)])].mean; };
  auto weight = [&](int64_t i) { return o.tokenCounts ? double(o.tokenCounts[i]) : 1.0; };
  std::vector<Moments> batch = groupMoments(1, [&](auto&& add) {
    for (int64_t i = 0; i < n; i++) add(0, centered(i), weight(i));
  });
  if (batch[0].count < 2)
    return rangeError(codes::kShape, o.tokenCounts ? "tokenCounts" : "scores", -1,
                      "reinforce++-baseline whitens over the batch and needs a total weight of at least 2");
  const double mean = batch[0].mean, scale = 1.0 / std::sqrt(batch[0].m2 / (batch[0].count - 1) + o.whitenEps);
  forChunks(n, kChunk, [&](int64_t, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) out[i] = float((centered(i) - mean) * scale);
  });
  return Status::Ok();
}

// pass@k: only each group's best sample gets (best - second best), over the std if asked.
void passK(const float* scores, const GroupIndex& index, const std::vector<Center>& centers,
           const GroupAdvantagesOptions& o, float* out) {
  const int64_t n = int64_t(index.groupOf.size()), groups = index.groups();
  std::vector<double> best(size_t(groups), -INFINITY), second(size_t(groups), -INFINITY);
  std::vector<int64_t> winner(size_t(groups), -1);
  for (int64_t i = 0; i < n; i++) {
    size_t g = size_t(index.groupOf[size_t(i)]);
    double x = scores[i];
    if (x > best[g]) {
      second[g] = best[g];
      best[g] = x;
      winner[g] = i;  // the first of tied maxima; a tie gives 0 anyway
    } else if (x > second[g]) {
      second[g] = x;
    }
  }
  for (int64_t i = 0; i < n; i++) out[i] = 0.0f;
  for (int64_t g = 0; g < groups; g++) {
    double a = best[size_t(g)] - second[size_t(g)];
    if (o.normalizeByStd) a /= centers[size_t(g)].std + o.eps;
    out[winner[size_t(g)]] = float(a);
  }
}

// pairsFor: the name of a method that needs every group to hold at least two samples, or null.
Status estimate(const float* scores, const GroupIndex& index, const GroupAdvantagesOptions& o, const char* pairsFor,
                float* out, GroupStats* stats) {
  const int64_t n = int64_t(index.groupOf.size()), groups = index.groups();
  const std::vector<Moments> m = groupMoments(groups, [&](auto&& add) {
    for (int64_t i = 0; i < n; i++) add(index.groupOf[size_t(i)], double(scores[i]), 1.0);
  });
  if (pairsFor) {
    int64_t lone = firstSingleton(index, m);
    if (lone >= 0) return singletonError(pairsFor, lone);
  }
  std::vector<Center> centers(static_cast<size_t>(groups));
  stats->resize(groups);
  for (int64_t g = 0; g < groups; g++) {
    centers[size_t(g)] = centerOf(m[size_t(g)], o);
    stats->mean[size_t(g)] = float(centers[size_t(g)].mean);
    stats->std[size_t(g)] = float(centers[size_t(g)].std);
    stats->count[size_t(g)] = int32_t(m[size_t(g)].count);
  }
  if (o.estimator == Estimator::ReinforcePPBaseline) return whiten(scores, index, centers, o, out);
  if (o.estimator == Estimator::PassK) {
    passK(scores, index, centers, o, out);
    return Status::Ok();
  }
  const bool scale = o.estimator == Estimator::Grpo && o.normalizeByStd;
  forChunks(n, kChunk, [&](int64_t, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      const size_t g = size_t(index.groupOf[size_t(i)]);
      const Center& c = centers[g];
      const double x = scores[i];
      double a;
      if (o.estimator == Estimator::Rloo) {
        // s_i - mean of the others = (s_i - mean) G / (G - 1); a lone sample keeps its score (verl)
        const double k = m[g].count;
        a = k > 1 ? (x - m[g].mean) * k / (k - 1) : o.singleton == Singleton::Verl ? x : NAN;
      } else {
        a = scale ? (x - c.mean) / (c.std + o.eps) : x - c.mean;
      }
      out[i] = float(a);
    }
  });
  return Status::Ok();
}

}  // namespace

Status groupAdvantages(const float* scores, int64_t n, const Grouping& grouping, const GroupAdvantagesOptions& opt,
                       float* out, GroupIndex* index, GroupStats* stats) {
  if (n < 1) return rangeError(codes::kShape, "scores", -1, "scores is empty");
  if (!(opt.eps >= 0) || !std::isfinite(opt.eps)) return rangeError(codes::kRange, "eps", -1, "eps must be finite and >= 0");
  if (!(opt.whitenEps >= 0) || !std::isfinite(opt.whitenEps))
    return rangeError(codes::kRange, "whitenEps", -1, "whitenEps must be finite and >= 0");
  Status st = checkFinite(scores, n, "scores");
  if (!st.ok()) return st;
  if (opt.tokenCounts)
    for (int64_t i = 0; i < n; i++)
      if (opt.tokenCounts[i] < 0)
        return rangeError(codes::kRange, "tokenCounts", i, "tokenCounts[" + std::to_string(i) + "] is negative");
  st = buildGroupIndex(grouping, n, "groups", index);
  if (!st.ok()) return st;
  return estimate(scores, *index, opt, opt.estimator == Estimator::PassK ? "passk" : nullptr, out, stats);
}

Status rlpAdvantages(const float* withThought, const float* baseline, int64_t n, const Grouping& grouping,
                     float* rewards, float* advantages, GroupIndex* index, GroupStats* stats) {
  if (n < 1) return rangeError(codes::kShape, "withThought", -1, "withThought is empty");
  Status st = checkFinite(withThought, n, "withThought");
  if (st.ok()) st = checkFinite(baseline, n, "baseline");
  if (st.ok()) st = buildGroupIndex(grouping, n, "groups", index);
  if (!st.ok()) return st;
  for (int64_t i = 0; i < n; i++) rewards[i] = float(double(withThought[i]) - double(baseline[i]));
  GroupAdvantagesOptions loo;
  loo.estimator = Estimator::Rloo;
  return estimate(rewards, *index, loo, "rlp", advantages, stats);
}

}  // namespace infogain
