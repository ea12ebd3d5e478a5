// Token log-probs, logsumexp and entropy of logits rows: one fused pass per row.
#pragma once
#include <cstdint>

#include "dtype.h"
#include "status.h"

namespace infogain {

struct TokenLogprobsOptions {
  float temperature = 1.0f;  // logits are divided by it
  bool hasIgnoreIndex = false;
  int32_t ignoreIndex = -100;  // rows whose target equals it are skipped and get 0 everywhere
};

struct TokenLogprobsOutput {
  float* logprobs;   // [rows]
  float* logsumexp;  // [rows]
  float* entropy;    // [rows] or nullptr when not wanted
};

// Checks the cheap things (shape, temperature, targets) without reading the logits.
Status checkTokenLogprobs(const LogitsView& logits, const int32_t* targets, const TokenLogprobsOptions& opt);

// Validates, then computes on the CPU. Rows holding NaN or +inf, or no finite entry, are a
// RangeError naming the first such row; outputs are then unspecified.
Status tokenLogprobs(const LogitsView& logits, const int32_t* targets, const TokenLogprobsOptions& opt,
                     const TokenLogprobsOutput& out);

// Why a row failed the finiteness check: the error for its first bad entry (NaN, +inf, a logit
// that overflows float32 once divided by the temperature, or no finite entry at all).
Status describeBadRow(const char* argument, const LogitsView& logits, int64_t row, float invTemperature);

}  // namespace infogain
