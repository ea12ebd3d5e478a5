// Device-resident pieces of the fused head, for the host wrappers in linear_head.cu and the GPU
// harness. The logits kernel tiles [64 rows x 128 vocabulary columns] per block over the whole dim
// (SIMT float32 FMAs: the accuracy of the CPU path, whatever the input dtypes), and its epilogue
// either folds the tile into per-(row, tile) softmax stats or stores it (the materializing variant
// the harness times against, and linearKL's path: see linear_head.cu).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "../core/linear_head.h"
#include "plan.h"

namespace infogain {
namespace cuda {

constexpr int kHeadTileRows = 64;    // rows of a block's tile
constexpr int kHeadTileCols = 128;   // vocabulary columns of a block's tile

inline int64_t headVocabTiles(int64_t vocab) { return (vocab + kHeadTileCols - 1) / kHeadTileCols; }

// Rows per launch so that the per-(row, tile) partial stats stay under `bytes` and the grid's y
// (row tiles) under its limit: a multiple of the tile's rows, at least one tile, at most `rows`.
inline int64_t headChunkRows(int64_t rows, int64_t vocab, int64_t bytesPerRowTile, int64_t bytes) {
  int64_t n = bytes / (headVocabTiles(vocab) * bytesPerRowTile) / kHeadTileRows * kHeadTileRows;
  if (n < kHeadTileRows) n = kHeadTileRows;
  if (n > kMaxGridRows * kHeadTileRows) n = kMaxGridRows * kHeadTileRows;
  return n < rows ? n : rows;
}

// Rows of both sides' float32 logits that fit `bytes` (linearKL's chunks), within the grid's y.
inline int64_t headLogitsChunkRows(int64_t rows, int64_t vocab, int64_t bytes) {
  int64_t n = bytes / (2 * vocab * 4);
  if (n < 1) n = 1;
  if (n > kMaxGridRows * kHeadTileRows) n = kMaxGridRows * kHeadTileRows;
  return n < rows ? n : rows;
}

// A head whose hidden rows, weight and bias are in device memory.
struct HeadDevice {
  const void* hidden;  // [rows, dim]
  DType hiddenType;
  int64_t rows, dim;
  const void* weight;  // [vocab, dim], or [dim, vocab] when transposed
  DType weightType;
  int64_t vocab;
  bool transposed;
  const float* bias;   // [vocab] or nullptr
  float softcap;       // 0: none
  float invT;
};

// The launchers take at most kMaxGridRows * kHeadTileRows rows (cudaErrorInvalidValue otherwise).
// Per-(row, tile) softmax stats of the head's logits, work[tile * rows + row] = (m, s, w, bad), and
// targetLogit[row] = the target's logit (written by the block that holds it).
cudaError_t launchHeadStats(const HeadDevice& h, const int32_t* targets, float4* work, float* targetLogit,
                            cudaStream_t stream);

// Merges each row's tiles and writes log-prob, logsumexp, entropy (nullable) and flags[row] = 1 for
// rows holding NaN / +inf, no finite logit, or a max that leaves float32 once divided by T.
cudaError_t launchHeadFinish(int64_t rows, int64_t vocab, float invT, const float4* work, const float* targetLogit,
                             float* logprobs, float* logsumexp, float* entropy, uint8_t* flags, cudaStream_t stream);

// The head's logits (bias and softcap applied, not divided by T) into logits[rows, vocab].
cudaError_t launchHeadLogits(const HeadDevice& h, float* logits, cudaStream_t stream);

}  // namespace cuda
}  // namespace infogain
