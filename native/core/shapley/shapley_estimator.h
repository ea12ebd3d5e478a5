// Monte Carlo Shapley values under a budget of distinct coalition evaluations, in three steps the
// caller drives: nextBatch() plans the coalitions to evaluate, the caller evaluates them (a model
// forward pass each), observe() hands the values back, estimate() returns phi with standard errors.
// Every distinct coalition is asked for once and cached. The plan depends only on the seed (and,
// for 'promed-reference', on the values), never on how the caller splits it into batches.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "../status.h"

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

struct ShapleyEstimate {
  std::vector<double> phi;            // NaN until v(empty) and v(N) are observed
  std::vector<double> standardError;  // widened by t_{0.975}(df) / 1.96; +inf when not estimable
  int64_t evaluations = 0;            // distinct coalitions observed
  int64_t calls = 0;                  // evaluations an uncached sampler would have made for the same units
  int64_t units = 0;                  // complete sampling units (permutations, pairs, ...) used
  bool converged = false;             // exact, or every standard error <= tolerance
  bool exact = false;                 // every coalition observed: phi is exact, standard errors 0
  ShapleyMethod method = ShapleyMethod::Auto;  // the method that ran
};

class Design;
class CoalitionStore;

class ShapleyEstimator {
 public:
  static Status create(const EstimatorOptions& options, std::unique_ptr<ShapleyEstimator>* out);
  ~ShapleyEstimator();

  // Up to `max` coalitions not asked for before. Empty when the plan is finished, or (sequential
  // methods) while it waits for values already handed out. Once all 2^n coalitions have been asked
  // for, the plan ends (their values give the exact phi), also with cache: false and budget left;
  // only 'promed-reference' walks on, on cached values, to reproduce the reference's estimate.
  Status nextBatch(int64_t max, std::vector<uint32_t>* out);
  // Values of coalitions handed out by nextBatch and not observed yet; all-or-nothing.
  Status observe(const uint32_t* masks, const double* values, int64_t count);
  Status estimate(ShapleyEstimate* out) const;

  int64_t pending() const;  // handed out, not observed
  bool done() const;        // the plan is finished (nothing more will be asked)
  int64_t memoryBytes() const;  // bytes of memory it holds now, itself included
  ShapleyMethod method() const { return method_; }

 private:
  ShapleyEstimator() = default;
  bool everyCoalitionAsked() const;
  EstimatorOptions opt_;
  ShapleyMethod method_ = ShapleyMethod::Auto;
  std::unique_ptr<Design> design_;
  std::unique_ptr<CoalitionStore> store_;
  std::vector<uint32_t> queue_;  // admitted, not handed out yet
  size_t queueHead_ = 0;
  int64_t spent_ = 0;            // what the budget counts so far
  int64_t calls_ = 0;
  bool started_ = false;
  bool finished_ = false;
};

// The method 'auto' runs for n players and a budget (from the measurements in bench/RESULTS.md).
ShapleyMethod chooseMethod(int players, int64_t budget);

}  // namespace infogain
