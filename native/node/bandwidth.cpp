// Hooks for the benchmarks, not part of the API:
// readPass(typedArray, strategy = 0) -> checksum: the read-bandwidth floor the benchmarks compare
// against; readStrategies() -> the strategy names this CPU runs (the floor is the fastest of them).
// coreGroupAdvantages(scores, ids, out) -> seconds: the C++ core of groupAdvantages (grpo) alone,
// timed inside C++ with no JS, N-API or output allocation, for the bench's API-overhead ratio.
// setFloat32OneSweep(mode): float32 rows' block path (1 one sweep, 0 two, -1 this CPU's default),
// so the tests cover both on one machine (softmax_stats.h).
#include "../core/bandwidth.h"

#include <chrono>

#include <string>

#include "../core/advantages.h"
#include "../core/softmax_stats.h"
#include "args.h"
#include "errors.h"
#include "families.h"

namespace infogain {

static Napi::Value ReadPass(const Napi::CallbackInfo& info) {
  TypedView v = typedArg(info.Env(), info[0], "data");
  const int count = readStrategyCount();
  const double strategy = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0.0;
  if (!(strategy >= 0 && strategy < count) || strategy != double(int(strategy)))
    throwRange(info.Env(), codes::kRange, "strategy", -1, "strategy must be an integer in [0, " + std::to_string(count) + ")");
  return Napi::Number::New(info.Env(), double(readPass(v.data, int64_t(v.byteLength), int(strategy)) & 0xffffffffu));
}

static Napi::Value ReadStrategies(const Napi::CallbackInfo& info) {
  Napi::Array names = Napi::Array::New(info.Env());
  for (int i = 0; i < readStrategyCount(); i++) names.Set(uint32_t(i), Napi::String::New(info.Env(), readStrategyName(i)));
  return names;
}

static Napi::Value CoreGroupAdvantages(const Napi::CallbackInfo& info) {
  size_t n = 0;
  const float* scores = float32Arg(info.Env(), info[0], "scores", -1, &n);
  Grouping grouping;
  grouping.ids = int32Arg(info.Env(), info[1], "ids", int64_t(n));
  float* out = const_cast<float*>(float32Arg(info.Env(), info[2], "out", int64_t(n)));
  GroupStats stats;
  const auto start = std::chrono::steady_clock::now();
  const Status st = groupAdvantages(scores, int64_t(n), grouping, GroupAdvantagesOptions(), out, &stats);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!st.ok()) throwStatus(info.Env(), st);
  return Napi::Number::New(info.Env(), seconds);
}

static Napi::Value SetFloat32OneSweep(const Napi::CallbackInfo& info) {
  const double mode = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 2.0;
  if (mode != -1 && mode != 0 && mode != 1) throwRange(info.Env(), codes::kRange, "mode", -1, "mode must be -1, 0 or 1");
  setFloat32OneSweep(int(mode));
  return info.Env().Undefined();
}

void registerBandwidth(Napi::Env env, Napi::Object exports) {
  exports.Set("setFloat32OneSweep", Napi::Function::New(env, SetFloat32OneSweep, "setFloat32OneSweep"));
  exports.Set("readPass", Napi::Function::New(env, ReadPass, "readPass"));
  exports.Set("coreGroupAdvantages", Napi::Function::New(env, CoreGroupAdvantages, "coreGroupAdvantages"));
  exports.Set("readStrategies", Napi::Function::New(env, ReadStrategies, "readStrategies"));
}

}  // namespace infogain
