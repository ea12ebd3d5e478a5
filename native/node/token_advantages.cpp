// broadcastToTokens(perSample, layout) -> { values }
// reinforcePP(tokenRewards, layout, options) -> { advantages, returns }
// promedAdvantages(rewards, layout, grouping) -> { advantages, groups: { ids, mean, count } }
#include "../core/token_advantages.h"

#include <memory>

#include "advantage_args.h"
#include "advantages_family.h"
#include "args.h"
#include "run.h"

namespace infogain {
namespace {

Napi::Value BroadcastToTokens(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t rows = 0;
  const float* perSample = float32Arg(env, info[0], "perSample", -1, &rows);
  TokenLayout layout = tokenLayoutArg(env, info[1], int64_t(rows), -1);
  Napi::Object result = Napi::Object::New(env);
  // the offsets start at 0 and end at the token count, so the rows write every token (or every valid one into zeros)
  bool zeroed = false;
  float* out = filledOutputArg(env, result, "values", layout.tokens(), &zeroed);
  return runKernel(env, async, [=] { return broadcastToTokens(perSample, layout, out, zeroed); }, result,
                   {info[0], info[1], propOf(env, info[1], "offsets"), propOf(env, info[1], "mask")});
}

Napi::Value ReinforcePP(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t tokens = 0;
  const float* rewards = float32Arg(env, info[0], "tokenRewards", -1, &tokens);
  TokenLayout layout = tokenLayoutArg(env, info[1], -1, int64_t(tokens));
  Napi::Object o = optionsArg(env, info[2]);
  ReinforcePPOptions opt;
  opt.gamma = numberProp(o, "gamma", 1.0);
  opt.gaps = MaskGaps(enumProp(env, o, "maskGaps", 2, 0));
  opt.whitenEps = numberProp(o, "whitenEps", 1e-8);
  Napi::Object result = Napi::Object::New(env);
  // every token of every row is written (0 where masked, unless the arrays arrive zeroed), as in broadcastToTokens
  bool zeroedA = false, zeroedG = false;
  float* a = filledOutputArg(env, result, "advantages", int64_t(tokens), &zeroedA);
  float* g = filledOutputArg(env, result, "returns", int64_t(tokens), &zeroedG);
  const bool zeroed = zeroedA && zeroedG;
  return runKernel(env, async, [=] { return reinforcePP(rewards, layout, opt, a, g, zeroed); }, result,
                   {info[0], info[1], propOf(env, info[1], "offsets"), propOf(env, info[1], "mask")});
}

Napi::Value PromedAdvantages(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t tokens = 0;
  const float* rewards = float32Arg(env, info[0], "rewards", -1, &tokens);
  TokenLayout layout = tokenLayoutArg(env, info[1], -1, int64_t(tokens));
  Grouping grouping = groupingArg(env, info[2], layout.rows);
  Napi::Object result = Napi::Object::New(env);
  float* out = outputArg(env, result, "advantages", int64_t(tokens));
  auto stats = std::make_shared<GroupStats>();
  return runKernelThen(
      env, async, [=] { return promedAdvantages(rewards, layout, grouping, out, stats.get()); },
      addGroups(stats, false), result,
      {info[0], info[1], propOf(env, info[1], "offsets"), propOf(env, info[1], "mask"), propOf(env, info[2], "groups")});
}

}  // namespace

void registerTokenAdvantages(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "broadcastToTokens", BroadcastToTokens);
  exportKernel(env, exports, "reinforcePP", ReinforcePP);
  exportKernel(env, exports, "promedAdvantages", PromedAdvantages);
}

}  // namespace infogain
