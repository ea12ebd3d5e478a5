// infopoAdvantages (native/node/infopo.cpp): rollout scores, per-token intrinsic rewards with
// presence bytes, a layout over the rollouts, a grouping, and every option as any double; in race
// mode (fuzz.h) the scores and intrinsic rewards change while the kernel runs.
#include "../../../native/core/infopo.h"
#include "../fuzz.h"
#include "advantage_inputs.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const int64_t rows = src.count(8);
  fuzz::Input<float> scores(rows);
  src.fill(scores, [&] { return src.mostlyFinite(); });
  scores.seal();
  fuzz::LayoutArg layout(src, rows, -1);
  if (!layout.valid()) return 0;
  const int64_t tokens = layout.tokens();
  fuzz::Input<float> intrinsic(tokens);
  fuzz::Input<uint8_t> present(tokens);
  src.fill(intrinsic, [&] { return src.mostlyFinite(); });
  src.fill(present, [&] { return src.byte() < 250 ? uint8_t(src.flag()) : src.byte(); });
  intrinsic.seal(), present.seal();
  fuzz::GroupingArg grouping(src, rows);
  InfopoOptions opt;
  opt.beta = src.option(opt.beta);
  opt.temperature = src.option(opt.temperature);
  opt.decay = src.option(opt.decay);
  opt.epoch = src.option(opt.epoch);
  opt.eps = src.option(opt.eps);
  opt.baselineStd = src.option(opt.baselineStd);
  opt.normalizeByStd = src.flag();
  opt.normalizeIntrinsic = src.flag();
  fuzz::Race race;
  race.add(scores);
  race.add(intrinsic);

  InfopoInput in;
  in.scores = scores.data();
  in.intrinsic = intrinsic.data();
  in.present = present.data();
  in.layout = layout.view();
  in.grouping = grouping.view();
  fuzz::FloatOut advantages(tokens), outcome(rows), gate(rows);
  InfopoOutput out;
  out.advantages = advantages.data();
  out.outcome = outcome.data();
  out.gate = gate.data();
  Status st = race.run([&] { return infopoAdvantages(in, opt, &out); });
  fuzz::checkStatus(st);
  if (st.ok() && !race.on()) {
    FUZZ_CHECK(advantages.written() && outcome.written() && gate.written());
    fuzz::checkStats(out.outcomeStats);
    fuzz::checkStats(out.intrinsicStats);
  }
  FUZZ_CHECK(scores.unchanged() && intrinsic.unchanged() && present.unchanged() && layout.unchanged() &&
             grouping.unchanged());
  return 0;
}
