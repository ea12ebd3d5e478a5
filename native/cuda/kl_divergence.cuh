// Device-resident klDivergence, for the host wrapper in kl_divergence.cu and the GPU harness.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

#include "../core/kl_divergence.h"

namespace infogain {
namespace cuda {

// One launch over device rows. direction: Forward, Symmetric or JensenShannon (Reverse is Forward
// with p and q swapped). Scratch: work [rows * splits * klStateBytes()], jsRows [rows] and
// partial [rows * splits] (these two only for JS). Splits as tokenLogprobsSplits.
struct KLLaunch {
  const void* p;
  const void* q;
  DType pt, qt;
  int64_t rows, vocab;
  float invT;
  KLDirection direction;
  int splits;
  float* out;       // [rows]
  uint8_t* flags;   // [rows]: 1 p at fault, 2 q at fault
  void* work;
  float4* jsRows;
  float* partial;
  cudaStream_t stream;
};

size_t klStateBytes();

// Launches the kernels on l.stream; no synchronization.
cudaError_t launchKL(const KLLaunch& l);

}  // namespace cuda
}  // namespace infogain
