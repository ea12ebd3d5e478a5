// tokenLogprobs(logits, targets, options) -> { logprobs, logsumexp, entropy? }
#include "../core/logprobs.h"

#include "../cuda/cuda.h"
#include "args.h"
#include "backend.h"
#include "errors.h"
#include "families.h"
#include "run.h"

namespace infogain {

static Napi::Value TokenLogprobs(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  LogitsView logits = logitsArg(env, info[0], "logits");
  const int32_t* targets = int32Arg(env, info[1], "targets", logits.rows);
  Napi::Object o = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  TokenLogprobsOptions opt;
  opt.temperature = float(numberProp(o, "temperature", 1.0));
  Napi::Value ignore = o.Get("ignoreIndex");
  if (ignore.IsNumber()) {
    opt.hasIgnoreIndex = true;
    opt.ignoreIndex = ignore.As<Napi::Number>().Int32Value();
  }
  bool wantEntropy = boolProp(o, "entropy", false);
  const Backend backend = backendArg(env, o);
  const bool cuda = useCuda(env, backend, logits.bytes());

  Status st = checkTokenLogprobs(logits, targets, opt);
  if (!st.ok()) throwStatus(env, st);

  Napi::Object result = Napi::Object::New(env);
  Napi::Float32Array logprobs = poisonedFloat32(env, logits.rows), lse = poisonedFloat32(env, logits.rows);
  result.Set("logprobs", logprobs);
  result.Set("logsumexp", lse);
  TokenLogprobsOutput out{logprobs.Data(), lse.Data(), nullptr};
  if (wantEntropy) {
    Napi::Float32Array entropy = poisonedFloat32(env, logits.rows);
    result.Set("entropy", entropy);
    out.entropy = entropy.Data();
  }
  return runKernel(
      env, async,
      [=] {
        return runOnBackend(
            backend, cuda, [&] { return cuda::tokenLogprobs(logits, targets, opt, out); },
            [&] { return tokenLogprobs(logits, targets, opt, out); });
      },
      result, {info[0], info[1]});
}

void registerLogprobs(Napi::Env env, Napi::Object exports) { exportKernel(env, exports, "tokenLogprobs", TokenLogprobs); }

}  // namespace infogain
