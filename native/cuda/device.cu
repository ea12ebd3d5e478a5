#include <cudaTypedefs.h>  // driver function types only: nothing links libcuda

#include <cstdlib>
#include <cstring>

#include "device.cuh"

namespace infogain {
namespace cuda {
namespace {

// Guards lostReason_ (the device mutex may be held by the caller of markLost, or not).
std::mutex& reasonMutex() {
  static std::mutex m;
  return m;
}

void parseTestFault(Device& dev) {
  const char* f = std::getenv("INFOGAIN_CUDA_TEST_FAULT");
  if (!f) return;
  const char* colon = std::strchr(f, ':');
  const int n = colon ? std::atoi(colon + 1) : 1;
  if (std::strncmp(f, "alloc", 5) == 0) dev.armFault(Device::Fault::Alloc, n);
  if (std::strncmp(f, "launch", 6) == 0) dev.armFault(Device::Fault::Launch, n);
}

// The thread's current CUDA context, through the driver's own entry points as the runtime hands
// them out. cudaGetDevice would not do: a thread that never chose a device reads 0, and setting
// device 0 back would create a context on a GPU the process may not otherwise touch.
struct ContextApi {
  PFN_cuCtxGetCurrent_v4000 get = nullptr;
  PFN_cuCtxSetCurrent_v4000 set = nullptr;
};

const ContextApi& contextApi() {
  static const ContextApi api = [] {
    ContextApi a;
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult found;
    if (cudaGetDriverEntryPointByVersion("cuCtxGetCurrent", &fn, 4000, cudaEnableDefault, &found) == cudaSuccess &&
        found == cudaDriverEntryPointSuccess)
      a.get = reinterpret_cast<PFN_cuCtxGetCurrent_v4000>(fn);
    if (cudaGetDriverEntryPointByVersion("cuCtxSetCurrent", &fn, 4000, cudaEnableDefault, &found) == cudaSuccess &&
        found == cudaDriverEntryPointSuccess)
      a.set = reinterpret_cast<PFN_cuCtxSetCurrent_v4000>(fn);
    cudaGetLastError();
    if (!a.get || !a.set) a = {};
    return a;
  }();
  return api;
}

// Saves the calling thread's context; false when the driver cannot say (nothing will be restored).
bool saveContext(void** ctx) {
  const ContextApi& api = contextApi();
  CUcontext c = nullptr;
  if (!api.get || api.get(&c) != CUDA_SUCCESS) return false;
  *ctx = c;
  return true;
}

void restoreContext(void* ctx) {
  const ContextApi& api = contextApi();
  CUcontext now = nullptr;
  if (api.get(&now) != CUDA_SUCCESS || now != static_cast<CUcontext>(ctx)) api.set(static_cast<CUcontext>(ctx));
}

cudaError_t allocate(bool pinned, void** p, size_t bytes) {
  if (pinned) return cudaMallocHost(p, bytes);
  return Device::get().injectFault(Device::Fault::Alloc) ? cudaErrorMemoryAllocation : cudaMalloc(p, bytes);
}

void release(bool pinned, void* p) {
  if (!p) return;
  if (pinned) cudaFreeHost(p);
  else cudaFree(p);
}

}  // namespace

Status cudaStatus(cudaError_t err, const char* what) {
  Status st = runtimeError(err == cudaErrorMemoryAllocation ? codes::kOutOfMemory : codes::kCuda,
                           std::string("CUDA error ") + cudaGetErrorName(err) + " (" + std::to_string(int(err)) +
                               ": " + cudaGetErrorString(err) + ") in " + what);
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  // Drain: an earlier asynchronous copy or kernel may still be running. An error here (or the same
  // error again) means the context is corrupted for good: no later call can succeed.
  const cudaError_t after = cudaDeviceSynchronize();
  if (after != cudaSuccess) {
    cudaGetLastError();
    Device::get().markLost(st.message);
    st.message += "; the CUDA context is unusable for the rest of this process (backend 'auto' now runs on the CPU)";
  }
  return st;
}

cudaError_t launched(cudaError_t err) {
  return err == cudaSuccess && Device::get().injectFault(Device::Fault::Launch) ? cudaErrorLaunchOutOfResources : err;
}

void Device::markLost(const std::string& why) {
  std::lock_guard<std::mutex> lock(reasonMutex());
  if (!lost_.exchange(true)) lostReason_ = why;
}

std::string Device::lostReason() {
  std::lock_guard<std::mutex> lock(reasonMutex());
  return lost_ ? lostReason_ : std::string();
}

bool Device::injectFault(Fault kind) {
  std::atomic<int>& left = faults_[int(kind)];
  for (int n = left.load(); n > 0;)
    if (left.compare_exchange_weak(n, n - 1)) return true;
  return false;
}

Device& Device::get() {
  static Device* d = new Device();  // never destroyed: worker threads may call it during exit
  return *d;
}

Device::Device() {
  // INFOGAIN_CUDA=0 turns the device off; INFOGAIN_CUDA_DEVICE picks one.
  if (const char* off = std::getenv("INFOGAIN_CUDA"); off && std::strcmp(off, "0") == 0) return;
  parseTestFault(*this);
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    return;  // no driver, no device: the CPU path, silently
  }
  int dev = 0;
  if (const char* e = std::getenv("INFOGAIN_CUDA_DEVICE")) dev = std::atoi(e);
  if (dev < 0 || dev >= count) dev = 0;
  void* callerContext = nullptr;
  const bool restore = saveContext(&callerContext);
  cudaDeviceProp prop;
  bool ready = cudaSetDevice(dev) == cudaSuccess && cudaGetDeviceProperties(&prop, dev) == cudaSuccess;
  for (auto& s : streams_) ready = ready && cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) == cudaSuccess;
  cudaGetLastError();
  if (restore) restoreContext(callerContext);
  if (!ready) return;
  info_.device = dev;
  info_.name = prop.name;
  info_.memoryBytes = int64_t(prop.totalGlobalMem);
  info_.multiprocessors = prop.multiProcessorCount;
  info_.computeCapability = prop.major * 10 + prop.minor;
  ok_ = true;
}

