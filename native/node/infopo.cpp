// infopoAdvantages({ scores, intrinsic, present }, layout, grouping, options) ->
//   { advantages, outcome, gate, ratio, betaT, outcomeStd, intrinsicStd,
//     groups: { ids, outcome: { mean, std, count }, intrinsic: { mean, std, count } } }
#include "../core/infopo.h"

#include <memory>

#include "advantage_args.h"
#include "advantages_family.h"
#include "args.h"
#include "errors.h"
#include "run.h"

namespace infogain {
namespace {

Napi::Value InfopoAdvantages(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object input = inputArg(env, info[0], "infopoAdvantages");
  size_t rows = 0;
  InfopoInput in;
  in.scores = float32Arg(env, input.Get("scores"), "scores", -1, &rows);
  in.layout = tokenLayoutArg(env, info[1], int64_t(rows), -1);
  const int64_t tokens = in.layout.tokens();
  in.intrinsic = float32Arg(env, input.Get("intrinsic"), "intrinsic", tokens);
  in.present = uint8Arg(env, input.Get("present"), "present", tokens);
  in.grouping = groupingArg(env, info[2], int64_t(rows));
  Napi::Object o = optionsArg(env, info[3]);
  InfopoOptions opt;
  opt.beta = numberProp(o, "beta", opt.beta);
  opt.temperature = numberProp(o, "temperature", opt.temperature);
  opt.decay = numberProp(o, "decay", opt.decay);
  opt.epoch = numberProp(o, "epoch", opt.epoch);
  opt.eps = numberProp(o, "eps", opt.eps);
  opt.baselineStd = numberProp(o, "baselineStd", opt.baselineStd);
  opt.normalizeByStd = boolProp(o, "normalizeByStd", opt.normalizeByStd);
  opt.normalizeIntrinsic = boolProp(o, "normalizeIntrinsic", opt.normalizeIntrinsic);

  Napi::Object result = Napi::Object::New(env);
  auto out = std::make_shared<InfopoOutput>();
  out->advantages = outputArg(env, result, "advantages", tokens);
  out->outcome = outputArg(env, result, "outcome", int64_t(rows));
  out->gate = outputArg(env, result, "gate", int64_t(rows));
  return runKernelThen(
      env, async, [=] { return infopoAdvantages(in, opt, out.get()); },
      [out](Napi::Env env, Napi::Object result) {
        result.Set("ratio", out->ratio);
        result.Set("betaT", out->betaT);
        result.Set("outcomeStd", out->outcomeStd);
        result.Set("intrinsicStd", out->intrinsicStd);
        Napi::Object groups = Napi::Object::New(env);
        groups.Set("ids", int32Copy(env, out->outcomeStats.ids));
        groups.Set("outcome", statsObject(env, out->outcomeStats, true));
        groups.Set("intrinsic", statsObject(env, out->intrinsicStats, true));
        result.Set("groups", groups);
      },
      result,
      {info[0], input.Get("scores"), input.Get("intrinsic"), input.Get("present"), info[1],
       propOf(env, info[1], "offsets"), propOf(env, info[1], "mask"), propOf(env, info[2], "groups")});
}

}  // namespace

void registerInfopo(Napi::Env env, Napi::Object exports) { exportKernel(env, exports, "infopoAdvantages", InfopoAdvantages); }

}  // namespace infogain
