// Moves row-major host matrices to the device in chunks of rows and runs a step on each chunk,
// with the copy of chunk c+1 overlapping the kernels of chunk c. Pageable inputs go through
// pinned staging buffers (filled by CPU threads); pinned inputs are copied directly.
// Chunks are cut by chunkRows (plan.h); the pipeline takes the stream slots (plan.h streamSlot).
#pragma once
#include <cstdint>
#include <functional>

#include "device.cuh"
#include "plan.h"

namespace infogain {
namespace cuda {

// step(firstRow, rowCount, devicePointers) launches work on the compute stream.
using ChunkStep = std::function<Status(int64_t firstRow, int64_t rowCount, const void* const* device)>;

// At most 2 inputs, each with `rows` rows. Inside a DeviceCall.
Status streamRows(Device& dev, const HostMatrix* inputs, int inputCount, int64_t rows, const ChunkStep& step);

}  // namespace cuda
}  // namespace infogain