Status Device::deviceBuffer(int slot, size_t bytes, void** out) { return grow(device_, false, slot, bytes, out); }
Status Device::pinnedBuffer(int slot, size_t bytes, void** out) { return grow(pinned_, true, slot, bytes, out); }

Status Device::grow(Slots& slots, bool pinned, int slot, size_t bytes, void** out) {
  const unsigned bit = 1u << slot;
  if (slots.taken & bit) return runtimeError(codes::kCuda, "internal error: scratch slot " + std::to_string(slot) + " taken twice in one call");
  slots.taken |= bit;
  if (bytes > slots.bytes[slot]) {
    release(pinned, slots.ptr[slot]);
    slots.ptr[slot] = nullptr;
    slots.bytes[slot] = 0;
    cudaError_t err = allocate(pinned, &slots.ptr[slot], bytes);
    if (err == cudaErrorMemoryAllocation && releaseIdle(slots, pinned)) {  // what other calls left: once more
      cudaGetLastError();
      err = allocate(pinned, &slots.ptr[slot], bytes);
    }
    if (err != cudaSuccess) {
      slots.ptr[slot] = nullptr;
      return cudaStatus(err, pinned ? "cudaMallocHost" : "cudaMalloc");
    }
    slots.bytes[slot] = bytes;
  }
  *out = slots.ptr[slot];
  return Status::Ok();
}

// Frees the slots this call has not taken; true when there was any.
bool Device::releaseIdle(Slots& slots, bool pinned) {
  bool freed = false;
  for (int k = 0; k < kSlots; k++)
    if (!(slots.taken & (1u << k)) && slots.ptr[k]) {
      release(pinned, slots.ptr[k]);
      slots.ptr[k] = nullptr;
      slots.bytes[k] = 0;
      freed = true;
    }
  return freed;
}

void Device::releaseBuffers() {
  DeviceCall call;  // nothing taken in this call: every slot is idle
  if (!call.status().ok()) return;
  releaseIdle(device_, false);
  releaseIdle(pinned_, true);
}

DeviceCall::DeviceCall() : dev_(Device::get()) {
  if (!dev_.ok_) {
    status_ = runtimeError(codes::kCudaUnavailable, "no usable CUDA device");
    return;
  }
  lock_ = std::unique_lock<std::mutex>(dev_.mutex_);
  if (dev_.lost_) {  // lost while this call waited for the lock
    status_ = runtimeError(codes::kCudaUnavailable, "the CUDA device failed earlier in this process: " + dev_.lostReason());
    lock_.unlock();
    return;
  }
  dev_.device_.taken = dev_.pinned_.taken = 0;
  restore_ = saveContext(&callerContext_);
  const cudaError_t err = cudaSetDevice(dev_.info_.device);
  if (err != cudaSuccess) status_ = cudaStatus(err, "cudaSetDevice");
}

DeviceCall::~DeviceCall() {
  if (!lock_.owns_lock()) return;
  // Normally a no-op (calls end synchronized); after an exception thrown mid-call it keeps the
  // call's copies and kernels from running on into the caller's memory or the next call's buffers.
  const cudaError_t a = cudaStreamSynchronize(dev_.copyStream()), b = cudaStreamSynchronize(dev_.computeStream());
  if (a != cudaSuccess || b != cudaSuccess) cudaGetLastError();
  if (restore_) restoreContext(callerContext_);
}

bool isPinned(const void* p) {
  cudaPointerAttributes attr;
  if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attr.type == cudaMemoryTypeHost;
}

bool compiled() { return true; }
bool available() { return Device::get().ok(); }
std::string lostReason() { return Device::get().lostReason(); }
DeviceInfo deviceInfo() { return Device::get().info(); }

}  // namespace cuda
}  // namespace infogain
