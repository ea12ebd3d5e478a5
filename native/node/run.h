// One kernel call, run either on the calling thread (the ...Sync exports) or on the libuv pool
// behind a Promise. The call reads its inputs as call_inputs.h says and runs under the CPU settings
// in force when it was made; inputs and the prepared result stay referenced until it settles.
#pragma once
#include <napi.h>

#include <functional>
#include <initializer_list>

#include "../core/status.h"

namespace infogain {

using Compute = std::function<Status()>;

// Sync: runs compute, throws its error or returns result. Async: returns a Promise of the same.
Napi::Value runKernel(Napi::Env env, bool async, Compute compute, Napi::Object result,
                      std::initializer_list<Napi::Value> keepAlive);

// Runs on the JS thread after a successful compute, to add to `result` what only the compute could
// size (e.g. per-group statistics). It may throw a Napi::Error.
using Finish = std::function<void(Napi::Env env, Napi::Object result)>;

// runKernel, then finish(result) before returning it (sync) or resolving with it (async).
Napi::Value runKernelThen(Napi::Env env, bool async, Compute compute, Finish finish, Napi::Object result,
                          std::initializer_list<Napi::Value> keepAlive);

// compute() with what it throws as a Status: std::bad_alloc -> ERR_INFOGAIN_OUT_OF_MEMORY, any other
// exception -> ERR_INFOGAIN_INTERNAL (an exception escaping to Node-API would end the process). For
// core calls made outside runKernel (ShapleyEstimator's methods).
Status catching(const Compute& compute);

// A binding entry that serves both forms; `async` says which one was called.
using KernelEntry = Napi::Value (*)(const Napi::CallbackInfo& info, bool async);

// Exports `name` (Promise) and `nameSync`.
void exportKernel(Napi::Env env, Napi::Object exports, const char* name, KernelEntry entry);

}  // namespace infogain
