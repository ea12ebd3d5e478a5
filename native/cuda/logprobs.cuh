// Device-resident tokenLogprobs, for the host wrapper in logprobs.cu and the GPU harness.
#pragma once
#include <cuda_runtime.h>

#include "../core/logprobs.h"

namespace infogain {
namespace cuda {

struct TokenLogprobsDevice {
  const int32_t* targets;  // [rows]
  float* logprobs;         // [rows]
  float* logsumexp;        // [rows]
  float* entropy;          // [rows] or nullptr
  uint8_t* flags;          // [rows]: 1 where the row holds NaN / +inf or no finite entry
  float4* work;            // [rows * splits] partial stats
};

// Blocks per row: more than one only when rows are too few to fill the device.
int tokenLogprobsSplits(int64_t rows, int64_t vocab, int multiprocessors);

// logits.data is device memory. Launches two kernels on `stream`; no synchronization.
cudaError_t launchTokenLogprobs(const LogitsView& logits, const TokenLogprobsOptions& opt, int splits,
                                const TokenLogprobsDevice& io, cudaStream_t stream);

}  // namespace cuda
}  // namespace infogain
