// tokenLogprobs(logits, targets, options) -> { logprobs, logsumexp, entropy? }
#include "../core/logprobs.h"

#include "../cuda/cuda.h"
#include "args.h"
#include "backend.h"
#include "errors.h"
#include "families.h"
#include "logprobs_result.h"
#include "run.h"

namespace infogain {

Napi::Object logprobsResult(Napi::Env env, int64_t rows, bool entropy, TokenLogprobsOutput* out) {
  Napi::Object result = Napi::Object::New(env);
  Napi::Float32Array logprobs = poisonedFloat32(env, rows), lse = poisonedFloat32(env, rows);
  result.Set("logprobs", logprobs);
  result.Set("logsumexp", lse);
  *out = TokenLogprobsOutput{logprobs.Data(), lse.Data(), nullptr};
  if (entropy) {
    Napi::Float32Array e = poisonedFloat32(env, rows);
    result.Set("entropy", e);
    out->entropy = e.Data();
  }
  return result;
}

static Napi::Value TokenLogprobs(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  LogitsView logits = logitsArg(env, info[0], "logits");
  const int32_t* targets = int32Arg(env, info[1], "targets", logits.rows);
  Napi::Object o = optionsArg(env, info[2]);
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

  TokenLogprobsOutput out;
  Napi::Object result = logprobsResult(env, logits.rows, wantEntropy, &out);
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
