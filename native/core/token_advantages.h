// Token-level advantages: a per-sample value broadcast over a sequence's tokens, REINFORCE++'s
// discounted return with batch whitening, and ProMed's token reward minus its group's token mean.
#pragma once
#include <cstdint>

#include "groups.h"
#include "status.h"
#include "token_layout.h"

namespace infogain {

// out[t] = perSample[row of t] on valid tokens, 0 elsewhere.
Status broadcastToTokens(const float* perSample, const TokenLayout& layout, float* out);

// How a masked token inside a sequence (an observation, in multi-turn rollouts) affects the return:
// Bridge: the return flows across it (discounting by valid tokens only); Reset: verl's reference,
// the running return restarts there, as it does after the end of the sequence.
enum class MaskGaps : int32_t { Bridge = 0, Reset = 1 };

struct ReinforcePPOptions {
  double gamma = 1.0;
  MaskGaps gaps = MaskGaps::Bridge;
  double whitenEps = 1e-8;  // (G - mean) * rsqrt(var_unbiased + whitenEps) over every valid token of the batch
};

// returns[t] = r_t + gamma * (return of the next valid token of the same row), advantages = the
// returns whitened over the batch's valid tokens; both 0 on masked tokens. Needs >= 2 valid tokens.
Status reinforcePP(const float* rewards, const TokenLayout& layout, const ReinforcePPOptions& opt, float* advantages,
                   float* returns);

// ProMed: out[t] = r_t - (mean of r over every valid token of every row in t's group), 0 on masked
// tokens. Rows are grouped by `grouping`; stats: each group's token mean and valid-token count.
Status promedAdvantages(const float* rewards, const TokenLayout& layout, const Grouping& grouping, float* out,
                        GroupStats* stats);

}  // namespace infogain
