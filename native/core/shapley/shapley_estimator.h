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
#include "shapley_options.h"

namespace infogain {

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
