// What every estimator method implements: a stream of sampling units (a permutation, a complement
// pair, ...) proposed one at a time, and an estimate from the units whose values are all known.
// ShapleyEstimator admits a unit when its new coalitions fit in the budget, asks for them, and
// caches every value.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "coalition_store.h"
#include "../heap_bytes.h"
#include "shapley_options.h"

namespace infogain {

struct Proposal {
  std::vector<uint32_t> masks;  // every coalition the unit uses (known ones included)
  int64_t calls = 0;            // what an uncached implementation pays for this unit
};

enum class Pull { Unit, Wait, Done };

struct DesignEstimate {
  std::vector<double> phi, standardError;
  int64_t units = 0;
};

class Design {
 public:
  virtual ~Design() = default;
  // Fills `p` with the next unit. Wait: a sequential design needs values it already asked for.
  virtual Pull next(const CoalitionStore& store, Proposal* p) = 0;
  // The last proposal did not fit the budget: drop it; next() returns Done from now on.
  virtual void reject() = 0;
  // Called once v(empty) and v(N) are known.
  virtual void estimate(const CoalitionStore& store, DesignEstimate* out) const = 0;
  // Calls an uncached implementation makes before its first unit.
  virtual int64_t initialCalls() const { return 2; }
  // Bytes of memory it holds, itself included (reported to the JS engine by the binding).
  virtual int64_t memoryBytes() const = 0;
};

std::unique_ptr<Design> makePermutationDesign(const EstimatorOptions& opt, ShapleyMethod method);
std::unique_ptr<Design> makePromedDesign(const EstimatorOptions& opt);
std::unique_ptr<Design> makePairedDesign(const EstimatorOptions& opt, ShapleyMethod method);
std::unique_ptr<Design> makeStratifiedDesign(const EstimatorOptions& opt);
std::unique_ptr<Design> makeExactDesign(const EstimatorOptions& opt);

// Helpers shared by the designs.
// phi_i = (v(N) - v(empty)) / n for all i, standard errors +inf: the estimate with no usable unit.
void uniformSplit(const CoalitionStore& store, int n, DesignEstimate* out);
// Mean and t-widened standard error of per-unit values (units x n, row-major). A player whose few
// units happened to agree (in a 0/1 game, never pivotal) would get a zero-width interval, so each
// player's variance is shrunk toward the players' mean with the weight of kPriorDf units (a
// moderated t, as in empirical Bayes), and the t quantile gains those degrees of freedom.
void meanOverUnits(const std::vector<double>& unitValues, int n, DesignEstimate* out);
constexpr double kPriorDf = 2;
// When all units agree for every player, the spread is taken as 0 only from this many units on;
// below, the standard errors are +inf.
constexpr int64_t kMinUnitsForZeroSpread = 5;

}  // namespace infogain
