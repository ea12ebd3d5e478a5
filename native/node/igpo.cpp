// igpoAdvantages({ outcome, gains, gainOffsets, gainEnds }, layout, grouping, options) ->
//   { advantages, outcomeAdvantages, gainAdvantages,
//     groups: { ids, outcome: { mean, std, count }, gain: { mean, std, count } } }
#include "../core/igpo.h"

#include <memory>

#include "advantage_args.h"
#include "advantages_family.h"
#include "args.h"
#include "errors.h"
#include "run.h"

namespace infogain {
namespace {

Napi::Value IgpoAdvantages(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object input = inputArg(env, info[0], "igpoAdvantages");
  size_t rows = 0, gains = 0;
  IgpoInput in;
  in.outcome = float32Arg(env, input.Get("outcome"), "outcome", -1, &rows);
  in.gains = float32Arg(env, input.Get("gains"), "gains", -1, &gains);
  in.numGains = int64_t(gains);
  in.gainOffsets = int32Arg(env, input.Get("gainOffsets"), "gainOffsets", int64_t(rows) + 1);
  in.gainEnds = int32Arg(env, input.Get("gainEnds"), "gainEnds", int64_t(gains));
  in.layout = tokenLayoutArg(env, info[1], int64_t(rows), -1);
  in.grouping = groupingArg(env, info[2], int64_t(rows));
  Napi::Object o = optionsArg(env, info[3]);
  IgpoOptions opt;
  opt.normalization = IgpoNormalization(enumProp(env, o, "normalization", 2, 0));
  opt.gamma = numberProp(o, "gamma", opt.gamma);
  opt.eps = numberProp(o, "eps", opt.eps);
  opt.outcomeWeight = numberProp(o, "outcomeWeight", opt.outcomeWeight);
  opt.gainWeight = numberProp(o, "gainWeight", opt.gainWeight);
  opt.normalizeByStd = boolProp(o, "normalizeByStd", opt.normalizeByStd);

  Napi::Object result = Napi::Object::New(env);
  auto out = std::make_shared<IgpoOutput>();
  out->advantages = outputArg(env, result, "advantages", in.layout.tokens());
  out->outcomeAdvantages = outputArg(env, result, "outcomeAdvantages", int64_t(rows));
  out->gainAdvantages = outputArg(env, result, "gainAdvantages", int64_t(gains));
  return runKernelThen(
      env, async, [=] { return igpoAdvantages(in, opt, out.get()); },
      [out](Napi::Env env, Napi::Object result) {
        Napi::Object groups = Napi::Object::New(env);
        groups.Set("ids", int32Copy(env, out->outcomeStats.ids));
        groups.Set("outcome", statsObject(env, out->outcomeStats, true));
        groups.Set("gain", statsObject(env, out->gainStats, true));
        result.Set("groups", groups);
      },
      result,
      {info[0], input.Get("outcome"), input.Get("gains"), input.Get("gainOffsets"), input.Get("gainEnds"), info[1],
       propOf(env, info[1], "offsets"), propOf(env, info[1], "mask"), propOf(env, info[2], "groups")});
}

}  // namespace

void registerIgpo(Napi::Env env, Napi::Object exports) { exportKernel(env, exports, "igpoAdvantages", IgpoAdvantages); }

}  // namespace infogain
