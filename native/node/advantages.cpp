// groupAdvantages(scores, grouping, options) -> { advantages, groups: { ids, mean, std, count } }
// rlpAdvantages(withThought, baseline, grouping) -> { rewards, advantages, groups }
#include "../core/advantages.h"

#include <memory>

#include "advantage_args.h"
#include "advantages_family.h"
#include "args.h"
#include "families.h"
#include "run.h"

namespace infogain {
namespace {

Napi::Value GroupAdvantages(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t n = 0;
  const float* scores = float32Arg(env, info[0], "scores", -1, &n);
  Grouping grouping = groupingArg(env, info[1], int64_t(n));
  Napi::Object o = optionsArg(env, info[2]);
  GroupAdvantagesOptions opt;
  opt.estimator = Estimator(enumProp(env, o, "estimator", 5, 0));
  opt.std = StdKind(enumProp(env, o, "std", 2, 0));
  opt.singleton = Singleton(enumProp(env, o, "singleton", 2, 0));
  opt.eps = numberProp(o, "eps", 1e-6);
  opt.whitenEps = numberProp(o, "whitenEps", 1e-8);
  opt.normalizeByStd = boolProp(o, "normalizeByStd", true);
  opt.tokenCounts = optionalInt32(env, o, "tokenCounts", int64_t(n));

  Napi::Object result = Napi::Object::New(env);
  // every estimator writes every advantage before it returns Ok (advantages.cpp)
  float* out = filledOutputArg(env, result, "advantages", int64_t(n));
  auto stats = std::make_shared<GroupStats>();
  return runKernelThen(
      env, async,
      [=] { return groupAdvantages(scores, int64_t(n), grouping, opt, out, stats.get()); },
      addGroups(stats, true), result, {info[0], info[1], propOf(env, info[1], "groups"), o.Get("tokenCounts")});
}

Napi::Value RlpAdvantages(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t n = 0;
  const float* withThought = float32Arg(env, info[0], "withThought", -1, &n);
  const float* baseline = float32Arg(env, info[1], "baseline", int64_t(n));
  Grouping grouping = groupingArg(env, info[2], int64_t(n));

  Napi::Object result = Napi::Object::New(env);
  float* r = outputArg(env, result, "rewards", int64_t(n));
  float* a = outputArg(env, result, "advantages", int64_t(n));
  auto stats = std::make_shared<GroupStats>();
  return runKernelThen(
      env, async,
      [=] { return rlpAdvantages(withThought, baseline, int64_t(n), grouping, r, a, stats.get()); },
      addGroups(stats, true), result, {info[0], info[1], propOf(env, info[2], "groups")});
}

}  // namespace

void registerGroupAdvantages(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "groupAdvantages", GroupAdvantages);
  exportKernel(env, exports, "rlpAdvantages", RlpAdvantages);
}

void registerAdvantages(Napi::Env env, Napi::Object exports) {
  registerGroupAdvantages(env, exports);
  registerTokenAdvantages(env, exports);
  registerInfopo(env, exports);
  registerIgpo(env, exports);
  registerRewardShaping(env, exports);
}

}  // namespace infogain
