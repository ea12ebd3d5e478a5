// broadcastToTokens, reinforcePP and promedAdvantages (native/node/token_advantages.cpp) over
// padded or packed layouts with optional masks, as the binding derives rows and tokens; in race
// mode (fuzz.h) the float inputs change while the kernel runs.
#include "../../../native/core/token_advantages.h"
#include "../fuzz.h"
#include "advantage_inputs.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const int kernel = src.range<int>(0, 2);
  if (kernel == 0) {  // broadcastToTokens(perSample, layout): rows from perSample, tokens from the layout
    const int64_t rows = src.count(8);
    fuzz::Input<float> perSample(rows);
    src.fill(perSample, [&] { return src.value(); });
    perSample.seal();
    fuzz::LayoutArg layout(src, rows, -1);
    if (!layout.valid()) return 0;
    fuzz::Race race;
    race.add(perSample);
    fuzz::FloatOut out(size_t(layout.tokens()));
    Status st = race.run([&] { return broadcastToTokens(perSample.data(), layout.view(), out.data()); });
    fuzz::checkStatus(st);
    if (st.ok() && !race.on()) FUZZ_CHECK(out.written());
    FUZZ_CHECK(perSample.unchanged() && layout.unchanged());
    return 0;
  }
  // reinforcePP / promedAdvantages(rewards, layout, ...): tokens from rewards, rows from the layout
  const int64_t tokens = src.count(48);
  fuzz::Input<float> rewards(tokens);
  src.fill(rewards, [&] { return src.mostlyFinite(); });
  rewards.seal();
  fuzz::LayoutArg layout(src, -1, tokens);
  if (!layout.valid()) return 0;
  fuzz::FloatOut a(tokens), g(tokens);
  if (kernel == 1) {
    ReinforcePPOptions opt;
    opt.gamma = src.byte() < 200 ? double(src.range<int>(0, 100)) / 100.0 : src.number();
    opt.gaps = MaskGaps(src.range<int>(0, 1));
    opt.whitenEps = src.byte() < 200 ? 1e-8 : src.number();
    fuzz::Race race;
    race.add(rewards);
    Status st = race.run([&] { return reinforcePP(rewards.data(), layout.view(), opt, a.data(), g.data()); });
    fuzz::checkStatus(st);
    if (st.ok() && !race.on()) FUZZ_CHECK(a.written() && g.written());
  } else {
    fuzz::GroupingArg grouping(src, layout.view().rows);
    GroupStats stats;
    fuzz::Race race;
    race.add(rewards);
    Status st = race.run([&] { return promedAdvantages(rewards.data(), layout.view(), grouping.view(), a.data(), &stats); });
    fuzz::checkStatus(st);
    if (st.ok() && !race.on()) {
      FUZZ_CHECK(a.written());
      fuzz::checkStats(stats);
    }
    FUZZ_CHECK(grouping.unchanged());
  }
  FUZZ_CHECK(rewards.unchanged() && layout.unchanged());
  return 0;
}
