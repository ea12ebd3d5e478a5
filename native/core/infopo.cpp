#include "infopo.h"

#include <cmath>
#include <string>

#include "token_moments.h"

namespace infogain {
namespace {

Status checkOptions(const InfopoOptions& o) {
  const std::pair<const char*, double> finite[] = {{"beta", o.beta}, {"decay", o.decay}, {"epoch", o.epoch}};
  for (auto& [name, v] : finite)
    if (!std::isfinite(v)) return rangeError(codes::kRange, name, -1, std::string(name) + " must be finite");
  if (!(o.temperature > 0) || !std::isfinite(o.temperature))
    return rangeError(codes::kRange, "temperature", -1, "temperature must be finite and > 0");
  if (!(o.eps >= 0) || !std::isfinite(o.eps)) return rangeError(codes::kRange, "eps", -1, "eps must be finite and >= 0");
  if (!(o.baselineStd >= 0) || !std::isfinite(o.baselineStd))
    return rangeError(codes::kRange, "baselineStd", -1, "baselineStd must be finite and >= 0");
  return Status::Ok();
}

// Unbiased std of a batch, 0 when it has fewer than two values.
double batchStd(const Moments& m) { return m.count >= 2 ? m.unbiasedStd() : 0.0; }

}  // namespace

Status infopoAdvantages(const InfopoInput& in, const InfopoOptions& o, InfopoOutput* out) {
  const TokenLayout& L = in.layout;
  Status st = checkOptions(o);
  if (st.ok()) st = checkTokenLayout(L);
  if (st.ok()) st = checkFinite(in.scores, L.rows, "scores");
  if (st.ok()) st = checkFiniteTokens(in.intrinsic, L, in.present, "intrinsic");
  GroupIndex index;
  if (st.ok()) st = buildGroupIndex(in.grouping, L.rows, "groups", &index);
  if (!st.ok()) return st;
  const int32_t* groupOf = index.slotOf;
  const int64_t groups = index.slots;

  // (a) outcome: GRPO over the rollout scores (unbiased std; a lone rollout gets mean 0, std 1)
  const std::vector<Moments> om = groupMoments(groups, [&](auto&& add) {
    for (int64_t r = 0; r < L.rows; r++) add(groupOf[r], double(in.scores[r]), 1.0);
  });
  std::vector<double> oMean(static_cast<size_t>(groups)), oStd(static_cast<size_t>(groups));
  for (size_t g = 0; g < size_t(groups); g++) {
    const bool lone = om[g].count == 1;
    oMean[g] = lone ? 0.0 : om[g].mean;
    oStd[g] = lone ? 1.0 : om[g].unbiasedStd();
  }
  std::vector<double> outcome(size_t(L.rows));
  for (int64_t r = 0; r < L.rows; r++) {
    const size_t g = size_t(groupOf[r]);
    const double centered = double(in.scores[r]) - oMean[g];
    outcome[size_t(r)] = o.normalizeByStd ? centered / (oStd[g] + o.eps) : centered;
    out->outcome[r] = float(outcome[size_t(r)]);
  }

  // (b) intrinsic: statistics over the present rewards of the group's valid tokens (token-weighted)
  const std::vector<Moments> im = rowMoments(
      L, groups, [&](int64_t r) { return groupOf[r]; }, [&](int64_t, int64_t t) { return in.present[t] != 0; },
      [&](int64_t, int64_t t) { return double(in.intrinsic[t]); });
  std::vector<double> iMean(static_cast<size_t>(groups)), iStd(static_cast<size_t>(groups));
  for (size_t g = 0; g < size_t(groups); g++) {
    iMean[g] = im[g].mean;
    iStd[g] = im[g].count == 1 ? 1.0 : im[g].unbiasedStd();
  }
  auto intrinsicAdvantage = [&](int64_t r, int64_t t) -> double {
    if (!in.present[t]) return 0.0;
    const double v = in.intrinsic[t];
    if (!o.normalizeIntrinsic) return v;
    const size_t g = size_t(groupOf[r]);
    return o.normalizeByStd ? (v - iMean[g]) / (iStd[g] + o.eps) : v - iMean[g];
  };

  // (c) bounded ratio from batch-level stds over every valid token (token-weighted, unbiased)
  out->outcomeStd = batchStd(validTokenMoments(L, [&](int64_t r, int64_t) { return outcome[size_t(r)]; }));
  out->intrinsicStd = batchStd(validTokenMoments(L, intrinsicAdvantage));
  const double target = o.baselineStd > out->outcomeStd + o.eps ? o.baselineStd : out->outcomeStd + o.eps;
  const double ratio = target / (out->intrinsicStd + o.eps);
  out->ratio = ratio < 1.0 ? ratio : 1.0;  // min(1, ratio) as Python's min: NaN gives 1
  out->betaT = o.beta * std::exp(-o.decay * o.epoch);

  // (d) variance gate from the outcome group's std, then the fusion
  auto gate = [&](int64_t r) { return 1.0 / (1.0 + std::exp(oStd[size_t(groupOf[r])] / o.temperature)); };
  for (int64_t r = 0; r < L.rows; r++) out->gate[r] = float(gate(r));
  forChunks(L.rows, rowsPerChunk(L), [&](int64_t, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const double a = outcome[size_t(r)], w = out->betaT * gate(r) * out->ratio;
      for (int64_t t = L.begin(r), e = L.end(r); t < e; t++)
        out->advantages[t] = L.valid(t) ? float(a + w * intrinsicAdvantage(r, t)) : 0.0f;
    }
  });

  out->outcomeStats.collect(index, [&](int64_t s) { return om[size_t(s)].count; });
  out->intrinsicStats = out->outcomeStats;
  for (size_t k = 0; k < out->outcomeStats.slots.size(); k++) {
    const size_t g = size_t(out->outcomeStats.slots[k]);
    out->outcomeStats.mean[k] = float(oMean[g]);
    out->outcomeStats.std[k] = float(oStd[g]);
    out->intrinsicStats.mean[k] = float(iMean[g]);
    out->intrinsicStats.std[k] = im[g].count > 0 ? float(iStd[g]) : NAN;
    out->intrinsicStats.count[k] = int32_t(im[g].count);
  }
  return Status::Ok();
}

}  // namespace infogain
