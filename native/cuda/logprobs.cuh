// Device-resident tokenLogprobs, for the host wrapper in logprobs.cu and the GPU harness.
#pragma once
#include <cuda_runtime.h>

#include "../core/logprobs.h"
#include "plan.h"

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

// logits.data is device memory; `splits` from tokenLogprobsSplits (plan.h), work sized to match. Launches two kernels on `stream`; no synchronization.
cudaError_t launchTokenLogprobs(const LogitsView& logits, const TokenLogprobsOptions& opt, int splits,
                                const TokenLogprobsDevice& io, cudaStream_t stream);

}  // namespace cuda
}  // namespace infogain
