// empgAdvantages, sarRewards, parRewards, clipDeltaRewards and insightScores
// (native/node/reward_shaping.cpp), with the lengths the binding enforces and any values; in race
// mode (fuzz.h) the float inputs change while the kernel runs.
#include "../../../native/core/reward_shaping.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

namespace {

// integerProp: any integer of magnitude below 2^53
int64_t integerOption(fuzz::Source& src, int64_t fallback) {
  const uint8_t b = src.byte();
  return b < 200 ? fallback : b < 240 ? src.range<int64_t>(-3, 70000) : src.range<int64_t>(-(int64_t(1) << 53), int64_t(1) << 53);
}

void empg(fuzz::Source& src) {
  const int64_t steps = src.count(24), trajectories = src.count(6);
  fuzz::Input<float> entropy(steps), advantage(trajectories);
  src.fill(entropy, [&] { return src.byte() < 230 ? float(src.range<int>(0, 512)) / 64.0f : src.value(); });
  src.fill(advantage, [&] { return src.mostlyFinite(); });
  fuzz::Input<int32_t> offsets(size_t(trajectories + 1)), tokens(steps);
  src.offsets(offsets, trajectories, steps);
  src.fill(tokens, [&] { return src.byte() < 240 ? src.range<int32_t>(0, 9) : src.anyInt32(); });
  entropy.seal(), advantage.seal(), offsets.seal(), tokens.seal();
  EmpgInput in{entropy.data(), advantage.data(), offsets.data(), src.flag() ? tokens.data() : nullptr, steps, trajectories};
  EmpgOptions opt;
  opt.k = src.option(opt.k);
  opt.kf = src.option(opt.kf);
  opt.zeta = src.option(opt.zeta);
  opt.final = FinalNormalization(src.range<int>(0, 2));
  fuzz::Race race;
  race.add(entropy);
  race.add(advantage);
  fuzz::FloatOut out(steps), scale(steps), bonus(steps);
  Status st = race.run([&] { return empgAdvantages(in, opt, out.data(), scale.data(), bonus.data()); });
  fuzz::checkStatus(st);
  if (st.ok() && !race.on()) FUZZ_CHECK(out.written() && scale.written() && bonus.written());
  FUZZ_CHECK(entropy.unchanged() && advantage.unchanged() && offsets.unchanged() && tokens.unchanged());
}

void sar(fuzz::Source& src) {
  const int64_t n = src.count(24);
  fuzz::Input<float> conditioned(n), unconditioned(n);
  src.fill(conditioned, [&] { return src.logprob(); });
  src.fill(unconditioned, [&] { return src.logprob(); });
  conditioned.seal(), unconditioned.seal();
  SarOptions opt;
  opt.useLog = src.flag();
  opt.useDenominator = src.byte() < 200;
  opt.useComparison = src.byte() < 200;
  opt.clipValue = src.option(opt.clipValue);
  fuzz::Race race;
  race.add(conditioned);
  race.add(unconditioned);
  fuzz::FloatOut out(n);
  Status st = race.run([&] { return sarRewards(conditioned.data(), unconditioned.data(), n, opt, out.data()); });
  fuzz::checkStatus(st);
  if (st.ok() && !race.on()) FUZZ_CHECK(out.written());
  FUZZ_CHECK(conditioned.unchanged() && unconditioned.unchanged());
}

void par(fuzz::Source& src) {
  const int64_t n = src.count(12), refs = src.count(32);
  fuzz::Input<float> rewards(n), references(refs);
  src.fill(rewards, [&] { return src.mostlyFinite(); });
  src.fill(references, [&] { return src.mostlyFinite(); });
  fuzz::Input<int32_t> offsets(size_t(n + 1)), lengths(n);
  src.offsets(offsets, n, refs);
  src.fill(lengths, [&] { return src.byte() < 240 ? src.range<int32_t>(0, 600) : src.anyInt32(); });
  rewards.seal(), references.seal(), offsets.seal(), lengths.seal();
  ParInput in{rewards.data(), references.data(), src.flag() ? offsets.data() : nullptr, src.flag() ? lengths.data() : nullptr,
              n, refs};
  ParOptions opt;
  opt.k = src.option(opt.k);
  opt.maxReferences = integerOption(src, opt.maxReferences);
  opt.lengthThreshold = src.option(opt.lengthThreshold);
  opt.lengthPenalty = src.option(opt.lengthPenalty);
  fuzz::Race race;
  race.add(rewards);
  race.add(references);
  fuzz::FloatOut out(n);
  Status st = race.run([&] { return parRewards(in, opt, out.data()); });
  fuzz::checkStatus(st);
  if (st.ok() && !race.on()) FUZZ_CHECK(out.written());
  FUZZ_CHECK(rewards.unchanged() && references.unchanged() && offsets.unchanged() && lengths.unchanged());
}

void clipDelta(fuzz::Source& src) {
  const int64_t steps = src.count(24), trajectories = src.count(6);  // the binding: stepOffsets.length >= 1
  fuzz::Input<float> rewards(steps);
  src.fill(rewards, [&] { return src.mostlyFinite(); });
  fuzz::Input<int32_t> offsets(size_t(trajectories + 1));
  src.offsets(offsets, trajectories, steps);
  rewards.seal(), offsets.seal();
  ClipDeltaOptions opt;
  opt.mode = ProcessRewardMode(src.range<int>(0, 2));
  opt.eta = src.option(opt.eta);
  opt.lastStep = DeltaLastStep(src.range<int>(0, 1));
  fuzz::Race race;
  race.add(rewards);
  fuzz::FloatOut out(steps);
  Status st = race.run([&] { return clipDeltaRewards(rewards.data(), steps, offsets.data(), trajectories, opt, out.data()); });
  fuzz::checkStatus(st);
  if (st.ok() && !race.on()) FUZZ_CHECK(out.written());
  FUZZ_CHECK(rewards.unchanged() && offsets.unchanged());
}

void insight(fuzz::Source& src) {
  const int64_t n = src.count(16);
  fuzz::Input<float> alpha(n), beta(n), weights(n);
  auto positive = [&] { return src.byte() < 230 ? float(src.range<int>(1, 640)) / 64.0f : src.value(); };
  src.fill(alpha, positive);
  src.fill(beta, positive);
  src.fill(weights, [&] { return src.mostlyFinite(); });
  alpha.seal(), beta.seal(), weights.seal();
  InsightOptions opt;
  opt.rollouts = integerOption(src, src.range<int64_t>(1, 16));
  const float* w = src.flag() ? weights.data() : nullptr;
  fuzz::Race race;
  race.add(alpha);
  race.add(beta);
  race.add(weights);
  fuzz::FloatOut scores(n), mi(n), mean(n);
  Status st = race.run([&] { return insightScores(alpha.data(), beta.data(), w, n, opt, scores.data(), mi.data(), mean.data()); });
  fuzz::checkStatus(st);
  if (st.ok() && !race.on()) FUZZ_CHECK(scores.written() && mi.written() && mean.written());
  FUZZ_CHECK(alpha.unchanged() && beta.unchanged() && weights.unchanged());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  switch (src.range<int>(0, 4)) {
    case 0: empg(src); break;
    case 1: sar(src); break;
    case 2: par(src); break;
    case 3: clipDelta(src); break;
    default: insight(src); break;
  }
  return 0;
}
