// readPass(typedArray, strategy = 0) -> checksum: the read-bandwidth floor the benchmarks compare
// against; readStrategies() -> the strategy names this CPU runs (the floor is the fastest of them).
#include "../core/bandwidth.h"

#include <string>

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

void registerBandwidth(Napi::Env env, Napi::Object exports) {
  exports.Set("readPass", Napi::Function::New(env, ReadPass, "readPass"));
  exports.Set("readStrategies", Napi::Function::New(env, ReadStrategies, "readStrategies"));
}

}  // namespace infogain
