// ShapleyEstimator (native/node/shapley.cpp): options as the binding passes them (each an integer
// or a double, range-checked by the core), then a fuzzed sequence of nextBatch / observe / estimate
// calls, observing handed-out masks in any order, twice, or masks never handed out; in race mode
// (fuzz.h) the observed values change during observe.
#include <memory>
#include <vector>

#include "../../../native/core/shapley/shapley_estimator.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

namespace {

int smallInt(fuzz::Source& src, int lo, int hi) { return src.byte() < 245 ? src.range<int>(lo, hi) : src.anyInt32(); }

void checkEstimate(const ShapleyEstimator& e, int players) {
  ShapleyEstimate est;
  Status st = e.estimate(&est);
  fuzz::checkStatus(st);
  if (!st.ok()) return;
  FUZZ_CHECK(est.phi.size() == size_t(players) && est.standardError.size() == size_t(players));
  FUZZ_CHECK(est.evaluations >= 0 && est.units >= 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  EstimatorOptions opt;
  opt.players = src.byte() < 240 ? src.range<int>(1, 12) : smallInt(src, -1, 33);
  opt.method = ShapleyMethod(smallInt(src, 0, 11));
  const uint8_t b = src.byte();
  opt.budget = b < 200 ? src.range<int64_t>(0, 100) : b < 250 ? src.range<int64_t>(0, 5000)
                                                              : kMaxBudget + src.range<int64_t>(-1, 1);
  if (opt.budget > 5000 && opt.players > 14) opt.players = 14;  // keep one run short
  opt.seed = src.range<uint64_t>(0, UINT64_MAX);
  opt.tolerance = src.byte() < 200 ? 0.0 : src.number();
  opt.cache = src.byte() < 200;
  opt.sizes = SizeDistribution(smallInt(src, 0, 5));
  opt.maxPermutations = smallInt(src, 0, 60);
  opt.minPermutations = smallInt(src, 0, 10);
  opt.promedTolerance = src.byte() < 200 ? 1e-2 : src.number();
  opt.truncation = src.byte() < 200 ? 1e-2 : src.number();
  // nextBatch works through units of already-asked coalitions without returning (test/RELIABILITY.md,
  // finding 7): uncached with a budget far above 2^n, or 'promed-reference' with a huge
  // maxPermutations. It ends, but after seconds to minutes; these caps keep one run short.
  if (opt.budget > 5000 && !opt.cache) opt.budget = 5000;
  if (opt.maxPermutations > 1000) opt.maxPermutations = 1000;

#ifdef FUZZ_DEBUG
  std::fprintf(stderr, "players %d method %d budget %ld cache %d sizes %d maxPerm %d minPerm %d tol %g ptol %g trunc %g\n", opt.players,
               int(opt.method), long(opt.budget), int(opt.cache), int(opt.sizes), opt.maxPermutations, opt.minPermutations,
               opt.tolerance, opt.promedTolerance, opt.truncation);
#endif
  std::unique_ptr<ShapleyEstimator> e;
  Status st = ShapleyEstimator::create(opt, &e);
  fuzz::checkStatus(st);
  if (!st.ok()) return 0;
  const uint32_t full = opt.players == 32 ? 0xffffffffu : (1u << opt.players) - 1;
  std::vector<uint32_t> handed, batch;
  for (int step = 0; step < 40 && !src.empty(); step++) {
    const uint8_t op = src.byte();
    if (op < 100) {
      st = e->nextBatch(src.byte() < 250 ? src.count(64) : -1, &batch);
      fuzz::checkStatus(st);
      for (uint32_t m : batch) FUZZ_CHECK((m & ~full) == 0);
      handed.insert(handed.end(), batch.begin(), batch.end());
    } else if (op < 220) {
      // observe some handed-out masks (a mistake now and then), values from the game or the edges
      const int64_t count = src.count(int64_t(handed.size()) + 1);
      fuzz::Input<uint32_t> masks(count);
      fuzz::Input<double> values(count);
      for (int64_t k = 0; k < count; k++) {
        const uint8_t pick = src.byte();
        masks[size_t(k)] = pick < 240 && !handed.empty() ? handed[size_t(src.range<size_t>(0, handed.size() - 1))]
                                                         : src.range<uint32_t>(0, UINT32_MAX);
        values[size_t(k)] = src.byte() < 240 ? double(__builtin_popcount(masks[size_t(k)])) + src.range<int>(-8, 8) / 8.0
                                             : src.number();
      }
      masks.seal(), values.seal();
      fuzz::Race race;
      race.add(values);
      const int64_t pendingBefore = e->pending();
      st = race.run([&] { return e->observe(masks.data(), values.data(), count); });
      fuzz::checkStatus(st);
      FUZZ_CHECK(e->pending() == (st.ok() ? pendingBefore - count : pendingBefore));  // all or nothing
      FUZZ_CHECK(masks.unchanged() && values.unchanged());
    } else {
      checkEstimate(*e, opt.players);
    }
    FUZZ_CHECK(e->pending() >= 0);
    FUZZ_CHECK(e->memoryBytes() >= int64_t(sizeof(ShapleyEstimator)));
  }
  // and the rest of the plan, observed with the game's values
  for (int round = 0; round < 4 && !e->done(); round++) {
    st = e->nextBatch(64, &batch);
    fuzz::checkStatus(st);
    if (batch.empty()) break;
    std::vector<double> values(batch.size());
    for (size_t k = 0; k < batch.size(); k++) values[k] = double(__builtin_popcount(batch[k]));
    st = e->observe(batch.data(), values.data(), int64_t(batch.size()));
    (void)st;  // masks handed out earlier but never observed are still pending: fine
  }
  checkEstimate(*e, opt.players);
  return 0;
}
