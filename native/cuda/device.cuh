// The process-wide CUDA device: one owner for every worker thread and environment. Calls take
// the lock for their whole run, so the device works through one queue of requests at a time.
// Buffers grow on demand and are kept for the next call.
#pragma once
#include <cuda_runtime.h>

#include <atomic>
#include <mutex>
#include <string>

#include "../core/status.h"
#include "cuda.h"

namespace infogain {
namespace cuda {

// The Status of a failed CUDA call (ERR_INFOGAIN_OUT_OF_MEMORY for allocations, else
// ERR_INFOGAIN_CUDA), with CUDA's name and text for the error. It also waits for work still in flight
// (so none touches host memory after the call returns), and when the error is sticky (the context
// is corrupted: every later call would fail too) it takes the device out of service for the process.
// Call it with the device mutex held.
Status cudaStatus(cudaError_t err, const char* what);

// What a kernel launch returned, or the test hook's injected failure (INFOGAIN_CUDA_TEST_FAULT).
cudaError_t launched(cudaError_t err);

// Returns the Status of a failing CUDA call from the enclosing function.
#define IG_CUDA_TRY(expr)                                            \
  do {                                                               \
    cudaError_t ig_err_ = (expr);                                    \
    if (ig_err_ != cudaSuccess) return cudaStatus(ig_err_, #expr);   \
  } while (0)

class Device {
 public:
  static Device& get();

  bool ok() const { return ok_ && !lost_.load(); }
  // Out of service after a sticky error; `why` is kept for the errors of later calls.
  void markLost(const std::string& why);
  std::string lostReason();
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

  // Test hook: INFOGAIN_CUDA_TEST_FAULT=alloc:N (or launch:N) makes the next N device allocations
  // (kernel launches) fail as a full device (a rejected launch) would, so the error paths can be
  // checked on a real GPU. Inert when the variable is unset.
  enum class Fault { Alloc, Launch };
  bool injectFault(Fault kind);

 private:
  Device();
  bool ok_ = false;
  std::atomic<bool> lost_{false};
  std::string lostReason_;
  std::atomic<int> faults_[2] = {{0}, {0}};
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
