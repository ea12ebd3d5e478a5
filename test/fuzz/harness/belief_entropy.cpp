// beliefEntropyGain (native/node/belief_entropy.cpp): ragged candidate logits, candidate offsets,
// optional step and rollout offsets, any temperature, outputs sized as the binding sizes them.
#include "../../../native/core/belief_entropy.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const int64_t length = src.count(64), beliefs = src.count(12);
  fuzz::Input<float> logits(static_cast<size_t>(length));
  src.fill(logits, [&] { return src.byte() < 20 ? -__builtin_inff() : src.mostlyFinite(); });
  fuzz::Input<int32_t> candidates(size_t(beliefs + 1));
  src.offsets(candidates, beliefs, length);
  const bool withSteps = src.flag(), withRollouts = src.flag();
  const int64_t stepCount = withSteps ? src.count(6) : beliefs;
  fuzz::Input<int32_t> steps(size_t(withSteps ? stepCount + 1 : 0));
  if (withSteps) src.offsets(steps, stepCount, beliefs);
  const int64_t rolloutCount = withRollouts ? src.count(4) : 1;
  fuzz::Input<int32_t> rollouts(size_t(withRollouts ? rolloutCount + 1 : 0));
  if (withRollouts) src.offsets(rollouts, rolloutCount, stepCount);
  logits.seal(), candidates.seal(), steps.seal(), rollouts.seal();

  BeliefEntropyInput in;
  in.candidateLogits = logits.data();
  in.length = length;
  in.candidates = candidates.data();
  in.beliefs = beliefs;
  in.steps = withSteps ? steps.data() : nullptr;
  in.stepCount = stepCount;
  in.rollouts = withRollouts ? rollouts.data() : nullptr;
  in.rolloutCount = rolloutCount;
  in.temperature = src.option(1.0);
  fuzz::FloatOut probs(length), entropies(beliefs), attributeGains(beliefs), stepEntropies(stepCount), gains(stepCount),
      returns(rolloutCount);
  fuzz::MaskOut hasGain(stepCount);
  Status st = beliefEntropyGain(in, {probs.data(), entropies.data(), attributeGains.data(), stepEntropies.data(), gains.data(),
                                     hasGain.data(), returns.data()});
  fuzz::checkStatus(st);
  if (st.ok()) {
    FUZZ_CHECK(probs.written() && entropies.written() && attributeGains.written() && stepEntropies.written());
    FUZZ_CHECK(gains.written() && hasGain.written() && returns.written());
    FUZZ_CHECK(probs.noNaN() && entropies.noNaN() && attributeGains.noNaN() && gains.noNaN());
    for (size_t b = 0; b < entropies.size(); b++) FUZZ_CHECK(entropies[b] >= 0.0f);
  }
  FUZZ_CHECK(logits.unchanged() && candidates.unchanged() && steps.unchanged() && rollouts.unchanged());
  return 0;
}
