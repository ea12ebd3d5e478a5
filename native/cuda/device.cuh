// The process-wide CUDA device: one owner for every worker thread and environment. A call holds a
// DeviceCall for its whole run, so the device works through one request at a time. Scratch buffers
// grow on demand and are kept for the next call; an allocation that fails first frees the buffers
// the call is not using and tries once more.
#pragma once
#include <cuda_runtime.h>

#include <atomic>
#include <mutex>
#include <string>

#include "../core/status.h"
#include "cuda.h"
#include "plan.h"

namespace infogain {
namespace cuda {

// The Status of a failed CUDA call (ERR_INFOGAIN_OUT_OF_MEMORY for allocations, else
// ERR_INFOGAIN_CUDA), with CUDA's name and text for the error. It also waits for work still in flight
// (so none touches host memory after the call returns), and when the error is sticky (the context
// is corrupted: every later call would fail too) it takes the device out of service for the process.
// Call it inside a DeviceCall.
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

  // Found at start and not lost since. Read without the lock it is a hint; DeviceCall checks again.
  bool ok() const { return ok_ && !lost_.load(); }
  // Out of service after a sticky error; `why` is kept for the errors of later calls.
  void markLost(const std::string& why);
  std::string lostReason();
  const DeviceInfo& info() const { return info_; }

  cudaStream_t computeStream() const { return streams_[0]; }
  cudaStream_t copyStream() const { return streams_[1]; }

  // Scratch memory by slot (plan.h), grown to at least `bytes`, contents undefined. Inside a
  // DeviceCall, each slot once per call.
  Status deviceBuffer(int slot, size_t bytes, void** out);
  Status pinnedBuffer(int slot, size_t bytes, void** out);
  // Frees every scratch buffer (takes the lock; the next calls allocate again).
  void releaseBuffers();

  // Test hook: the next `count` device allocations (kernel launches) fail as a full device (a
  // rejected launch) would, so the error paths can be checked on a real GPU. Set at start from
  // INFOGAIN_CUDA_TEST_FAULT=alloc:N (or launch:N), or armed by the GPU harness.
  enum class Fault { Alloc, Launch };
  void armFault(Fault kind, int count) { faults_[int(kind)] = count; }
  int armedFaults(Fault kind) const { return faults_[int(kind)]; }
  bool injectFault(Fault kind);

 private:
  friend class DeviceCall;
  struct Slots {
    void* ptr[kSlots] = {};
    size_t bytes[kSlots] = {};
    unsigned taken = 0;  // bit per slot handed out in the current call
  };
  Device();
  Status grow(Slots& slots, bool pinned, int slot, size_t bytes, void** out);
  bool releaseIdle(Slots& slots, bool pinned);

  bool ok_ = false;
  std::atomic<bool> lost_{false};
  std::string lostReason_;
  std::atomic<int> faults_[2] = {{0}, {0}};
  DeviceInfo info_;
  std::mutex mutex_;
  cudaStream_t streams_[2] = {nullptr, nullptr};
  Slots device_, pinned_;
};

// One call's hold on the device, from its first CUDA call to its return: takes the device lock,
// checks (under it) that the device is still in service, and makes the device current on this
// thread (calls come from any thread: libuv pool, worker threads). On the way out, by return or
// exception, it waits until none of the call's work is in flight (the next call reuses its
// buffers) and gives the thread back the CUDA context it had.
class DeviceCall {
 public:
  DeviceCall();
  ~DeviceCall();
  DeviceCall(const DeviceCall&) = delete;
  DeviceCall& operator=(const DeviceCall&) = delete;

  const Status& status() const { return status_; }  // not ok: the call must not use the device
  Device& device() { return dev_; }

 private:
  Device& dev_;
  std::unique_lock<std::mutex> lock_;
  void* callerContext_ = nullptr;
  bool restore_ = false;
  Status status_;
};

// Is host memory at p page-locked (so the DMA engines can read it directly)?
bool isPinned(const void* p);

}  // namespace cuda
}  // namespace infogain
