#include "run.h"

#include <new>
#include <string>
#include <vector>

#include "../core/cpu.h"
#include "call_inputs.h"
#include "errors.h"

namespace infogain {

Status catching(const Compute& compute) {
  try {
    return compute();
  } catch (const std::bad_alloc&) {
    return runtimeError(codes::kOutOfMemory, "out of memory while computing");
  } catch (const std::exception& e) {
    return runtimeError(codes::kInternal, e.what());
  }
}

namespace {

// Runs compute under the CPU settings captured when the call was made (configure() may change the
// process-wide ones meanwhile).
Status guarded(const Compute& compute, const CpuSettings& settings) {
  return catching([&] {
    UseCpuSettings use(settings);
    return compute();
  });
}

class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, Compute compute, Finish finish, Napi::Object result, std::initializer_list<Napi::Value> keep)
      : Napi::AsyncWorker(env, "infogain"),
        compute_(std::move(compute)),
        finish_(std::move(finish)),
        settings_(cpuSettings()),
        deferred_(Napi::Promise::Deferred::New(env)) {
    if (CallInputs* inputs = CallInputs::current()) inputs_ = inputs->memory();
    result_ = Napi::Persistent(result);
    for (Napi::Value v : keep)
      if (v.IsObject()) keep_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override { status_ = guarded(compute_, settings_); }
  void OnOK() override {
    if (!status_.ok()) {
      deferred_.Reject(makeError(Env(), status_).Value());
      return;
    }
    try {
      if (finish_) finish_(Env(), result_.Value());
      deferred_.Resolve(result_.Value());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Compute compute_;
  Finish finish_;
  const CpuSettings settings_;
  std::shared_ptr<CallInputs::Memory> inputs_;  // what the call reads (copies, shared views) until it settles
  Status status_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference result_;
  std::vector<Napi::ObjectReference> keep_;
};

}  // namespace

Napi::Value runKernel(Napi::Env env, bool async, Compute compute, Napi::Object result,
                      std::initializer_list<Napi::Value> keepAlive) {
  return runKernelThen(env, async, std::move(compute), nullptr, result, keepAlive);
}

Napi::Value runKernelThen(Napi::Env env, bool async, Compute compute, Finish finish, Napi::Object result,
                          std::initializer_list<Napi::Value> keepAlive) {
  if (!async) {
    if (const CallInputs* inputs = CallInputs::current()) inputs->checkUnchanged(env);
    Status st = guarded(compute, cpuSettings());
    if (!st.ok()) throwStatus(env, st);
    if (finish) finish(env, result);
    return result;
  }
  auto* worker = new KernelWorker(env, std::move(compute), std::move(finish), result, keepAlive);
  Napi::Promise promise = worker->promise();
  worker->Queue();  // the worker deletes itself after OnOK / OnError
  return promise;
}

void exportKernel(Napi::Env env, Napi::Object exports, const char* name, KernelEntry entry) {
  auto form = [entry](bool async) {
    return [entry, async](const Napi::CallbackInfo& info) {
      CallInputs inputs(async);  // every typed array the entry unpacks is made safe to read for the call
      return entry(info, async);
    };
  };
  exports.Set(name, Napi::Function::New(env, form(true), name));
  std::string sync = std::string(name) + "Sync";
  exports.Set(sync, Napi::Function::New(env, form(false), sync));
}

}  // namespace infogain
