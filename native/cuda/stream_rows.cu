#include <cstring>

#include "../core/parallel.h"
#include "stream_rows.cuh"

namespace infogain {
namespace cuda {
namespace {

// memcpy with every CPU thread: one thread does not reach the PCIe rate from pageable memory.
void parallelCopy(void* dst, const void* src, int64_t bytes) {
  constexpr int64_t kPiece = int64_t(4) << 20;
  int64_t pieces = (bytes + kPiece - 1) / kPiece;
  parallelFor(pieces, [&](int64_t i) {
    int64_t off = i * kPiece, n = bytes - off < kPiece ? bytes - off : kPiece;
    std::memcpy(static_cast<char*>(dst) + off, static_cast<const char*>(src) + off, size_t(n));
  });
}

struct Events {
  cudaEvent_t copied[2] = {}, consumed[2] = {};
  ~Events() {
    for (int i = 0; i < 2; i++) {
      if (copied[i]) cudaEventDestroy(copied[i]);
      if (consumed[i]) cudaEventDestroy(consumed[i]);
    }
  }
};

}  // namespace

Status streamRows(Device& dev, const HostMatrix* inputs, int inputCount, int64_t rows, const ChunkStep& step) {
  if (rows <= 0) return Status::Ok();
  const int64_t perChunk = chunkRows(inputs, inputCount, rows);

  bool pinned[2] = {false, false};
  void* devBuf[2][2] = {};
  void* stage[2][2] = {};
  for (int k = 0; k < inputCount; k++) {
    pinned[k] = isPinned(inputs[k].data);
    for (int b = 0; b < 2; b++) {
      const size_t bytes = size_t(perChunk * inputs[k].rowBytes);
      Status st = dev.deviceBuffer(streamSlot(k, b), bytes, &devBuf[k][b]);
      if (!st.ok()) return st;
      if (!pinned[k]) {
        st = dev.pinnedBuffer(streamSlot(k, b), bytes, &stage[k][b]);
        if (!st.ok()) return st;
      }
    }
  }
  Events ev;
  for (int b = 0; b < 2; b++) {
    IG_CUDA_TRY(cudaEventCreateWithFlags(&ev.copied[b], cudaEventDisableTiming));
    IG_CUDA_TRY(cudaEventCreateWithFlags(&ev.consumed[b], cudaEventDisableTiming));
  }

  cudaStream_t copy = dev.copyStream(), compute = dev.computeStream();
  Status result = Status::Ok();
  int64_t chunk = 0;
  for (int64_t first = 0; first < rows; first += perChunk, chunk++) {
    const int b = int(chunk & 1);
    const int64_t n = rows - first < perChunk ? rows - first : perChunk;
    if (chunk >= 2) {
      cudaError_t e = cudaEventSynchronize(ev.copied[b]);  // staging buffer b is free again
      if (e != cudaSuccess) { result = cudaStatus(e, "cudaEventSynchronize"); break; }
      e = cudaStreamWaitEvent(copy, ev.consumed[b], 0);  // device buffer b is free again
      if (e != cudaSuccess) { result = cudaStatus(e, "cudaStreamWaitEvent"); break; }
    }
    const void* ptrs[2] = {};
    for (int k = 0; k < inputCount; k++) {
      const char* src = static_cast<const char*>(inputs[k].data) + first * inputs[k].rowBytes;
      size_t bytes = size_t(n * inputs[k].rowBytes);
      if (!pinned[k]) {
        parallelCopy(stage[k][b], src, int64_t(bytes));
        src = static_cast<const char*>(stage[k][b]);
      }
      cudaError_t e = cudaMemcpyAsync(devBuf[k][b], src, bytes, cudaMemcpyHostToDevice, copy);
      if (e != cudaSuccess) { result = cudaStatus(e, "cudaMemcpyAsync"); break; }
      ptrs[k] = devBuf[k][b];
    }
    if (!result.ok()) break;
    cudaError_t e = cudaEventRecord(ev.copied[b], copy);
    if (e == cudaSuccess) e = cudaStreamWaitEvent(compute, ev.copied[b], 0);
    if (e != cudaSuccess) { result = cudaStatus(e, "event"); break; }
    result = step(first, n, ptrs);
    if (!result.ok()) break;
    e = cudaEventRecord(ev.consumed[b], compute);
    if (e != cudaSuccess) { result = cudaStatus(e, "cudaEventRecord"); break; }
  }
  // leave no work in flight that could touch the buffers after an error
  if (!result.ok()) {
    cudaStreamSynchronize(copy);
    cudaStreamSynchronize(compute);
    cudaGetLastError();
  }
  return result;
}

}  // namespace cuda
}  // namespace infogain
