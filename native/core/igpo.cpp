#include "igpo.h"

#include <cmath>
#include <string>

#include "chunks.h"
#include "token_moments.h"

namespace infogain {
namespace {

constexpr double kVarianceEps = 1e-8;  // IGPO: std = sqrt(population var + 1e-8)

Status checkOptions(const IgpoOptions& o) {
  if (!(o.gamma >= 0 && o.gamma <= 1)) return rangeError(codes::kRange, "gamma", -1, "gamma must be in [0, 1]");
  if (!(o.eps >= 0) || !std::isfinite(o.eps)) return rangeError(codes::kRange, "eps", -1, "eps must be finite and >= 0");
  if (!std::isfinite(o.outcomeWeight)) return rangeError(codes::kRange, "outcomeWeight", -1, "outcomeWeight must be finite");
  if (!std::isfinite(o.gainWeight)) return rangeError(codes::kRange, "gainWeight", -1, "gainWeight must be finite");
  return Status::Ok();
}

// The last valid token of each row (its position in the row); every row needs one.
Status lastValidTokens(const TokenLayout& L, std::vector<int64_t>* last) {
  last->assign(size_t(L.rows), -1);
  for (int64_t r = 0; r < L.rows; r++) {
    for (int64_t t = L.end(r) - 1, b = L.begin(r); t >= b; t--)
      if (L.valid(t)) {
        (*last)[size_t(r)] = t - b;
        break;
      }
    if ((*last)[size_t(r)] < 0)
      return rangeError(codes::kShape, "layout", r,
                        "row " + std::to_string(r) + " has no valid token to carry its outcome reward");
  }
  return Status::Ok();
}

// Each rollout's gain positions strictly increase and come before its last valid token.
Status checkGainEnds(const IgpoInput& in, const std::vector<int64_t>& last) {
  for (int64_t r = 0; r < in.layout.rows; r++) {
    int64_t previous = -1;
    for (int64_t k = in.gainOffsets[r]; k < in.gainOffsets[r + 1]; k++) {
      const int64_t p = in.gainEnds[k];
      if (p <= previous || p >= last[size_t(r)])
        return rangeError(codes::kRange, "gainEnds", k,
                          "gainEnds[" + std::to_string(k) + "] = " + std::to_string(p) + " must be after " +
                              std::to_string(previous) + " and before row " + std::to_string(r) +
                              "'s last valid token (" + std::to_string(last[size_t(r)]) + ")");
      previous = p;
    }
  }
  return Status::Ok();
}

struct Normalizer {
  double mean, std;
};

// IGPO's group statistics: mean; population std sqrt(var + 1e-8), or 1 for fewer than two values.
// `stats` (its groups already collected) gets them too.
std::vector<Normalizer> normalizers(const std::vector<Moments>& m, GroupStats* stats) {
  std::vector<Normalizer> out(m.size());
  for (size_t g = 0; g < m.size(); g++)
    out[g] = {m[g].mean, m[g].count > 1 ? std::sqrt(m[g].m2 / m[g].count + kVarianceEps) : 1.0};
  for (size_t k = 0; k < stats->slots.size(); k++) {
    const Moments& s = m[size_t(stats->slots[k])];
    stats->mean[k] = float(s.mean);
    stats->std[k] = s.count > 0 ? float(out[size_t(stats->slots[k])].std) : NAN;
    stats->count[k] = int32_t(s.count);
  }
  return out;
}

}  // namespace

Status igpoAdvantages(const IgpoInput& in, const IgpoOptions& o, IgpoOutput* out) {
  const TokenLayout& L = in.layout;
  std::vector<int64_t> last;
  Status st = checkOptions(o);
  if (st.ok()) st = checkTokenLayout(L);
  if (st.ok()) st = checkFinite(in.outcome, L.rows, "outcome");
  if (st.ok()) st = checkFinite(in.gains, in.numGains, "gains");
  if (st.ok()) st = checkOffsets(in.gainOffsets, L.rows, in.numGains, "gainOffsets");
  if (st.ok()) st = lastValidTokens(L, &last);
  if (st.ok()) st = checkGainEnds(in, last);
  GroupIndex index;
  if (st.ok()) st = buildGroupIndex(in.grouping, L.rows, "groups", &index);
  if (!st.ok()) return st;
  const int32_t* groupOf = index.slotOf;
  const int64_t groups = index.slots;
  const std::vector<int32_t> rows = slotCounts(index, L.rows);
  out->outcomeStats.collect(index, [&](int64_t s) { return rows[size_t(s)]; });
  auto outcome = [&](int64_t r) { return double(in.outcome[r]) * o.outcomeWeight; };
  auto gain = [&](int64_t k) { return double(in.gains[k]) * o.gainWeight; };
  auto visitOutcomes = [&](auto&& add) {
    for (int64_t r = 0; r < L.rows; r++) add(groupOf[r], outcome(r), 1.0);
  };
  auto visitGains = [&](auto&& add) {
    for (int64_t r = 0; r < L.rows; r++)
      for (int64_t k = in.gainOffsets[r]; k < in.gainOffsets[r + 1]; k++) add(groupOf[r], gain(k), 1.0);
  };

  std::vector<Normalizer> outcomeNorm, gainNorm;
  if (o.normalization == IgpoNormalization::Joint) {
    outcomeNorm = normalizers(groupMoments(groups, [&](auto&& add) {
      visitOutcomes(add);
      visitGains(add);
    }), &out->outcomeStats);
    gainNorm = outcomeNorm;
    out->gainStats = out->outcomeStats;
  } else {
    out->gainStats = out->outcomeStats;
    outcomeNorm = normalizers(groupMoments(groups, visitOutcomes), &out->outcomeStats);
    gainNorm = normalizers(groupMoments(groups, visitGains), &out->gainStats);
  }
  auto normalized = [&](double x, const Normalizer& n) {
    return o.normalizeByStd ? (x - n.mean) / (n.std + o.eps) : x - n.mean;
  };

  forChunks(L.rows, rowsPerChunk(L), [&](int64_t, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const size_t g = size_t(groupOf[r]);
      // turn advantages, last turn first: A_K = r_K, A_k = r_k + gamma A_{k+1}
      double a = normalized(outcome(r), outcomeNorm[g]);
      out->outcomeAdvantages[r] = float(a);
      for (int64_t k = in.gainOffsets[r + 1] - 1; k >= in.gainOffsets[r]; k--) {
        a = normalized(gain(k), gainNorm[g]) + o.gamma * a;
        out->gainAdvantages[k] = float(a);
      }
      // each turn's advantage on its valid tokens: turn k covers (end of turn k-1, end of turn k]
      int64_t k = in.gainOffsets[r];
      const int64_t kEnd = in.gainOffsets[r + 1], b = L.begin(r);
      for (int64_t t = b, e = L.end(r); t < e; t++) {
        while (k < kEnd && t - b > in.gainEnds[k]) k++;
        out->advantages[t] = L.valid(t) ? (k < kEnd ? out->gainAdvantages[k] : out->outcomeAdvantages[r]) : 0.0f;
      }
    }
  });
  return Status::Ok();
}

}  // namespace infogain
