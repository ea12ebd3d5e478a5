// Token-level advantages: a per-sample value broadcast over a sequence's tokens, REINFORCE++'s
// discounted return with batch whitening, and ProMed's token reward minus its group's token mean.
#pragma once
#include <cstdint>

#include "groups.h"
#include "status.h"
#include "token_layout.h"

namespace infogain {

// Outputs that arrive zeroed (a fresh JS array) are not written on masked tokens: a page never written
// is never faulted in, and a VM's page faults (~10 us each on the 2-core benchmark machine) made
// writing the zeros most of a [2048, 2048] call, where a JS loop skips them. Either way masked tokens read 0.

// out[t] = perSample[row of t] on valid tokens, 0 elsewhere.
Status broadcastToTokens(const float* perSample, const TokenLayout& layout, float* out, bool outZeroed = false);

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
                   float* returns, bool outZeroed = false);

// ProMed: out[t] = r_t - (mean of r over every valid token of every row in t's group), 0 on masked
// tokens. Rows are grouped by `grouping`; stats: each group's token mean and valid-token count.
Status promedAdvantages(const float* rewards, const TokenLayout& layout, const Grouping& grouping, float* out,
                        GroupStats* stats);

}  // namespace infogain
