#include <cstdlib>
#include <cstring>

#include "device.cuh"

namespace infogain {
namespace cuda {

Status cudaStatus(cudaError_t err, const char* what) {
  Status st = runtimeError(err == cudaErrorMemoryAllocation ? codes::kOutOfMemory : codes::kCuda,
                           std::string("CUDA error ") + cudaGetErrorName(err) + " (" + std::to_string(int(err)) +
                               ": " + cudaGetErrorString(err) + ") in " + what);
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  return st;
}

Device& Device::get() {
  static Device* d = new Device();  // never destroyed: worker threads may call it during exit
  return *d;
}

Device::Device() {
  // INFOGAIN_CUDA=0 turns the device off; INFOGAIN_CUDA_DEVICE picks one.
  if (const char* off = std::getenv("INFOGAIN_CUDA"); off && std::strcmp(off, "0") == 0) return;
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
    IG_CUDA_TRY(cudaMalloc(&device_[slot], bytes));
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
DeviceInfo deviceInfo() { return Device::get().info(); }

}  // namespace cuda
}  // namespace infogain
