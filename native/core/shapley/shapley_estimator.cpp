#include "shapley_estimator.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "bits.h"
#include "coalition_store.h"
#include "shapley.h"
#include "shapley_design.h"

namespace infogain {

const char* methodName(ShapleyMethod m) {
  switch (m) {
    case ShapleyMethod::Auto: return "auto";
    case ShapleyMethod::Permutation: return "permutation";
    case ShapleyMethod::Antithetic: return "antithetic";
    case ShapleyMethod::Orthogonal: return "orthogonal";
    case ShapleyMethod::Stratified: return "stratified";
    case ShapleyMethod::Kernel: return "kernel";
    case ShapleyMethod::Leverage: return "leverage";
    case ShapleyMethod::Svarm: return "svarm";
    case ShapleyMethod::RegressionAdjusted: return "regression-adjusted";
    case ShapleyMethod::PromedReference: return "promed-reference";
    case ShapleyMethod::Exact: return "exact";
  }
  return "?";
}

int64_t ShapleyEstimator::memoryBytes() const {
  return int64_t(sizeof(*this)) + heapBytes(queue_) + store_->memoryBytes() + design_->memoryBytes();
}

ShapleyMethod chooseMethod(int players, int64_t budget) {
  if (players <= kMaxExactPlayers && budget >= (int64_t(1) << players)) return ShapleyMethod::Exact;
  // Below 5n the pairs are too few for the regression to be safe: it was 1.5-40x worse than
  // antithetic at 2-3n, and up to 1.2x worse on near-additive games at 4n (bench/RESULTS.md).
  if (budget < 5 * int64_t(players)) return ShapleyMethod::Antithetic;
  return ShapleyMethod::RegressionAdjusted;
}

static Status optionError(const char* name, const std::string& message) {
  return rangeError(codes::kRange, name, -1, message);
}

Status ShapleyEstimator::create(const EstimatorOptions& o, std::unique_ptr<ShapleyEstimator>* out) {
  if (o.players < 1 || o.players > kMaxEstimatorPlayers)
    return optionError("players", "players must be an integer in [1, 32], got " + std::to_string(o.players));
  if (o.budget < 2 || o.budget > kMaxBudget)
    return optionError("budget", "budget must be an integer in [2, 2^25] (v(empty) and v(N) count), got " +
                                     std::to_string(o.budget));
  if (int(o.method) < 0 || int(o.method) > int(ShapleyMethod::Exact)) return optionError("method", "unknown method");
  if (!(o.tolerance >= 0) || !std::isfinite(o.tolerance))
    return optionError("tolerance", "tolerance must be a finite number >= 0");
  if (int(o.sizes) < 0 || int(o.sizes) > int(SizeDistribution::Mixed)) return optionError("sizes", "unknown size distribution");
  if (o.maxPermutations < 1) return optionError("maxPermutations", "maxPermutations must be >= 1");
  if (o.minPermutations < 1) return optionError("minPermutations", "minPermutations must be >= 1");
  if (!(o.promedTolerance >= 0) || !std::isfinite(o.promedTolerance))
    return optionError("promedTolerance", "promedTolerance must be a finite number >= 0");
  if (!(o.truncation >= 0) || !std::isfinite(o.truncation))
    return optionError("truncation", "truncation must be a finite number >= 0");

  std::unique_ptr<ShapleyEstimator> e(new ShapleyEstimator());
  e->opt_ = o;
  ShapleyMethod m = o.method == ShapleyMethod::Auto ? chooseMethod(o.players, o.budget) : o.method;
  // a budget that covers the whole lattice buys the exact values, whatever the method
  const bool coversAll = o.players <= kMaxExactPlayers && o.budget >= (int64_t(1) << o.players);
  if (coversAll && o.cache && m != ShapleyMethod::PromedReference) m = ShapleyMethod::Exact;
  e->method_ = m;
  switch (m) {
    case ShapleyMethod::Permutation:
    case ShapleyMethod::Antithetic:
    case ShapleyMethod::Orthogonal: e->design_ = makePermutationDesign(o, m); break;
    case ShapleyMethod::PromedReference: e->design_ = makePromedDesign(o); break;
    case ShapleyMethod::Stratified: e->design_ = makeStratifiedDesign(o); break;
    case ShapleyMethod::Exact: e->design_ = makeExactDesign(o); break;
    default: e->design_ = makePairedDesign(o, m); break;
  }
  e->store_.reset(new CoalitionStore());
  *out = std::move(e);
  return Status::Ok();
}

ShapleyEstimator::~ShapleyEstimator() = default;

Status ShapleyEstimator::nextBatch(int64_t max, std::vector<uint32_t>* out) {
  out->clear();
  if (max < 0) return rangeError(codes::kRange, "max", -1, "max must be >= 0");
  if (!started_) {
    started_ = true;
    for (uint32_t m : {uint32_t(0), fullMask(opt_.players)}) {
      store_->add(m);
      queue_.push_back(m);
    }
    spent_ = opt_.cache ? 2 : design_->initialCalls();
    calls_ = design_->initialCalls();
  }
  Proposal p;
  while (int64_t(out->size()) < max) {
    if (queueHead_ < queue_.size()) {
      out->push_back(queue_[queueHead_++]);
      continue;
    }
    if (finished_) break;
    if (everyCoalitionAsked()) {  // nothing new can be handed out: the plan is over (see the header)
      finished_ = true;
      break;
    }
    Pull r = design_->next(*store_, &p);
    if (r == Pull::Wait) break;
    if (r == Pull::Done) {
      finished_ = true;
      break;
    }
    int64_t fresh = 0;  // a proposal's masks are distinct
    for (uint32_t m : p.masks) fresh += store_->asked(m) ? 0 : 1;
    const int64_t cost = opt_.cache ? fresh : p.calls;
    if (spent_ + cost > opt_.budget) {
      design_->reject();
      finished_ = true;
      break;
    }
    spent_ += cost;
    calls_ += p.calls;
    for (uint32_t m : p.masks) {
      if (store_->asked(m)) continue;
      store_->add(m);
      queue_.push_back(m);
    }
  }
  return Status::Ok();
}

Status ShapleyEstimator::observe(const uint32_t* masks, const double* values, int64_t count) {
  const uint32_t full = fullMask(opt_.players);
  std::vector<int64_t> slots(size_t(count > 0 ? count : 0));
  for (int64_t k = 0; k < count; k++) {
    const uint32_t m = masks[k];
    if (m & ~full)
      return rangeError(codes::kRange, "masks", k,
                        "masks[" + std::to_string(k) + "] = " + std::to_string(m) + " has players outside [0, " +
                            std::to_string(opt_.players) + ")");
    const int64_t slot = store_->slotOf(m);
    if (slot < 0 || slot >= int64_t(queueHead_))
      return rangeError(codes::kRange, "masks", k,
                        "masks[" + std::to_string(k) + "] = " + std::to_string(m) + " was not handed out by nextBatch");
    if (store_->observed(slot))
      return rangeError(codes::kRange, "masks", k,
                        "masks[" + std::to_string(k) + "] = " + std::to_string(m) + " was observed already");
    if (!std::isfinite(values[k]))
      return rangeError(codes::kNonFinite, "values", k,
                        "values[" + std::to_string(k) + "] is " +
                            (std::isnan(values[k]) ? "NaN" : values[k] > 0 ? "Infinity" : "-Infinity"));
    slots[size_t(k)] = slot;
  }
  std::vector<int64_t> sorted = slots;
  std::sort(sorted.begin(), sorted.end());
  for (size_t k = 1; k < sorted.size(); k++) {
    if (sorted[k] != sorted[k - 1]) continue;
    int64_t at = 0;  // report the second occurrence
    for (int64_t seen = 0; at < count; at++)
      if (slots[size_t(at)] == sorted[k] && ++seen == 2) break;
    return rangeError(codes::kRange, "masks", at,
                      "masks[" + std::to_string(at) + "] = " + std::to_string(masks[at]) + " appears twice");
  }
  for (int64_t k = 0; k < count; k++) store_->set(slots[size_t(k)], values[k]);
  return Status::Ok();
}

bool ShapleyEstimator::everyCoalitionAsked() const {
  return method_ != ShapleyMethod::PromedReference && store_->size() == (int64_t(1) << opt_.players);  // players <= 32
}

int64_t ShapleyEstimator::pending() const { return int64_t(queueHead_) - store_->observedCount(); }

bool ShapleyEstimator::done() const { return finished_ && queueHead_ == queue_.size(); }

Status ShapleyEstimator::estimate(ShapleyEstimate* out) const {
  const int n = opt_.players;
  out->phi.assign(size_t(n), NAN);
  out->standardError.assign(size_t(n), INFINITY);
  out->evaluations = store_->observedCount();
  out->calls = calls_;
  out->units = 0;
  out->exact = false;
  out->converged = false;
  out->method = method_;
  if (!store_->known(0) || !store_->known(fullMask(n))) return Status::Ok();

  // every coalition observed: the values are exact (not for the reference sampler, which
  // reproduces the reference's estimate)
  if (n <= kMaxExactPlayers && store_->observedCount() == (int64_t(1) << n) && method_ != ShapleyMethod::PromedReference) {
    std::vector<double> table(size_t(1) << n);
    for (int64_t s = 0; s < store_->size(); s++) table[store_->maskAt(s)] = store_->valueAt(s);
    Status st = shapleyExact(table.data(), int64_t(table.size()), ShapleyIndex::Shapley, out->phi.data());
    if (!st.ok()) return st;
    out->standardError.assign(size_t(n), 0.0);
    out->exact = out->converged = true;
    return Status::Ok();
  }
  DesignEstimate de;
  design_->estimate(*store_, &de);
  out->phi = de.phi;
  out->standardError = de.standardError;
  out->units = de.units;
  if (opt_.tolerance > 0) {
    out->converged = true;
    for (double s : out->standardError) out->converged = out->converged && s <= opt_.tolerance;
  }
  return Status::Ok();
}

}  // namespace infogain
