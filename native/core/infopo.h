// InfoPO's fusion of the outcome advantage with token-level information-gain (intrinsic) rewards
// (compute_info_grpo_advantage, Equalized turn credits): a group-normalized outcome on every valid
// token, plus beta_t * gate * ratio * (group-normalized intrinsic reward) on the tokens that carry one.
#pragma once
#include <cstdint>

#include "groups.h"
#include "status.h"
#include "token_layout.h"

namespace infogain {

struct InfopoInput {
  const float* scores = nullptr;      // [rows] outcome score S_b of each rollout
  const float* intrinsic = nullptr;   // [tokens] intrinsic reward of each token (IG_t / len on action t)
  const uint8_t* present = nullptr;   // [tokens] 1 where `intrinsic` holds a reward (replaces verl's != 0)
  TokenLayout layout;                 // rows = rollouts; mask = the response (loss) mask
  Grouping grouping;                  // over rows
};

struct InfopoOptions {
  double beta = 0.5;          // intrinsic_weight
  double temperature = 0.5;   // intrinsic_gate_temperature T: gate = sigmoid(-std_g / T)
  double decay = 0.0;         // intrinsic_decay_rate: beta_t = beta * exp(-decay * epoch)
  double epoch = 0.0;
  double eps = 1e-6;          // epsilon of every std
  double baselineStd = 1.0;   // floor of the target std in the bounded ratio
  bool normalizeByStd = true;       // norm_adv_by_std_in_grpo (outcome and intrinsic)
  bool normalizeIntrinsic = true;   // false: the raw intrinsic reward (the reference's ablation)
};

struct InfopoOutput {
  float* advantages = nullptr;  // [tokens]
  float* outcome = nullptr;     // [rows] group-normalized outcome advantage
  float* gate = nullptr;        // [rows]
  double ratio = 0, betaT = 0, outcomeStd = 0, intrinsicStd = 0;  // batch scalars (stds without eps)
  GroupStats outcomeStats, intrinsicStats;  // same groups; intrinsic count is in present tokens
};

Status infopoAdvantages(const InfopoInput& in, const InfopoOptions& opt, InfopoOutput* out);

}  // namespace infogain
