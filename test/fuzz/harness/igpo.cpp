// igpoAdvantages (native/node/igpo.cpp): outcomes per rollout, turn gains with their offsets
// (rows + 1) and end positions, a layout over the rollouts, a grouping, any options; in race mode
// (fuzz.h) the outcomes and gains change while the kernel runs.
#include "../../../native/core/igpo.h"
#include "../fuzz.h"
#include "advantage_inputs.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const int64_t rows = src.count(8), gains = src.count(16);
  fuzz::Input<float> outcome(rows), gainValues(gains);
  src.fill(outcome, [&] { return src.mostlyFinite(); });
  src.fill(gainValues, [&] { return src.mostlyFinite(); });
  fuzz::Input<int32_t> gainOffsets(size_t(rows + 1)), gainEnds(gains);
  src.offsets(gainOffsets, rows, gains);
  // positions in a row, increasing within each rollout most of the time
  int32_t at = -1;
  src.fill(gainEnds, [&] { return src.byte() < 230 ? (at = at + src.range<int32_t>(1, 3)) % 12 : src.index(12); });
  outcome.seal(), gainValues.seal(), gainOffsets.seal(), gainEnds.seal();
  fuzz::LayoutArg layout(src, rows, -1);
  if (!layout.valid()) return 0;
  fuzz::GroupingArg grouping(src, rows);
  IgpoOptions opt;
  opt.normalization = IgpoNormalization(src.range<int>(0, 1));
  opt.gamma = src.option(opt.gamma);
  opt.eps = src.option(opt.eps);
  opt.outcomeWeight = src.option(opt.outcomeWeight);
  opt.gainWeight = src.option(opt.gainWeight);
  opt.normalizeByStd = src.flag();
  fuzz::Race race;
  race.add(outcome);
  race.add(gainValues);

  IgpoInput in;
  in.outcome = outcome.data();
  in.gains = gainValues.data();
  in.gainOffsets = gainOffsets.data();
  in.gainEnds = gainEnds.data();
  in.numGains = gains;
  in.layout = layout.view();
  in.grouping = grouping.view();
  fuzz::FloatOut advantages(size_t(layout.tokens())), outcomeAdvantages(rows), gainAdvantages(gains);
  IgpoOutput out;
  out.advantages = advantages.data();
  out.outcomeAdvantages = outcomeAdvantages.data();
  out.gainAdvantages = gainAdvantages.data();
  Status st = race.run([&] { return igpoAdvantages(in, opt, &out); });
  fuzz::checkStatus(st);
  if (st.ok() && !race.on()) {
    FUZZ_CHECK(advantages.written() && outcomeAdvantages.written() && gainAdvantages.written());
    fuzz::checkStats(out.outcomeStats);
    fuzz::checkStats(out.gainStats);
  }
  FUZZ_CHECK(outcome.unchanged() && gainValues.unchanged() && gainOffsets.unchanged() && gainEnds.unchanged() &&
             layout.unchanged() && grouping.unchanged());
  return 0;
}
