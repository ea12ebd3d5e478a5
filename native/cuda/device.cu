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

void parseTestFault(std::atomic<int>* faults) {
  const char* f = std::getenv("INFOGAIN_CUDA_TEST_FAULT");
  if (!f) return;
  const char* colon = std::strchr(f, ':');
  const int n = colon ? std::atoi(colon + 1) : 1;
  if (std::strncmp(f, "alloc", 5) == 0) faults[0] = n;
  if (std::strncmp(f, "launch", 6) == 0) faults[1] = n;
}

// cudaMalloc, or the test hook's injected failure.
cudaError_t tryCudaMalloc(void** p, size_t bytes) {
  return Device::get().injectFault(Device::Fault::Alloc) ? cudaErrorMemoryAllocation : cudaMalloc(p, bytes);
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
  parseTestFault(faults_);
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    return;  // no driver, no device: the CPU path, silently
  }
  int dev = 0;
  if (const char* e = std::getenv("INFOGAIN_CUDA_DEVICE")) dev = std::atoi(e);
  if (dev < 0 || dev >= count) dev = 0;
  cudaDeviceProp prop;
  if (cudaSetDevice(dev) != cudaSuccess || cudaGetDeviceProperties(&prop, dev) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  for (auto& s : streams_)
    if (cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) != cudaSuccess) {
      cudaGetLastError();
      return;
    }
  info_.device = dev;
  info_.name = prop.name;
  info_.memoryBytes = int64_t(prop.totalGlobalMem);
  info_.multiprocessors = prop.multiProcessorCount;
  info_.computeCapability = prop.major * 10 + prop.minor;
  ok_ = true;
}

Status Device::makeCurrent() const {
  IG_CUDA_TRY(cudaSetDevice(info_.device));
  return Status::Ok();
}

Status Device::deviceBuffer(int slot, size_t bytes, void** out) {
  if (bytes > deviceBytes_[slot]) {
    if (device_[slot]) cudaFree(device_[slot]);
    device_[slot] = nullptr;
    deviceBytes_[slot] = 0;
    IG_CUDA_TRY(tryCudaMalloc(&device_[slot], bytes));
    deviceBytes_[slot] = bytes;
  }
  *out = device_[slot];
  return Status::Ok();
}

Status Device::pinnedBuffer(int slot, size_t bytes, void** out) {
  if (bytes > pinnedBytes_[slot]) {
    if (pinned_[slot]) cudaFreeHost(pinned_[slot]);
    pinned_[slot] = nullptr;
    pinnedBytes_[slot] = 0;
    IG_CUDA_TRY(cudaMallocHost(&pinned_[slot], bytes));
    pinnedBytes_[slot] = bytes;
  }
  *out = pinned_[slot];
  return Status::Ok();
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
