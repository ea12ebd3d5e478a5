// groupAdvantages and rlpAdvantages (native/node/advantages.cpp): scores, a grouping (ids or a
// group size), every estimator / std / singleton code the binding accepts, any eps, optional
// token counts; in race mode (fuzz.h) the scores change while the kernel runs.
#include "../../../native/core/advantages.h"
#include "../fuzz.h"
#include "advantage_inputs.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const bool rlp = src.byte() < 64;
  const int64_t n = src.count(32);
  fuzz::Input<float> scores(n), baseline(n);
  src.fill(scores, [&] { return src.mostlyFinite(); });
  src.fill(baseline, [&] { return src.mostlyFinite(); });
  scores.seal(), baseline.seal();
  fuzz::GroupingArg grouping(src, n);
  GroupStats stats;
  if (rlp) {
    fuzz::Race race;
    race.add(scores);
    race.add(baseline);
    fuzz::FloatOut rewards(n), advantages(n);
    Status st = race.run([&] {
      return rlpAdvantages(scores.data(), baseline.data(), n, grouping.view(), rewards.data(), advantages.data(), &stats);
    });
    fuzz::checkStatus(st);
    if (st.ok() && !race.on()) {
      FUZZ_CHECK(rewards.written() && advantages.written());
      fuzz::checkStats(stats);
    }
  } else {
    GroupAdvantagesOptions opt;
    opt.estimator = Estimator(src.range<int>(0, 4));
    opt.std = StdKind(src.range<int>(0, 1));
    opt.singleton = Singleton(src.range<int>(0, 1));
    opt.eps = src.byte() < 200 ? 1e-6 : src.number();
    opt.whitenEps = src.byte() < 200 ? 1e-8 : src.number();
    opt.normalizeByStd = src.flag();
    fuzz::Input<int32_t> tokenCounts(n);
    src.fill(tokenCounts, [&] { return src.byte() < 240 ? src.range<int32_t>(0, 20) : src.anyInt32(); });
    tokenCounts.seal();
    if (src.flag()) opt.tokenCounts = tokenCounts.data();
    fuzz::Race race;
    race.add(scores);
    fuzz::FloatOut out(n);
    Status st = race.run([&] { return groupAdvantages(scores.data(), n, grouping.view(), opt, out.data(), &stats); });
    fuzz::checkStatus(st);
    if (st.ok() && !race.on()) {
      FUZZ_CHECK(out.written());
      fuzz::checkStats(stats);
    }
    FUZZ_CHECK(tokenCounts.unchanged());
  }
  FUZZ_CHECK(scores.unchanged() && baseline.unchanged() && grouping.unchanged());
  return 0;
}
