// Picks CPU or CUDA for one call from the caller's `backend` option.
#pragma once
#include <napi.h>

#include <cstdint>

namespace infogain {

enum class Backend : int32_t { Auto = 0, Cpu = 1, Cuda = 2 };

Backend backendArg(Napi::Env env, Napi::Object options);

// true: run on CUDA. Throws ERR_INFOGAIN_CUDA_UNAVAILABLE when 'cuda' was asked for and none is usable.
bool useCuda(Napi::Env env, Backend backend, int64_t inputBytes);

}  // namespace infogain
