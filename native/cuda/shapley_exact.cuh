// Device-resident exact semivalues, for the host wrapper in shapley_exact.cu and a GPU harness.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "../core/shapley/shapley.h"
#include "plan.h"

namespace infogain {
namespace cuda {

// c(S) for player i: +in[|S|] * v(S) when i is in S, -out[|S|] * v(S) when not.
struct SemivalueCoefficients {
  double in[kMaxExactPlayers + 1];   // w(s - 1), 0 at s = 0
  double out[kMaxExactPlayers + 1];  // w(s), 0 at s = n
};

SemivalueCoefficients semivalueCoefficients(int n, ShapleyIndex index);

// Adds, for masks firstMask .. firstMask + count - 1 (values[k] = v(firstMask + k) - shift, device
// memory), each block's sum of c_i(S) (v(S) - shift) to partials[block * n + i]. `blocks` blocks of
// kShapleyThreads threads (blocks from shapleyBlocks, plan.h); partials must be zeroed before the
// first launch. No synchronization.
cudaError_t launchShapleyExact(const double* values, int64_t firstMask, int64_t count, int n,
                               const SemivalueCoefficients& c, double shift, int blocks, double* partials,
                               cudaStream_t stream);

}  // namespace cuda
}  // namespace infogain
