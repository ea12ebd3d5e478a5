#include "topk_kl.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "first_bad.h"
#include "parallel.h"

namespace infogain {
namespace {

struct Known {
  int32_t id;
  double prob;
};

// One side of one row, ready for the merge: known entries sorted by id, the tail mass and the
// cap on an unreported id's probability.
struct SideRow {
  std::vector<Known> known;
  double tail = 0.0;
  double cap = 0.0;
};

Status sideRow(const TopkSide& side, const std::string& name, int64_t row, int32_t k, const int32_t* sampled,
               SideRow& out) {
  const int32_t* ids = side.ids + row * k;
  const float* lps = side.logprobs + row * k;
  out.known.clear();
  out.cap = INFINITY;
  for (int32_t j = 0; j < k; j++) {
    const int64_t at = row * k + j;
    if (ids[j] < 0)
      return rangeError(codes::kRange, name + ".ids", at,
                        name + ".ids[" + std::to_string(at) + "] = " + std::to_string(ids[j]) + " is negative");
    if (std::isnan(lps[j]) || lps[j] == INFINITY)
      return rangeError(codes::kNonFinite, name + ".logprobs", at,
                        name + ".logprobs[" + std::to_string(at) + "] is " + (std::isnan(lps[j]) ? "NaN" : "+Infinity"));
    const double prob = std::exp(double(lps[j]));
    out.known.push_back({ids[j], prob});
    out.cap = std::min(out.cap, prob);
  }
  std::sort(out.known.begin(), out.known.end(), [](const Known& a, const Known& b) { return a.id < b.id; });
  for (size_t j = 1; j < out.known.size(); j++)
    if (out.known[j].id == out.known[j - 1].id) {
      // report the second occurrence in the caller's order
      int32_t seen = 0;
      for (int32_t i = 0; i < k; i++)
        if (ids[i] == out.known[j].id && seen++ == 1)
          return rangeError(codes::kRange, name + ".ids", row * k + i,
                            name + ".ids[" + std::to_string(row * k + i) + "] = " + std::to_string(ids[i]) +
                                " repeats an id of its row");
    }
  if (side.sampledLogprobs) {
    const float lp = side.sampledLogprobs[row];
    if (sampled[row] < 0)
      return rangeError(codes::kRange, "sampled", row, "sampled[" + std::to_string(row) + "] is negative");
    if (std::isnan(lp) || lp == INFINITY)
      return rangeError(codes::kNonFinite, name + ".sampledLogprobs", row,
                        name + ".sampledLogprobs[" + std::to_string(row) + "] is " + (std::isnan(lp) ? "NaN" : "+Infinity"));
    auto at = std::lower_bound(out.known.begin(), out.known.end(), sampled[row],
                               [](const Known& a, int32_t id) { return a.id < id; });
    if (at == out.known.end() || at->id != sampled[row]) out.known.insert(at, {sampled[row], std::exp(double(lp))});
  }
  double sum = 0.0;
  for (const Known& e : out.known) sum += e.prob;
  if (sum > 1.0 + kTopkMassSlack)
    return rangeError(codes::kRange, name + ".logprobs", row,
                      name + " row " + std::to_string(row) + ": the probabilities sum to " + std::to_string(sum) +
                          " > 1 (log-probs expected, not logits?)");
  if (sum > 1.0) {
    for (Known& e : out.known) e.prob /= sum;
    sum = 1.0;
  }
  out.tail = 1.0 - sum;
  return Status::Ok();
}

// Visits the union of both sides' ids in order: visit(P, Q) with -1 for an id the side lacks.
template <class Visit>
void walkUnion(const SideRow& p, const SideRow& q, Visit visit) {
  size_t i = 0, j = 0;
  while (i < p.known.size() || j < q.known.size()) {
    if (j == q.known.size() || (i < p.known.size() && p.known[i].id < q.known[j].id)) visit(p.known[i++].prob, -1.0);
    else if (i == p.known.size() || q.known[j].id < p.known[i].id) visit(-1.0, q.known[j++].prob);
    else visit(p.known[i++].prob, q.known[j++].prob);
  }
}

double klTerm(double a, double b) { return a <= 0.0 ? 0.0 : b <= 0.0 ? INFINITY : a * std::log(a / b); }

double term(KLDirection direction, double a, double b) {
  switch (direction) {
    case KLDirection::Forward: return klTerm(a, b);
    case KLDirection::Reverse: return klTerm(b, a);
    case KLDirection::Symmetric: return klTerm(a, b) + klTerm(b, a);
    default: {
      const double m = 0.5 * (a + b);
      return 0.5 * (klTerm(a, m) + klTerm(b, m));
    }
  }
}

// Clamped below at 0 (rounding); JS is clamped to ln 2 by the caller, after the float32 rounding.
double coarseDivergence(const SideRow& p, const SideRow& q, KLDirection direction) {
  int64_t missP = 0, missQ = 0;
  walkUnion(p, q, [&](double a, double b) {
    missP += a < 0.0;
    missQ += b < 0.0;
  });
  const double shareP = std::min(p.tail / double(missP + 1), p.cap), shareQ = std::min(q.tail / double(missQ + 1), q.cap);
  double sum = term(direction, p.tail - double(missP) * shareP, q.tail - double(missQ) * shareQ);
  walkUnion(p, q, [&](double a, double b) { sum += term(direction, a < 0.0 ? shareP : a, b < 0.0 ? shareQ : b); });
  return std::max(sum, 0.0);
}

}  // namespace

Status topkKL(const TopkInput& in, KLDirection direction, float* out) {
  if (in.rows < 0) return rangeError(codes::kRange, "rows", -1, "rows must be >= 0");
  if (in.k < 1) return rangeError(codes::kRange, "k", -1, "k must be >= 1");
  if (int32_t(direction) < 0 || int32_t(direction) > 3)
    return rangeError(codes::kRange, "direction", -1, "direction is not a direction code");
  if ((in.p.sampledLogprobs || in.q.sampledLogprobs) && !in.sampled)
    return typeError(codes::kType, "sampled", "sampled (the sampled token ids) is required with sampledLogprobs");

  // rows in parallel; the first bad row is found again on one thread for its exact error
  FirstBad firstBad(in.rows);
  constexpr int64_t kChunk = 256;
  parallelFor((in.rows + kChunk - 1) / kChunk, [&](int64_t t) {
    SideRow p, q;
    const int64_t end = std::min(in.rows, (t + 1) * kChunk);
    for (int64_t r = t * kChunk; r < end; r++) {
      if (!sideRow(in.p, "p", r, in.k, in.sampled, p).ok() || !sideRow(in.q, "q", r, in.k, in.sampled, q).ok()) {
        firstBad.report(r);
        return;
      }
      const float v = float(coarseDivergence(p, q, direction));
      out[r] = direction == KLDirection::JensenShannon ? clampJS(v) : v;
    }
  });
  const int64_t bad = firstBad.get();
  if (bad == in.rows) return Status::Ok();
  SideRow p, q;
  Status st = sideRow(in.p, "p", bad, in.k, in.sampled, p);
  return st.ok() ? sideRow(in.q, "q", bad, in.k, in.sampled, q) : st;
}

}  // namespace infogain
