// beliefGain (native/node/gains.cpp): log-probs of any length, step spans in any order, optional
// rollout offsets over the steps, a mode code; in race mode (fuzz.h) the log-probs change while
// the kernel runs.
#include "../../../native/core/belief_gain.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const int64_t length = src.count(64), steps = src.count(10);
  fuzz::Input<float> logprobs(length);
  src.fill(logprobs, [&] { return src.logprob(); });
  fuzz::Input<int32_t> spans(size_t(2 * steps));
  src.spans(spans, steps, length);
  const bool withRollouts = src.flag();
  const int64_t rolloutCount = withRollouts ? src.count(4) : 1;
  fuzz::Input<int32_t> rollouts(size_t(withRollouts ? rolloutCount + 1 : 0));
  if (withRollouts) src.offsets(rollouts, rolloutCount, steps);
  logprobs.seal(), spans.seal(), rollouts.seal();

  BeliefGainInput in;
  in.logprobs = logprobs.data();
  in.length = length;
  in.steps = {spans.data(), steps};
  in.rollouts = withRollouts ? rollouts.data() : nullptr;
  in.rolloutCount = rolloutCount;
  in.mode = BeliefMode(src.byte() < 250 ? src.range<int>(0, 1) : src.range<int>(-1, 3));
  fuzz::Race race;
  race.add(logprobs);
  fuzz::FloatOut beliefs(steps), gains(steps);
  fuzz::MaskOut hasGain(steps), skipped(steps);
  Status st = race.run([&] { return beliefGain(in, {beliefs.data(), gains.data(), hasGain.data(), skipped.data()}); });
  fuzz::checkStatus(st);
  if (st.ok() && !race.on()) {
    FUZZ_CHECK(beliefs.written() && gains.written() && hasGain.written() && skipped.written());
    FUZZ_CHECK(gains.noNaN());
  }
  FUZZ_CHECK(logprobs.unchanged() && spans.unchanged() && rollouts.unchanged());
  return 0;
}
