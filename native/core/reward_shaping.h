// Small reward and advantage formulas of the information-gain literature, vectorized over a batch:
// EMPG's entropy modulation, SAR's self-aligned reward, PAR's sigmoid reward against references,
// Clip / Delta process-reward refinement, and InSight's Beta-posterior mutual information score.
// (RLP's leave-one-out advantage is rlpAdvantages in advantages.h.) Parts that the notes mark
// unverified are explicit options; see docs/advantages.md.
#pragma once
#include <cstdint>

#include "status.h"

namespace infogain {

// ---- EMPG: A_mod(step t of trajectory i) = g(H_t) A_i + zeta f(H_{t+1}), then a batch normalization
enum class FinalNormalization : int32_t { None = 0, Center = 1, Standardize = 2 };

struct EmpgOptions {
  double k = 1.0;     // g(H) = exp(-k Hn) / (batch mean of exp(-k Hn) + 1e-8)
  double kf = 1.0;    // f(H) = exp(-kf Hn)
  double zeta = 0.1;  // weight of the future-clarity bonus
  FinalNormalization final = FinalNormalization::Center;  // [unverified] in the notes
};

struct EmpgInput {
  const float* entropy = nullptr;        // [steps] mean token entropy of each step
  const float* advantage = nullptr;      // [trajectories] the trajectory's advantage (e.g. GRPO)
  const int32_t* stepOffsets = nullptr;  // [trajectories + 1] trajectory i's steps are [offsets[i], offsets[i + 1])
  const int32_t* stepTokens = nullptr;   // [steps] optional weights of the final normalization (token counts)
  int64_t steps = 0, trajectories = 0;
};

// out: the modulated (and normalized) advantage per step; scale: g(H_t); bonus: zeta f(H_{t+1}) (0 at the last step).
Status empgAdvantages(const EmpgInput& in, const EmpgOptions& opt, float* out, float* scale, float* bonus);

// ---- SAR: R = max((A - QA) / (A + 1e-9), -1) with QA = ppl(answer | question), A = ppl(answer alone)
struct SarOptions {
  bool useLog = false;         // log-perplexities instead of perplexities
  bool useDenominator = true;  // false: A - QA
  bool useComparison = true;   // false: -QA + 5 (needs useDenominator false)
  double clipValue = -1;       // > 1: both terms capped at it first
};

// conditioned / unconditioned: mean token log-prob of each answer with the question / under an empty prompt.
Status sarRewards(const float* conditioned, const float* unconditioned, int64_t n, const SarOptions& opt, float* out);

// ---- PAR: r' = mean over the first M references of sigmoid(k (r - ref)), after a length penalty
struct ParOptions {
  double k = 1.0;                // sigmoid_k
  int64_t maxReferences = 10;    // reward_maxref
  double lengthThreshold = 300;  // gen_valid_len: longer responses lose lengthPenalty per token beyond it
  double lengthPenalty = 0.01;
};

struct ParInput {
  const float* rewards = nullptr;            // [n]
  const float* references = nullptr;         // reward-model scores of the reference responses
  const int32_t* referenceOffsets = nullptr; // [n + 1], or null: n equal slices of references
  const int32_t* lengths = nullptr;          // [n] response lengths, or null: no length penalty
  int64_t n = 0, numReferences = 0;
};

Status parRewards(const ParInput& in, const ParOptions& opt, float* out);

// ---- Clip / Delta refinement of process-reward-model step scores
enum class ProcessRewardMode : int32_t { Clip = 0, Delta = 1, ClipDelta = 2 };
enum class DeltaLastStep : int32_t { Zero = 0, Keep = 1 };  // [unverified]: the paper's figure drops it (Zero)

struct ClipDeltaOptions {
  ProcessRewardMode mode = ProcessRewardMode::ClipDelta;
  double eta = 0;  // Clip: min(r - eta, 0)
  DeltaLastStep lastStep = DeltaLastStep::Zero;
};

Status clipDeltaRewards(const float* rewards, int64_t steps, const int32_t* stepOffsets, int64_t trajectories,
                        const ClipDeltaOptions& opt, float* out);

// ---- InSight: mutual information (nats) between a Beta(a, b) success rate and k rollouts' outcomes
struct InsightOptions {
  int64_t rollouts = 1;
};

// scores = weight * mi (weight 1 when weights is null); mean = a / (a + b).
Status insightScores(const float* alpha, const float* beta, const float* weights, int64_t n, const InsightOptions& opt,
                     float* scores, float* mutualInformation, float* mean);

}  // namespace infogain
