// The host-side arithmetic of the CUDA paths: rows per streamed chunk, blocks per row, blocks of
// the Shapley pass, and which scratch slot holds what. Plain C++ (no CUDA headers), so it is
// checked on the CPU (bench/gpu/host_checks.cu) where no GPU is.
#pragma once
#include <cstdint>

namespace infogain {
namespace cuda {

constexpr int kBlockThreads = 256;    // threads of the row kernels (log-probs, KL)
constexpr int kShapleyThreads = 256;  // threads of the semivalue kernel
constexpr int64_t kMaxGridRows = 65535;  // gridDim.y limit: row kernels launch at most this many rows at once

// A row-major matrix in host memory, as streamRows moves it.
struct HostMatrix {
  const void* data;
  int64_t rowBytes;
};

// Bytes of input per chunk (per input).
constexpr int64_t kChunkBytes = int64_t(64) << 20;

// Rows per chunk: the widest row decides, at least 1 and at most `rows` (0 when there are none).
// streamRows cuts its chunks with it and the ops size their per-chunk scratch with it, from the
// same inputs: the one formula both sides use.
inline int64_t chunkRows(const HostMatrix* inputs, int inputCount, int64_t rows) {
  if (rows <= 0) return 0;
  int64_t widest = 1;
  for (int k = 0; k < inputCount; k++) widest = inputs[k].rowBytes > widest ? inputs[k].rowBytes : widest;
  const int64_t n = kChunkBytes / widest;
  return n < 1 ? 1 : n < rows ? n : rows;
}

// Blocks per row of the log-prob and KL kernels: more than one only when `rows` are too few to give
// every multiprocessor 8 blocks, and never so many that a thread gets under 4 full 16-byte vectors.
inline int tokenLogprobsSplits(int64_t rows, int64_t vocab, int multiprocessors) {
  const int64_t wantBlocks = int64_t(multiprocessors > 0 ? multiprocessors : 1) * 8;
  if (rows <= 0 || rows >= wantBlocks) return 1;
  int64_t splits = (wantBlocks + rows - 1) / rows;
  const int64_t maxSplits = vocab / (kBlockThreads * 8 * 4);
  if (splits > maxSplits) splits = maxSplits;
  return splits < 1 ? 1 : int(splits);
}

// Blocks of the semivalue kernel over a table of `length` values: 8 per multiprocessor, fewer when
// the table has fewer masks than that many threads.
inline int shapleyBlocks(int64_t length, int multiprocessors) {
  const int64_t want = int64_t(multiprocessors > 0 ? multiprocessors : 1) * 8;
  const int64_t useful = (length + kShapleyThreads - 1) / kShapleyThreads;
  const int64_t blocks = want < useful ? want : useful;
  return blocks < 1 ? 1 : int(blocks);
}

// Scratch slots of the device (Device::deviceBuffer / pinnedBuffer). streamRows owns the first
// kStreamSlots (input k, double buffer b); an op's own buffers take the kOpSlots after them. An op
// that does not stream (linear_head.cu) holds its inputs in the stream slots instead (inputSlot).
// One call asks for each slot once.
constexpr int kStreamSlots = 4;  // 2 inputs x 2 buffers
constexpr int kOpSlots = 4;
constexpr int kSlots = kStreamSlots + kOpSlots;
constexpr int streamSlot(int input, int buffer) { return 2 * input + buffer; }
constexpr int inputSlot(int k) { return k; }
constexpr int opSlot(int k) { return kStreamSlots + k; }
static_assert(streamSlot(1, 1) < kStreamSlots && inputSlot(kStreamSlots - 1) < opSlot(0), "slots overlap");
static_assert(opSlot(kOpSlots - 1) < kSlots, "slots overflow");

}  // namespace cuda
}  // namespace infogain
