// The process-wide CUDA device: one owner for every worker thread and environment. Calls take
// the lock for their whole run, so the device works through one queue of requests at a time.
// Buffers grow on demand and are kept for the next call.
#pragma once
#include <cuda_runtime.h>

#include <mutex>
#include <string>

#include "../core/status.h"
#include "cuda.h"

namespace infogain {
namespace cuda {

Status cudaStatus(cudaError_t err, const char* what);

// Returns the Status of a failing CUDA call from the enclosing function.
#define IG_CUDA_TRY(expr)                                            \
  do {                                                               \
    cudaError_t ig_err_ = (expr);                                    \
    if (ig_err_ != cudaSuccess) return cudaStatus(ig_err_, #expr);   \
  } while (0)

class Device {
 public:
  static Device& get();

  bool ok() const { return ok_; }
  const DeviceInfo& info() const { return info_; }
  std::mutex& mutex() { return mutex_; }

  // Makes this device current on the calling thread; call it after taking the mutex. CUDA's current
  // device is per thread, and calls come from any thread (libuv pool, worker threads).
  Status makeCurrent() const;

  cudaStream_t computeStream() const { return streams_[0]; }
  cudaStream_t copyStream() const { return streams_[1]; }

  // Scratch memory by slot, grown to at least `bytes`, contents undefined. Hold the mutex.
  Status deviceBuffer(int slot, size_t bytes, void** out);
  Status pinnedBuffer(int slot, size_t bytes, void** out);

  static constexpr int kSlots = 8;

 private:
  Device();
  bool ok_ = false;
  DeviceInfo info_;
  std::mutex mutex_;
  cudaStream_t streams_[2] = {nullptr, nullptr};
  void* device_[kSlots] = {};
  size_t deviceBytes_[kSlots] = {};
  void* pinned_[kSlots] = {};
  size_t pinnedBytes_[kSlots] = {};
};

// Is host memory at p page-locked (so the DMA engines can read it directly)?
bool isPinned(const void* p);

}  // namespace cuda
}  // namespace infogain
