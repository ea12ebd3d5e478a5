#include "conformal.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "candidate_softmax.h"
#include "chunks.h"
#include "cpu.h"
#include "first_bad.h"
#include "logprobs.h"
#include "ragged.h"
#include "row_parallel.h"
#include "softmax_stats.h"

namespace infogain {
namespace {

// The softmax of every row, ready for scores and set tests.
//   ragged: float64 per row (candidate_softmax.h);
//   dense:  the float32 statistics of tokenLogprobs; x_t = x * (1 / T) in float32 as there, and
//           log p = x_t - logNorm in float64, logNorm = m + log s.
struct RowSoftmax {
  Ragged candidates;
  std::vector<CandidateSoftmax> ragged;
  std::vector<double> logNorm;
  float invT = 1.0f;
};

Status readRows(const CandidateRows& rows, RowSoftmax* rs) {
  if (!(rows.temperature > 0.0) || !std::isfinite(rows.temperature))
    return rangeError(codes::kRange, "temperature", -1, "temperature must be a finite number > 0");
  if (rows.dense()) {
    if (rows.logits.rows < 0) return rangeError(codes::kRange, "logits.rows", -1, "logits.rows must be >= 0");
    if (rows.logits.vocab < 1) return rangeError(codes::kRange, "logits.vocab", -1, "logits.vocab must be >= 1");
    return Status::Ok();
  }
  Status st = readRagged(rows.candidates, rows.rows, rows.length, "candidates", false, &rs->candidates);
  if (!st.ok()) return st;
  for (int64_t r = 0; r < rs->candidates.count(); r++)
    if (rs->candidates.size(r) == 0)
      return rangeError(codes::kShape, "candidates", r, "row " + std::to_string(r) + " has no candidates");
  return Status::Ok();
}

// Runs onRow(r) for every row as soon as its softmax is known, row-parallel, so that a dense row
// is still in cache for its set test. On bad logits: the error of the first bad row.
template <class OnRow>
Status forEachRow(const CandidateRows& rows, RowSoftmax* rs, const OnRow& onRow) {
  const int64_t n = rows.rowCount();
  FirstBad firstBad(n);
  if (!rows.dense()) {
    rs->ragged.resize(size_t(n));
    forChunks(n, 256, [&](int64_t, int64_t first, int64_t last) {
      int64_t bad;
      for (int64_t r = first; r < last; r++) {
        if (!candidateSoftmax(rows.candidateLogits, rs->candidates.begin(r), rs->candidates.end(r), rows.temperature, &rs->ragged[size_t(r)], &bad))
          return firstBad.report(r);
        onRow(r);
      }
    });
    if (firstBad.get() == n) return Status::Ok();
    const int64_t r = firstBad.get();
    int64_t bad = -1;
    CandidateSoftmax unused;
    candidateSoftmax(rows.candidateLogits, rs->candidates.begin(r), rs->candidates.end(r), rows.temperature, &unused, &bad);
    return candidateError("candidateLogits", rows.candidateLogits, rs->candidates.begin(r), bad, "row " + std::to_string(r));
  }
  const LogitsView& l = rows.logits;
  rs->invT = float(1.0 / rows.temperature);
  rs->logNorm.resize(size_t(n));
  reduceRows<SoftmaxStats>(
      n, l.vocab, [&](int64_t r, int64_t begin, int64_t end) { return softmaxStats(l.row(r), l.dtype, begin, end, rs->invT); },
      mergeStats,
      [&](int64_t r, const SoftmaxStats& s) {
        if (s.bad || !s.anyFinite()) return firstBad.report(r);
        rs->logNorm[size_t(r)] = double(s.scaledMax()) + std::log(double(s.s));
        onRow(r);
      });
  if (firstBad.get() < n) return describeBadRow("logits", l, firstBad.get(), rs->invT);
  return Status::Ok();
}

int64_t candidateCount(const CandidateRows& rows, const RowSoftmax& rs, int64_t r) {
  return rows.dense() ? rows.logits.vocab : rs.candidates.size(r);
}

// The nonconformity score of candidate `label` (an index within the row), one formula for all uses.
double scoreOf(const CandidateRows& rows, const RowSoftmax& rs, int64_t r, int64_t label) {
  if (!rows.dense()) return 1.0 - rs.ragged[size_t(r)].prob(rows.candidateLogits[rs.candidates.begin(r) + label]);
  const float xt = loadAsFloat(rows.logits.row(r), rows.logits.dtype, label) * rs.invT;
  return 1.0 - std::exp(double(xt) - rs.logNorm[size_t(r)]);
}

// The labels, each read once and checked against its row's candidates.
Status readLabels(const CandidateRows& rows, const RowSoftmax& rs, const int32_t* labels, std::vector<int64_t>* out) {
  out->resize(size_t(rows.rowCount()));
  for (int64_t r = 0; r < rows.rowCount(); r++) {
    const int64_t l = labels[r], k = candidateCount(rows, rs, r);
    if (l < 0 || l >= k)
      return rangeError(codes::kRange, "labels", r,
                        "labels[" + std::to_string(r) + "] = " + std::to_string(l) + " is outside [0, " + std::to_string(k) + ")");
    (*out)[size_t(r)] = l;
  }
  return Status::Ok();
}

// How many of a dense row's logits (scaled x_t = x * invT in float32) lie in the set
// {1 - exp(x_t - L) <= qhat}, i.e. x_t >= L + log(1 - qhat). The SIMD count decides every logit
// but those within a rounding margin of that threshold, which take the exact score test (so the
// label of a calibration row is counted exactly when its score is <= qhat).
int64_t denseSetSize(const LogitsView& logits, int64_t r, float invT, double logNorm, double qhat) {
  const double threshold = logNorm + std::log1p(-qhat), margin = 1e-9 * (1.0 + std::fabs(threshold));
  const float lo = std::nextafter(float(threshold - margin), -INFINITY);
  const float hi = std::nextafter(std::nextafter(float(threshold + margin), INFINITY), INFINITY);  // >= hi: > margin
  int64_t atLeastLo = 0, atLeastHi = 0;
  const void* row = logits.row(r);
  countAtLeast(row, logits.dtype, logits.vocab, invT, lo, hi, &atLeastLo, &atLeastHi);
  int64_t size = atLeastHi;
  if (atLeastLo == atLeastHi) return size;
  for (int64_t j = 0; j < logits.vocab; j++) {
    const float v = loadAsFloat(row, logits.dtype, j) * invT;
    if (v >= lo && v < hi && 1.0 - std::exp(double(v) - logNorm) <= qhat) size++;
  }
  return size;
}

int64_t setSize(const CandidateRows& rows, const RowSoftmax& rs, int64_t r, double qhat) {
  const int64_t k = candidateCount(rows, rs, r);
  if (qhat >= 1.0) return k;  // every score is <= 1
  if (!rows.dense()) {
    int64_t n = 0;
    for (int64_t j = 0; j < k; j++) n += 1.0 - rs.ragged[size_t(r)].prob(rows.candidateLogits[rs.candidates.begin(r) + j]) <= qhat;
    return n;
  }
  return denseSetSize(rows.logits, r, rs.invT, rs.logNorm[size_t(r)], qhat);
}

Status checkAlpha(double alpha) {
  if (!(alpha > 0.0 && alpha < 1.0)) return rangeError(codes::kRange, "alpha", -1, "alpha must be a number in (0, 1)");
  return Status::Ok();
}

}  // namespace

void countAtLeast(const void* row, DType dtype, int64_t n, float invT, float lo, float hi, int64_t* atLeastLo, int64_t* atLeastHi) {
  switch (activeIsa()) {
    case Isa::Avx512: return avx512::countAtLeast(row, dtype, n, invT, lo, hi, atLeastLo, atLeastHi);
    case Isa::Avx2: return avx2::countAtLeast(row, dtype, n, invT, lo, hi, atLeastLo, atLeastHi);
    default: return scalar::countAtLeast(row, dtype, n, invT, lo, hi, atLeastLo, atLeastHi);
  }
}

Status conformalScores(const CandidateRows& rows, const int32_t* labels, double* scores) {
  RowSoftmax rs;
  std::vector<int64_t> label;
  Status st = readRows(rows, &rs);
  if (!st.ok() || !(st = readLabels(rows, rs, labels, &label)).ok()) return st;
  return forEachRow(rows, &rs, [&](int64_t r) { scores[r] = scoreOf(rows, rs, r, label[size_t(r)]); });
}

namespace {

// conformalQuantile's arguments but the scores, checked, with the groups read into g.
Status readQuantileArgs(int64_t n, const int32_t* groups, int64_t groupCount, double alpha, QuantileMethod method, Ragged* g) {
  Status st = checkAlpha(alpha);
  if (!st.ok()) return st;
  if (method != QuantileMethod::Conformal && method != QuantileMethod::Empirical)
    return rangeError(codes::kRange, "method", -1, "method is not a quantile method code");
  return readRagged(groups, groupCount, n, "groups", false, g);
}

}  // namespace

Status checkConformalQuantile(int64_t n, const int32_t* groups, int64_t groupCount, double alpha, QuantileMethod method) {
  Ragged g;
  return readQuantileArgs(n, groups, groupCount, alpha, method, &g);
}

Status conformalQuantile(const double* scores, int64_t n, const int32_t* groups, int64_t groupCount, double alpha,
                         QuantileMethod method, double* qhat) {
  Ragged g;
  Status st = readQuantileArgs(n, groups, groupCount, alpha, method, &g);
  if (!st.ok()) return st;
  std::vector<double> sorted;
  for (int64_t k = 0; k < g.count(); k++) {
    sorted.clear();
    for (int64_t i = g.begin(k); i < g.end(k); i++) {
      const double s = scores[i];
      if (!std::isfinite(s))
        return rangeError(codes::kNonFinite, "scores", i, "scores[" + std::to_string(i) + "] = " + std::to_string(s) + " is not finite");
      sorted.push_back(s);
    }
    const int64_t size = int64_t(sorted.size());
    int64_t pick;  // 0-based rank of qhat among the sorted scores
    if (method == QuantileMethod::Conformal) {
      pick = int64_t(std::ceil(double(size + 1) * (1.0 - alpha))) - 1;
      if (pick >= size) {  // n < 1/alpha - 1: no finite score keeps the guarantee; the set is everything
        qhat[k] = INFINITY;
        continue;
      }
    } else {
      if (size == 0)
        return rangeError(codes::kShape, "groups", k, "group " + std::to_string(k) + " has no scores (the empirical quantile needs one)");
      pick = int64_t(std::ceil(double(size - 1) * (1.0 - alpha)));
    }
    std::nth_element(sorted.begin(), sorted.begin() + pick, sorted.end());
    qhat[k] = sorted[size_t(pick)];
  }
  return Status::Ok();
}

Status predictionSetSizes(const PredictionSetInput& in, const PredictionSetOutput& out) {
  const CandidateRows& rows = in.rows;
  RowSoftmax rs;
  Status st = readRows(rows, &rs);
  if (!st.ok()) return st;
  const int64_t n = rows.rowCount();
  Ragged steps, rollouts;
  if (!(st = readRagged(in.steps, in.stepCount, n, "steps", true, &steps)).ok()) return st;
  if (!(st = readRagged(in.rollouts, in.rolloutCount, steps.count(), "rollouts", false, &rollouts)).ok()) return st;
  for (int64_t s = 0; s < steps.count(); s++)
    if (steps.size(s) == 0) return rangeError(codes::kShape, "steps", s, "step " + std::to_string(s) + " has no rows");
  const bool fano = in.uncertainty == SetUncertainty::Fano;
  if (in.uncertainty != SetUncertainty::Size && !fano)
    return rangeError(codes::kRange, "uncertainty", -1, "uncertainty is not an uncertainty code");
  if (fano && !(st = checkAlpha(in.alpha)).ok()) return st;
  if (fano && !in.hasLabels) return typeError(codes::kType, "labels", "uncertainty 'fano' needs labels");
  for (int64_t i = 0; i < (in.qhatPerRow ? n : 1); i++)
    if (std::isnan(in.qhat[i])) return rangeError(codes::kNonFinite, "qhat", in.qhatPerRow ? i : -1, "qhat is NaN");
  std::vector<int64_t> labels;  // empty without labels
  if (in.hasLabels && !(st = readLabels(rows, rs, in.labels, &labels)).ok()) return st;

  // each row's set as soon as its softmax is known (qhat read once per row)
  std::vector<uint8_t> covered(labels.size());
  st = forEachRow(rows, &rs, [&](int64_t r) {
    const double q = in.qhat[in.qhatPerRow ? r : 0];
    out.sizes[r] = int32_t(setSize(rows, rs, r, q));
    if (in.hasLabels) covered[size_t(r)] = scoreOf(rows, rs, r, labels[size_t(r)]) <= q;
  });
  if (!st.ok()) return st;
  if (out.covered && in.hasLabels) std::copy(covered.begin(), covered.end(), out.covered);

  // per step: the mean set size or the Fano bound; per rollout: reductions step to step
  const double hb = fano ? -(in.alpha * std::log2(in.alpha) + (1.0 - in.alpha) * std::log2(1.0 - in.alpha)) : 0.0;
  std::vector<double> u(size_t(steps.count()));
  for (int64_t s = 0; s < steps.count(); s++) {
    double sum = 0.0, coveredLog = 0.0, missedLog = 0.0;
    int64_t coveredRows = 0;
    for (int64_t r = steps.begin(s); r < steps.end(s); r++) {
      sum += out.sizes[r];
      if (!fano) continue;
      if (covered[size_t(r)]) {
        coveredLog += std::log2(double(out.sizes[r]));  // >= 1: the label is in the set
        coveredRows++;
      } else {
        missedLog += std::log2(double(candidateCount(rows, rs, r) - out.sizes[r]));  // >= 1: the label is not
      }
    }
    const int64_t missedRows = steps.size(s) - coveredRows;
    u[size_t(s)] = !fano ? sum / double(steps.size(s))
                         : hb + (1.0 - in.alpha) * (coveredRows ? coveredLog / double(coveredRows) : 0.0) +
                               in.alpha * (missedRows ? missedLog / double(missedRows) : 0.0);
    out.uncertainty[s] = float(u[size_t(s)]);
  }
  for (int64_t r = 0; r < rollouts.count(); r++)
    for (int64_t s = rollouts.begin(r); s < rollouts.end(r); s++) {
      const bool first = s == rollouts.begin(r);
      out.gains[s] = first ? 0.0f : float(u[size_t(s - 1)] - u[size_t(s)]);
      out.hasGain[s] = first ? 0 : 1;
    }
  return Status::Ok();
}

}  // namespace infogain
