// readPass(typedArray) -> checksum: the read-bandwidth floor the benchmarks compare against.
#include "../core/bandwidth.h"

#include "args.h"
#include "families.h"

namespace infogain {

static Napi::Value ReadPass(const Napi::CallbackInfo& info) {
  TypedView v = typedArg(info.Env(), info[0], "data");
  return Napi::Number::New(info.Env(), double(readPass(v.data, int64_t(v.byteLength)) & 0xffffffffu));
}

void registerBandwidth(Napi::Env env, Napi::Object exports) {
  exports.Set("readPass", Napi::Function::New(env, ReadPass, "readPass"));
}

}  // namespace infogain
