// The sections of the GPU harness, run in this order by gpu_bench.cu.
#pragma once
#include <cuda_runtime.h>

namespace harness {

struct Bandwidth {
  double copyGBs;      // device-to-device, (read + write) bytes / s
  double pinnedGBs;    // host-to-device from pinned memory
  double pageableGBs;  // host-to-device from pageable memory
};

// checks.cu: every CUDA entry point against float64 references (and the CPU against the same), on
// random inputs of every dtype; error statuses, zero rows, injected faults, the caller's context.
// Without a device only the CPU side runs, which checks the references and tolerances themselves.
void checkTokenLogprobs(bool device);
void checkKL(bool device);
void checkShapley(bool device);
void checkErrors();    // device only
void checkFaults();    // device only; arms Device faults
void checkContext();   // device only
// linear_head.cu: linearLogprobs / linearKL against float64 (the CPU too), statuses; then timed
void checkLinearHead(bool device);
void timeLinearHead(cudaStream_t s, bool quick);

// timings.cu: device-resident (CUDA events) and host-resident timings next to the bandwidth of the
// same run, then the targets with verdicts.
Bandwidth measureBandwidth(cudaStream_t s);
void runTimings(cudaStream_t s, const Bandwidth& bw, bool quick);

}  // namespace harness
