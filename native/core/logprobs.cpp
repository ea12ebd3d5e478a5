#include "logprobs.h"

#include <cmath>
#include <string>

#include "first_bad.h"
#include "row_parallel.h"
#include "softmax_stats.h"

namespace infogain {

Status describeBadRow(const char* argument, const LogitsView& logits, int64_t row, float invTemperature) {
  const void* data = logits.row(row);
  const std::string where = std::string(argument) + " row " + std::to_string(row);
  for (int64_t j = 0; j < logits.vocab; j++) {
    float x = loadAsFloat(data, logits.dtype, j);
    if (std::isnan(x) || x == INFINITY)
      return rangeError(codes::kNonFinite, argument, row,
                        where + " holds " + (std::isnan(x) ? "NaN" : "+Infinity") + " at column " + std::to_string(j));
    if (std::isfinite(x) && !std::isfinite(x * invTemperature * 1.4426950408889634f))
      return rangeError(codes::kNonFinite, argument, row,
                        where + ": the logit at column " + std::to_string(j) +
                            " overflows float32 once divided by the temperature");
  }
  return rangeError(codes::kNonFinite, argument, row,
                    std::string(argument) + " row " + std::to_string(row) +
                        " has no finite entry (every logit is -Infinity)");
}

Status checkTokenLogprobs(const LogitsView& logits, const int32_t* targets, const TokenLogprobsOptions& opt) {
  if (logits.rows < 0) return rangeError(codes::kRange, "logits.rows", -1, "logits.rows must be >= 0");
  if (logits.vocab < 1) return rangeError(codes::kRange, "logits.vocab", -1, "logits.vocab must be >= 1");
  if (!(opt.temperature > 0.0f) || !std::isfinite(opt.temperature))
    return rangeError(codes::kRange, "temperature", -1, "temperature must be a finite number > 0");
  for (int64_t r = 0; r < logits.rows; r++) {
    int32_t t = targets[r];
    if (opt.hasIgnoreIndex && t == opt.ignoreIndex) continue;
    if (t < 0 || t >= logits.vocab)
      return rangeError(codes::kRange, "targets", r,
                        "targets[" + std::to_string(r) + "] = " + std::to_string(t) + " is outside [0, " +
                            std::to_string(logits.vocab) + ")");
  }
  return Status::Ok();
}

Status tokenLogprobs(const LogitsView& logits, const int32_t* targets, const TokenLogprobsOptions& opt,
                     const TokenLogprobsOutput& out) {
  Status st = checkTokenLogprobs(logits, targets, opt);
  if (!st.ok()) return st;
  const float invT = 1.0f / opt.temperature;
  FirstBad firstBad(logits.rows);
  auto skipped = [&](int64_t r) { return opt.hasIgnoreIndex && targets[r] == opt.ignoreIndex; };

  reduceRows<SoftmaxStats>(
      logits.rows, logits.vocab,
      [&](int64_t r, int64_t begin, int64_t end) {
        if (skipped(r)) return SoftmaxStats{};
        return softmaxStats(logits.row(r), logits.dtype, begin, end, invT);
      },
      mergeStats,
      [&](int64_t r, const SoftmaxStats& s) {
        if (skipped(r)) {
          out.logprobs[r] = 0.0f;
          out.logsumexp[r] = 0.0f;
          if (out.entropy) out.entropy[r] = 0.0f;
          return;
        }
        if (s.bad || !s.anyFinite()) {
          firstBad.report(r);
          return;
        }
        float logS = std::log(s.s);
        out.logprobs[r] = s.logprob(loadAsFloat(logits.row(r), logits.dtype, targets[r]));
        out.logsumexp[r] = s.scaledMax() + logS;
        if (out.entropy) out.entropy[r] = std::fmax(logS - s.w / s.s, 0.0f);  // >= 0 up to rounding
      });

  if (firstBad.get() < logits.rows) return describeBadRow("logits", logits, firstBad.get(), invT);
  return Status::Ok();
}

}  // namespace infogain
