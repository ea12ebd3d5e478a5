// beliefEntropyGain(input, options) -> { beliefs, entropies, attributeGains, stepEntropies, gains,
// hasGain, returns }   (Nous)
#include "../core/belief_entropy.h"
#include "args.h"
#include "errors.h"
#include "families.h"
#include "run.h"

namespace infogain {
namespace {

Napi::Value BeliefEntropyGain(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object o = inputArg(env, info[0], "beliefEntropyGain");
  Napi::Object opt = optionsArg(env, info[1]);
  BeliefEntropyInput in;
  size_t length = 0;
  in.candidateLogits = float32Arg(env, o.Get("candidateLogits"), "candidateLogits", -1, &length);
  in.length = int64_t(length);
  in.candidates = offsetsArg(env, o.Get("candidates"), "candidates", -1, &in.beliefs);
  if (!in.candidates) throwType(env, "candidates", "candidates (an Int32Array of offsets) is required");
  in.steps = offsetsArg(env, o.Get("steps"), "steps", in.beliefs, &in.stepCount);
  in.rollouts = offsetsArg(env, o.Get("rollouts"), "rollouts", 1, &in.rolloutCount);
  in.temperature = numberProp(opt, "temperature", 1.0);

  Napi::Object result = Napi::Object::New(env);
  Napi::Float32Array beliefs = poisonedFloat32(env, in.length), entropies = poisonedFloat32(env, in.beliefs),
                     attributeGains = poisonedFloat32(env, in.beliefs), stepEntropies = poisonedFloat32(env, in.stepCount),
                     gains = poisonedFloat32(env, in.stepCount), returns = poisonedFloat32(env, in.rolloutCount);
  Napi::Uint8Array hasGain = poisonedUint8(env, in.stepCount);
  result.Set("beliefs", beliefs);
  result.Set("entropies", entropies);
  result.Set("attributeGains", attributeGains);
  result.Set("stepEntropies", stepEntropies);
  result.Set("gains", gains);
  result.Set("hasGain", hasGain);
  result.Set("returns", returns);
  BeliefEntropyOutput out{beliefs.Data(), entropies.Data(), attributeGains.Data(), stepEntropies.Data(),
                          gains.Data(),   hasGain.Data(),   returns.Data()};
  return runKernel(env, async, [=] { return beliefEntropyGain(in, out); }, result, {info[0]});
}

}  // namespace

void registerBeliefEntropy(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "beliefEntropyGain", BeliefEntropyGain);
}

}  // namespace infogain
