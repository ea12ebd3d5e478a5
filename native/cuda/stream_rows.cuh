// Moves row-major host matrices to the device in chunks of rows and runs a step on each chunk,
// with the copy of chunk c+1 overlapping the kernels of chunk c. Pageable inputs go through
// pinned staging buffers (filled by CPU threads); pinned inputs are copied directly.
// Device slots 0..3 and pinned slots 0..3 belong to this pipeline; callers use slots 4..7.
#pragma once
#include <cstdint>
#include <functional>

#include "device.cuh"

namespace infogain {
namespace cuda {

struct HostMatrix {
  const void* data;
  int64_t rowBytes;
};

// step(firstRow, rowCount, devicePointers) launches work on the compute stream.
using ChunkStep = std::function<Status(int64_t firstRow, int64_t rowCount, const void* const* device)>;

// At most 2 inputs, each with `rows` rows. Hold the device mutex.
Status streamRows(Device& dev, const HostMatrix* inputs, int inputCount, int64_t rows, const ChunkStep& step);

// Bytes of input per chunk (per input).
constexpr int64_t kChunkBytes = int64_t(64) << 20;

}  // namespace cuda
}  // namespace infogain
