// Picks CPU or CUDA for one call from the caller's `backend` option.
#pragma once
#include <napi.h>

#include <cstdint>

#include "../core/status.h"

namespace infogain {

enum class Backend : int32_t { Auto = 0, Cpu = 1, Cuda = 2 };

Backend backendArg(Napi::Env env, Napi::Object options);

// true: run on CUDA. Throws ERR_INFOGAIN_CUDA_UNAVAILABLE when 'cuda' was asked for and none is usable.
bool useCuda(Napi::Env env, Backend backend, int64_t inputBytes);

// A failure of the CUDA path itself (a CUDA call failed, device memory ran out, the device went out
// of service), as opposed to an error about the input, which the CPU would report the same way.
bool isCudaFailure(const Status& st);

// Runs `gpu` when `cuda`, else `cpu`. Under backend 'auto' a CUDA failure reruns the call on the
// CPU, which writes every output again; backend 'cuda' gets the CUDA error.
template <class Gpu, class Cpu>
Status runOnBackend(Backend backend, bool cuda, const Gpu& gpu, const Cpu& cpu) {
  if (!cuda) return cpu();
  Status st = gpu();
  return backend == Backend::Auto && isCudaFailure(st) ? cpu() : st;
}

}  // namespace infogain
