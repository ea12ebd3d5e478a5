#include "phase_entropy.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chunks.h"
#include "first_bad.h"
#include "ragged.h"

namespace infogain {
namespace {

// The first position in [begin, end) where `delimiter` starts, or -1.
int64_t findDelimiter(const int32_t* tokens, int64_t begin, int64_t end, const std::vector<int32_t>& delimiter) {
  const int64_t n = int64_t(delimiter.size());
  for (int64_t p = begin; p + n <= end; p++) {
    if (tokens[p] != delimiter[0]) continue;
    int64_t k = 1;
    while (k < n && tokens[p + k] == delimiter[size_t(k)]) k++;
    if (k == n) return p;
  }
  return -1;
}

// Sum of entropies[begin, end) in float64, four chains in a fixed order (float32 values cannot
// overflow a float64 sum, so a non-finite sum means a non-finite entropy); false and *bad = the
// first non-finite one.
bool phaseSum(const float* entropies, int64_t begin, int64_t end, double* sum, int64_t* bad) {
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  int64_t j = begin;
  for (; j + 4 <= end; j += 4)
    for (int k = 0; k < 4; k++) s[k] += entropies[j + k];
  for (; j < end; j++) s[0] += entropies[j];
  *sum = (s[0] + s[1]) + (s[2] + s[3]);
  if (std::isfinite(*sum)) return true;
  for (j = begin; j < end && std::isfinite(entropies[j]); j++) {}
  *bad = j;  // (end only if another thread changed the entropies meanwhile)
  return false;
}

}  // namespace

Status phaseEntropyRewards(const PhaseEntropyInput& in, const PhaseEntropyOutput& out) {
  if (!std::isfinite(in.alpha)) return rangeError(codes::kRange, "alpha", -1, "alpha must be finite");
  if (!std::isfinite(in.beta)) return rangeError(codes::kRange, "beta", -1, "beta must be finite");
  if (!in.offsets) return rangeError(codes::kShape, "offsets", -1, "offsets are required");
  Ragged responses;
  Status st = readRagged(in.offsets, in.responses, in.length, "offsets", false, &responses);
  if (!st.ok()) return st;
  const int64_t n = responses.count();

  // the delimiter of each response: [start, end), read once and checked, or searched for
  std::vector<int64_t> start(static_cast<size_t>(n)), stop(static_cast<size_t>(n));  // the delimiter [start, stop)
  std::vector<uint8_t> found(static_cast<size_t>(n), 1);
  if (in.delimitersGiven) {
    for (int64_t r = 0; r < n; r++) {
      const int64_t s = in.delimiters[2 * r], e = in.delimiters[2 * r + 1];
      if (s < responses.begin(r) || s > e || e > responses.end(r))
        return rangeError(codes::kRange, "delimiters", r,
                          "delimiters span " + std::to_string(r) + " = [" + std::to_string(s) + ", " + std::to_string(e) +
                              ") is not inside response " + std::to_string(r) + " = [" + std::to_string(responses.begin(r)) + ", " +
                              std::to_string(responses.end(r)) + ") with start <= end");
      start[size_t(r)] = s;
      stop[size_t(r)] = e;
    }
  } else {
    if (!in.tokens && in.length > 0) return typeError(codes::kType, "tokens", "tokens and delimiter are required when delimiters are not given");
    if (in.delimiterLength < 1) return rangeError(codes::kShape, "delimiter", -1, "delimiter must hold at least one token id");
    const std::vector<int32_t> delimiter(in.delimiter, in.delimiter + in.delimiterLength);
    forChunks(n, 64, [&](int64_t, int64_t first, int64_t last) {
      for (int64_t r = first; r < last; r++) {
        const int64_t p = findDelimiter(in.tokens, responses.begin(r), responses.end(r), delimiter);
        found[size_t(r)] = p >= 0;
        start[size_t(r)] = p >= 0 ? p : responses.end(r);  // not found: all thinking
        stop[size_t(r)] = p >= 0 ? p + in.delimiterLength : responses.end(r);
      }
    });
  }
  std::vector<double> correctness(in.correctness, in.correctness + n);
  for (int64_t r = 0; r < n; r++)
    if (!std::isfinite(correctness[size_t(r)]))
      return rangeError(codes::kNonFinite, "correctness", r, "correctness[" + std::to_string(r) + "] is not finite");

  // phase means and rewards, response-parallel; the first bad entropy is in the first bad response
  FirstBad firstBad(n);
  forChunks(n, 64, [&](int64_t, int64_t first, int64_t last) {
    for (int64_t r = first; r < last; r++) {
      const int64_t b = responses.begin(r), e = responses.end(r), s = start[size_t(r)], d = stop[size_t(r)];
      double think = 0.0, answer = 0.0;
      int64_t bad;
      if (!phaseSum(in.entropies, b, s, &think, &bad) || !phaseSum(in.entropies, d, e, &answer, &bad)) return firstBad.report(r);
      const double hThink = s > b ? think / double(s - b) : 0.0, hAnswer = e > d ? answer / double(e - d) : 0.0;
      out.thinkEntropy[r] = float(hThink);
      out.answerEntropy[r] = float(hAnswer);
      out.thinkTokens[r] = int32_t(s - b);
      out.answerTokens[r] = int32_t(e - d);
      out.delimiterStart[r] = found[size_t(r)] ? int32_t(s) : -1;
      out.rewards[r] = float(correctness[size_t(r)] - in.alpha * hThink - in.beta * hAnswer);
    }
  });
  if (firstBad.get() < n) {
    const int64_t r = firstBad.get();
    double unused;
    int64_t bad = -1;
    if (phaseSum(in.entropies, responses.begin(r), start[size_t(r)], &unused, &bad)) phaseSum(in.entropies, stop[size_t(r)], responses.end(r), &unused, &bad);
    return rangeError(codes::kNonFinite, "entropies", bad,
                      "entropies[" + std::to_string(bad) + "] is not finite (response " + std::to_string(r) + ")");
  }
  return Status::Ok();
}

}  // namespace infogain
