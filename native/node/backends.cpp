// backends() and configure(): what this process can use, and the CPU knobs.
#include "../core/cpu.h"
#include "../cuda/cuda.h"
#include "errors.h"
#include "families.h"

namespace infogain {

static Napi::Value Backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("isa", isaName(activeIsa()));
  cpu.Set("detectedIsa", isaName(detectedIsa()));
  cpu.Set("threads", threadCount());
  Napi::Object result = Napi::Object::New(env);
  result.Set("cpu", cpu);
  if (cuda::available()) {
    cuda::DeviceInfo d = cuda::deviceInfo();
    Napi::Object c = Napi::Object::New(env);
    c.Set("device", d.device);
    c.Set("name", d.name);
    c.Set("memoryBytes", double(d.memoryBytes));
    c.Set("multiprocessors", d.multiprocessors);
    c.Set("computeCapability", d.computeCapability / 10.0);
    result.Set("cuda", c);
  } else {
    result.Set("cuda", env.Null());
  }
  result.Set("cudaCompiled", cuda::compiled());
  return result;
}

// configure(isaName | undefined, threads | undefined)
static Napi::Value Configure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info[0].IsString()) {
    std::string name = info[0].As<Napi::String>();
    Isa isa;
    if (!parseIsa(name.c_str(), &isa)) throwRange(env, codes::kRange, "isa", -1, "isa must be 'avx512', 'avx2' or 'scalar'");
    Status st = setActiveIsa(isa);
    if (!st.ok()) throwStatus(env, st);
  }
  if (info[1].IsNumber()) {
    Status st = setThreadCount(info[1].As<Napi::Number>().Int32Value());
    if (!st.ok()) throwStatus(env, st);
  }
  return Backends(info);
}

void registerBackends(Napi::Env env, Napi::Object exports) {
  exports.Set("backends", Napi::Function::New(env, Backends, "backends"));
  exports.Set("configure", Napi::Function::New(env, Configure, "configure"));
}

}  // namespace infogain
