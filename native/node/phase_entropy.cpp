// phaseEntropyRewards(input, options) -> { thinkEntropy, answerEntropy, thinkTokens, answerTokens,
// delimiterStart, rewards }   (PEAR)
#include "../core/phase_entropy.h"

#include <cmath>

#include "args.h"
#include "errors.h"
#include "families.h"
#include "run.h"

namespace infogain {
namespace {

Napi::Value PhaseEntropyRewards(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object o = inputArg(env, info[0], "phaseEntropyRewards");
  Napi::Object opt = optionsArg(env, info[1]);
  PhaseEntropyInput in;
  size_t length = 0;
  in.entropies = float32Arg(env, o.Get("entropies"), "entropies", -1, &length);
  in.length = int64_t(length);
  in.offsets = offsetsArg(env, o.Get("offsets"), "offsets", -1, &in.responses);
  if (!in.offsets) throwType(env, "offsets", "offsets (an Int32Array) is required");
  Napi::Value delimiters = o.Get("delimiters");
  if (!delimiters.IsUndefined() && !delimiters.IsNull()) {
    in.delimiters = int32Arg(env, delimiters, "delimiters", 2 * in.responses);
    in.delimitersGiven = true;
  } else {
    in.tokens = int32Arg(env, o.Get("tokens"), "tokens", in.length);
    size_t n = 0;
    in.delimiter = int32Arg(env, o.Get("delimiter"), "delimiter", -1, &n);
    in.delimiterLength = int64_t(n);
  }
  in.correctness = float32Arg(env, o.Get("correctness"), "correctness", in.responses);
  in.alpha = numberProp(opt, "alpha", NAN);
  in.beta = numberProp(opt, "beta", 0.0);

  const int64_t n = in.responses;
  Napi::Object result = Napi::Object::New(env);
  Napi::Float32Array think = poisonedFloat32(env, n), answer = poisonedFloat32(env, n), rewards = poisonedFloat32(env, n);
  Napi::Int32Array thinkTokens = poisonedInt32(env, n), answerTokens = poisonedInt32(env, n), start = poisonedInt32(env, n);
  result.Set("thinkEntropy", think);
  result.Set("answerEntropy", answer);
  result.Set("thinkTokens", thinkTokens);
  result.Set("answerTokens", answerTokens);
  result.Set("delimiterStart", start);
  result.Set("rewards", rewards);
  PhaseEntropyOutput out{think.Data(), answer.Data(), thinkTokens.Data(), answerTokens.Data(), start.Data(), rewards.Data()};
  return runKernel(env, async, [=] { return phaseEntropyRewards(in, out); }, result, {info[0]});
}

}  // namespace

void registerPhaseEntropy(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "phaseEntropyRewards", PhaseEntropyRewards);
}

}  // namespace infogain
