#include "backend.h"

#include "../cuda/cuda.h"
#include "args.h"
#include "errors.h"

namespace infogain {

Backend backendArg(Napi::Env env, Napi::Object options) {
  double b = numberProp(options, "backend", 0);
  if (b != 0 && b != 1 && b != 2) throwRange(env, codes::kRange, "backend", -1, "backend must be 'auto', 'cpu' or 'cuda'");
  return Backend(int32_t(b));
}

bool useCuda(Napi::Env env, Backend backend, int64_t inputBytes) {
  if (backend == Backend::Cpu) return false;
  bool ready = cuda::available();
  if (backend == Backend::Cuda && !ready) {
    const std::string lost = cuda::lostReason();
    throwStatus(env, runtimeError(codes::kCudaUnavailable,
                                  !cuda::compiled() ? "backend 'cuda': this build of infogain has no CUDA support"
                                  : lost.empty()    ? "backend 'cuda': no usable CUDA device (see backends())"
                                                    : "backend 'cuda': the CUDA device failed earlier in this process: " + lost));
  }
  return backend == Backend::Cuda || (ready && inputBytes >= cuda::kAutoMinBytes);
}

bool isCudaFailure(const Status& st) {
  return st.code == codes::kCuda || st.code == codes::kCudaUnavailable || st.code == codes::kOutOfMemory;
}

}  // namespace infogain
