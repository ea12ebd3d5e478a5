// What a Shapley estimator is asked for: the method, the budget, the seed and each method's
// settings. Its own header because both the estimator (shapley_estimator.h) and the designs it
// runs (shapley_design.h) read it, and the designs sit below the estimator.
#pragma once
#include <cstdint>

namespace infogain {

enum class ShapleyMethod : int32_t {
  Auto = 0,            // chooses from the budget and n (see chooseMethod)
  Permutation,         // Castro et al. 2009: random permutations, mean marginal contributions
  Antithetic,          // each permutation with its reverse (shap's PermutationExplainer)
  Orthogonal,          // orthogonal spherical codes (Mitchell et al. 2022): antithetic pairs from orthonormal directions
  Stratified,          // per player, strata by coalition size (Maleki et al. 2013), equal allocation
  Kernel,              // paired KernelSHAP, border trick, efficiency constraint solved exactly
  Leverage,            // Leverage SHAP (Musco & Witter 2025): sizes uniform, otherwise as Kernel
  Svarm,               // Stratified SVARM (Kolpaczki et al. 2024), post-stratified by size and membership
  RegressionAdjusted,  // Witter et al. 2025: unweighted proxy fit + Horvitz-Thompson residual correction
                       // (here the proxy is linear plus one shrunk offset per coalition size)
  PromedReference,     // ProMed's truncated permutation sampler, reproduced with its bias
  Exact,               // every coalition (what any method becomes when the budget covers 2^n)
};

const char* methodName(ShapleyMethod m);

// How the paired designs spread their pairs over coalition sizes (default: per method).
enum class SizeDistribution : int32_t { Default = 0, Kernel, Uniform, Svarm, Mixed };

struct EstimatorOptions {
  int players = 0;                 // 1..32
  ShapleyMethod method = ShapleyMethod::Auto;
  int64_t budget = 0;              // distinct coalition evaluations, v(empty) and v(N) included; >= 2
  uint64_t seed = 0;
  double tolerance = 0;            // > 0: converged once every standard error is at most this
  bool cache = true;               // false: the budget counts what an uncached sampler would call
  SizeDistribution sizes = SizeDistribution::Default;  // kernel, leverage, svarm, regression-adjusted
  // 'promed-reference' (the reference's defaults)
  int maxPermutations = 50;
  int minPermutations = 3;
  double promedTolerance = 1e-2;   // stop when mean |phi_t - phi_{t-1}| falls below it
  double truncation = 1e-2;        // end a permutation once |v(prefix) - v(N)| falls below it
};

constexpr int kMaxEstimatorPlayers = 32;
constexpr int64_t kMaxBudget = int64_t(1) << 25;

}  // namespace infogain
