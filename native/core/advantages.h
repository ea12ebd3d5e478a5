// Group-normalized advantages of one scalar score per sample (the GRPO family as verl implements it),
// and RLP's leave-one-out advantage of a log-ratio reward.
#pragma once
#include <cstdint>

#include "groups.h"
#include "status.h"

namespace infogain {

enum class Estimator : int32_t { Grpo = 0, DrGrpo = 1, Rloo = 2, ReinforcePPBaseline = 3, PassK = 4 };
enum class StdKind : int32_t { Unbiased = 0, Population = 1 };
// What a group of one sample gets: verl's mean 0 and std 1, or TRL's own mean and a NaN std.
enum class Singleton : int32_t { Verl = 0, NaN = 1 };

struct GroupAdvantagesOptions {
  Estimator estimator = Estimator::Grpo;
  StdKind std = StdKind::Unbiased;
  double eps = 1e-6;                     // added to the group std before dividing
  Singleton singleton = Singleton::Verl;
  bool normalizeByStd = true;            // grpo and passk divide by (std + eps); verl's norm_adv_by_std_in_grpo
  double whitenEps = 1e-8;               // reinforce++-baseline: (x - mean) * rsqrt(var + whitenEps)
  const int32_t* tokenCounts = nullptr;  // reinforce++-baseline: each sample's weight in the batch whitening
};

// out[i]: the advantage of sample i; stats: each group's id, count, and mean and std after the
// singleton rule. Scores must be finite.
Status groupAdvantages(const float* scores, int64_t n, const Grouping& grouping, const GroupAdvantagesOptions& opt,
                       float* out, GroupStats* stats);

// RLP: reward r_i = withThought_i - baseline_i (log-probs of the next token with and without the
// thought), advantage G/(G-1) (r_i - mean_group r). Every group needs at least two thoughts.
Status rlpAdvantages(const float* withThought, const float* baseline, int64_t n, const Grouping& grouping,
                     float* rewards, float* advantages, GroupStats* stats);

}  // namespace infogain
