// infoGain(input) -> { gains, hasGain, rewards, hasReward }   (InfoPO)
// beliefGain(input) -> { beliefs, gains, hasGain, skipped }   (IGPO)
#include <vector>

#include "../core/belief_gain.h"
#include "../core/info_gain.h"
#include "../core/kl_divergence.h"
#include "../core/log_ratio.h"
#include "../cuda/cuda.h"
#include "args.h"
#include "backend.h"
#include "errors.h"
#include "families.h"
#include "run.h"

namespace infogain {
namespace {

Napi::Value InfoGain(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object o = inputArg(env, info[0], "infoGain");
  Turns turns;
  turns.length = int64Prop(env, o, "length", "input");
  size_t count = 0;
  turns.actionStart = int32Arg(env, o.Get("actionStart"), "actionStart", -1, &count);
  turns.count = int64_t(count);
  turns.actionEnd = int32Arg(env, o.Get("actionEnd"), "actionEnd", turns.count);
  turns.obsStart = int32Arg(env, o.Get("obsStart"), "obsStart", turns.count);
  turns.obsEnd = int32Arg(env, o.Get("obsEnd"), "obsEnd", turns.count);
  turns.rollouts = offsetsArg(env, o.Get("rollouts"), "rollouts", 1, &turns.rolloutCount);
  Status st = checkTurns(turns);
  if (!st.ok()) throwStatus(env, st);
  const int64_t scored = scoredTokenCount(turns);

  const bool full = enumProp(env, o, "mode", 2, 0) == 1;
  const float *real = nullptr, *masked = nullptr;
  LogitsView realLogits, maskedLogits;
  KLOptions kl;
  kl.pName = "real";
  kl.qName = "masked";
  bool cuda = false;
  Backend backend = Backend::Cpu;
  if (full) {
    realLogits = logitsArg(env, o.Get("real"), "real");
    maskedLogits = logitsArg(env, o.Get("masked"), "masked");
    if (realLogits.rows != scored)
      throwRange(env, codes::kShape, "real", -1,
                 "real has " + std::to_string(realLogits.rows) + " rows, expected one per scored token: " +
                     std::to_string(scored));
    kl.temperature = float(numberProp(o, "temperature", 1.0));
    st = checkKLDivergence(realLogits, maskedLogits, kl);
    if (!st.ok()) throwStatus(env, st);
    backend = backendArg(env, o);
    cuda = useCuda(env, backend, realLogits.bytes() + maskedLogits.bytes());
  } else {
    real = float32Arg(env, o.Get("logpReal"), "logpReal", scored);
    masked = float32Arg(env, o.Get("logpMasked"), "logpMasked", scored);
  }

  Napi::Object result = Napi::Object::New(env);
  Napi::Float32Array gains = poisonedFloat32(env, turns.count), rewards = poisonedFloat32(env, turns.length);
  Napi::Uint8Array hasGain = poisonedUint8(env, turns.count), hasReward = poisonedUint8(env, turns.length);
  result.Set("gains", gains);
  result.Set("hasGain", hasGain);
  result.Set("rewards", rewards);
  result.Set("hasReward", hasReward);
  InfoGainOutput out{gains.Data(), hasGain.Data(), rewards.Data(), hasReward.Data()};
  return runKernel(
      env, async,
      [=] {
        // per scored token: the sampled log-ratio (k1) or the full-vocabulary forward KL
        std::vector<float> divergence(static_cast<size_t>(scored));
        Status s;
        if (!full) {
          s = checkLogprobPairs(real, masked, scored, "logpReal", "logpMasked");
          if (s.ok()) s = logRatio(real, masked, scored, LogRatioOptions{}, divergence.data());
        } else {
          s = runOnBackend(
              backend, cuda, [&] { return cuda::klDivergence(realLogits, maskedLogits, kl, divergence.data()); },
              [&] { return klDivergence(realLogits, maskedLogits, kl, divergence.data()); });
        }
        if (!s.ok()) return s;
        return creditInfoGain(turns, divergence.data(), out);
      },
      result, {info[0]});
}

Napi::Value BeliefGain(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object o = inputArg(env, info[0], "beliefGain");
  BeliefGainInput in;
  size_t length = 0;
  in.logprobs = float32Arg(env, o.Get("logprobs"), "logprobs", -1, &length);
  in.length = int64_t(length);
  in.steps = spansArg(env, o.Get("spans"), "spans");
  in.rollouts = offsetsArg(env, o.Get("rollouts"), "rollouts", 1, &in.rolloutCount);
  in.mode = enumProp(env, o, "mode", 2, 0) == 1 ? BeliefMode::LogProb : BeliefMode::Prob;

  Napi::Object result = Napi::Object::New(env);
  const int64_t steps = in.steps.count;
  Napi::Float32Array beliefs = poisonedFloat32(env, steps), gains = poisonedFloat32(env, steps);
  Napi::Uint8Array hasGain = poisonedUint8(env, steps), skipped = poisonedUint8(env, steps);
  result.Set("beliefs", beliefs);
  result.Set("gains", gains);
  result.Set("hasGain", hasGain);
  result.Set("skipped", skipped);
  BeliefGainOutput out{beliefs.Data(), gains.Data(), hasGain.Data(), skipped.Data()};
  return runKernel(env, async, [=] { return beliefGain(in, out); }, result, {info[0]});
}

}  // namespace

void registerGains(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "infoGain", InfoGain);
  exportKernel(env, exports, "beliefGain", BeliefGain);
}

}  // namespace infogain
