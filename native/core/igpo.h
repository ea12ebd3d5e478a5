// IGPO's turn-level advantage (Feb-2026 compute_grpo_outcome_advantage): per-turn information gains
// and the final outcome (F1) normalized per group (population std, sqrt(var + 1e-8)), accumulated
// backwards over turns A_k = r_k + gamma A_{k+1}, and broadcast over each turn's tokens.
// Turns are explicit here: the reference finds them from non-zero rewards (see docs/advantages.md).
#pragma once
#include <cstdint>

#include "groups.h"
#include "status.h"
#include "token_layout.h"

namespace infogain {

enum class IgpoNormalization : int32_t { Joint = 0, Separate = 1 };

struct IgpoInput {
  const float* outcome = nullptr;       // [rows] final reward (F1) of each rollout, earned at its last valid token
  const float* gains = nullptr;         // [numGains] information gain of every non-final turn, rollout-major
  const int32_t* gainOffsets = nullptr; // [rows + 1] rollout b's gains are [gainOffsets[b], gainOffsets[b + 1])
  const int32_t* gainEnds = nullptr;    // [numGains] position in its row of the last token of the turn that earned it
  int64_t numGains = 0;
  TokenLayout layout;
  Grouping grouping;                    // over rows
};

struct IgpoOptions {
  IgpoNormalization normalization = IgpoNormalization::Joint;
  double gamma = 1.0;
  double eps = 1e-6;
  double outcomeWeight = 1.0;  // curriculum weights, applied before normalization
  double gainWeight = 1.0;
  bool normalizeByStd = true;  // norm_adv_by_std_in_grpo
};

struct IgpoOutput {
  float* advantages = nullptr;         // [tokens]
  float* outcomeAdvantages = nullptr;  // [rows] A of each rollout's final turn
  float* gainAdvantages = nullptr;     // [numGains] A of each gain turn
  GroupStats outcomeStats, gainStats;  // identical (joint statistics) in joint mode
};

Status igpoAdvantages(const IgpoInput& in, const IgpoOptions& opt, IgpoOutput* out);

}  // namespace infogain
