// empgAdvantages({ entropy, advantage, stepOffsets, stepTokens? }, options) -> { advantages, scale, bonus }
// sarRewards(conditioned, unconditioned, options) -> { rewards }
// parRewards({ rewards, references, referenceOffsets?, lengths? }, options) -> { rewards }
// clipDeltaRewards(rewards, stepOffsets, options) -> { rewards }
// insightScores(alpha, beta, options) -> { scores, mutualInformation, mean }
#include "../core/reward_shaping.h"

#include "advantage_args.h"
#include "advantages_family.h"
#include "args.h"
#include "errors.h"
#include "run.h"

namespace infogain {
namespace {

Napi::Value EmpgAdvantages(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object input = inputArg(env, info[0], "empgAdvantages");
  size_t steps = 0, trajectories = 0;
  EmpgInput in;
  in.entropy = float32Arg(env, input.Get("entropy"), "entropy", -1, &steps);
  in.advantage = float32Arg(env, input.Get("advantage"), "advantage", -1, &trajectories);
  in.stepOffsets = int32Arg(env, input.Get("stepOffsets"), "stepOffsets", int64_t(trajectories) + 1);
  in.stepTokens = optionalInt32(env, input, "stepTokens", int64_t(steps));
  in.steps = int64_t(steps);
  in.trajectories = int64_t(trajectories);
  Napi::Object o = optionsArg(env, info[1]);
  EmpgOptions opt;
  opt.k = numberProp(o, "k", opt.k);
  opt.kf = numberProp(o, "kf", opt.kf);
  opt.zeta = numberProp(o, "zeta", opt.zeta);
  opt.final = FinalNormalization(enumProp(env, o, "finalNormalization", 3, int32_t(opt.final)));
  Napi::Object result = Napi::Object::New(env);
  float* a = outputArg(env, result, "advantages", in.steps);
  float* g = outputArg(env, result, "scale", in.steps);
  float* b = outputArg(env, result, "bonus", in.steps);
  return runKernel(env, async, [=] { return empgAdvantages(in, opt, a, g, b); }, result,
                   {info[0], input.Get("entropy"), input.Get("advantage"), input.Get("stepOffsets"), input.Get("stepTokens")});
}

Napi::Value SarRewards(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t n = 0;
  const float* conditioned = float32Arg(env, info[0], "conditioned", -1, &n);
  const float* unconditioned = float32Arg(env, info[1], "unconditioned", int64_t(n));
  Napi::Object o = optionsArg(env, info[2]);
  SarOptions opt;
  opt.useLog = boolProp(o, "useLog", opt.useLog);
  opt.useDenominator = boolProp(o, "useDenominator", opt.useDenominator);
  opt.useComparison = boolProp(o, "useComparison", opt.useComparison);
  opt.clipValue = numberProp(o, "clipValue", opt.clipValue);
  Napi::Object result = Napi::Object::New(env);
  float* out = outputArg(env, result, "rewards", int64_t(n));
  return runKernel(env, async, [=] { return sarRewards(conditioned, unconditioned, int64_t(n), opt, out); }, result,
                   {info[0], info[1]});
}

Napi::Value ParRewards(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object input = inputArg(env, info[0], "parRewards");
  size_t n = 0, refs = 0;
  ParInput in;
  in.rewards = float32Arg(env, input.Get("rewards"), "rewards", -1, &n);
  in.references = float32Arg(env, input.Get("references"), "references", -1, &refs);
  in.referenceOffsets = optionalInt32(env, input, "referenceOffsets", int64_t(n) + 1);
  in.lengths = optionalInt32(env, input, "lengths", int64_t(n));
  in.n = int64_t(n);
  in.numReferences = int64_t(refs);
  Napi::Object o = optionsArg(env, info[1]);
  ParOptions opt;
  opt.k = numberProp(o, "k", opt.k);
  opt.maxReferences = integerProp(env, o, "maxReferences", opt.maxReferences);
  opt.lengthThreshold = numberProp(o, "lengthThreshold", opt.lengthThreshold);
  opt.lengthPenalty = numberProp(o, "lengthPenalty", opt.lengthPenalty);
  Napi::Object result = Napi::Object::New(env);
  float* out = outputArg(env, result, "rewards", in.n);
  return runKernel(env, async, [=] { return parRewards(in, opt, out); }, result,
                   {info[0], input.Get("rewards"), input.Get("references"), input.Get("referenceOffsets"), input.Get("lengths")});
}

Napi::Value ClipDeltaRewards(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t steps = 0, offsets = 0;
  const float* rewards = float32Arg(env, info[0], "rewards", -1, &steps);
  const int32_t* stepOffsets = int32Arg(env, info[1], "stepOffsets", -1, &offsets);
  if (offsets < 1) throwRange(env, codes::kShape, "stepOffsets", -1, "stepOffsets needs trajectories + 1 >= 1 entries");
  Napi::Object o = optionsArg(env, info[2]);
  ClipDeltaOptions opt;
  opt.mode = ProcessRewardMode(enumProp(env, o, "mode", 3, int32_t(opt.mode)));
  opt.eta = numberProp(o, "eta", opt.eta);
  opt.lastStep = DeltaLastStep(enumProp(env, o, "lastStep", 2, int32_t(opt.lastStep)));
  Napi::Object result = Napi::Object::New(env);
  float* refined = outputArg(env, result, "rewards", int64_t(steps));
  const int64_t trajectories = int64_t(offsets) - 1;
  return runKernel(
      env, async, [=] { return clipDeltaRewards(rewards, int64_t(steps), stepOffsets, trajectories, opt, refined); }, result,
      {info[0], info[1]});
}

Napi::Value InsightScores(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t n = 0;
  const float* alpha = float32Arg(env, info[0], "alpha", -1, &n);
  const float* beta = float32Arg(env, info[1], "beta", int64_t(n));
  Napi::Object o = optionsArg(env, info[2]);
  const float* weights = optionalFloat32(env, o, "weights", int64_t(n));
  InsightOptions opt;
  opt.rollouts = integerProp(env, o, "rollouts", opt.rollouts);
  Napi::Object result = Napi::Object::New(env);
  float* s = outputArg(env, result, "scores", int64_t(n));
  float* m = outputArg(env, result, "mutualInformation", int64_t(n));
  float* u = outputArg(env, result, "mean", int64_t(n));
  return runKernel(env, async, [=] { return insightScores(alpha, beta, weights, int64_t(n), opt, s, m, u); }, result,
                   {info[0], info[1], o.Get("weights")});
}

}  // namespace

void registerRewardShaping(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "empgAdvantages", EmpgAdvantages);
  exportKernel(env, exports, "sarRewards", SarRewards);
  exportKernel(env, exports, "parRewards", ParRewards);
  exportKernel(env, exports, "clipDeltaRewards", ClipDeltaRewards);
  exportKernel(env, exports, "insightScores", InsightScores);
}

}  // namespace infogain
