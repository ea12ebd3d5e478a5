// The CUDA backend as the rest of the package sees it: plain C++, no CUDA headers.
// Built from the .cu files when a toolkit is found, else from stub.cpp. With no GPU or no driver
// at run time available() is false and callers use the CPU.
#pragma once
#include <cstdint>
#include <string>

#include "../core/dtype.h"
#include "../core/kl_divergence.h"
#include "../core/linear_head.h"
#include "../core/logprobs.h"
#include "../core/shapley/shapley.h"
#include "../core/status.h"

namespace infogain {
namespace cuda {

struct DeviceInfo {
  int device = -1;
  std::string name;
  int64_t memoryBytes = 0;
  int multiprocessors = 0;
  int computeCapability = 0;  // major * 10 + minor
};

bool compiled();   // was this binary built with CUDA?
bool available();  // is a usable device present? (first call initializes; never throws)
// Why a device that was available went out of service (a sticky CUDA error), or "".
std::string lostReason();
DeviceInfo deviceInfo();

// Inputs below this many bytes stay on the CPU under backend 'auto': the copy to the device
// costs more than the CPU pass. (A first estimate from PCIe vs CPU bandwidth; see bench/RESULTS.md.)
constexpr int64_t kAutoMinBytes = int64_t(64) << 20;

// Same contract as infogain::tokenLogprobs; logits in host memory (pageable or pinned).
Status tokenLogprobs(const LogitsView& logits, const int32_t* targets, const TokenLogprobsOptions& opt,
                     const TokenLogprobsOutput& out);

// Same contract as infogain::klDivergence; p and q in host memory (pageable or pinned).
Status klDivergence(const LogitsView& p, const LogitsView& q, const KLOptions& opt, float* out);
// Same contracts as infogain::linearLogprobs / linearKL; hidden states and the weight in host memory.
Status linearLogprobs(const HiddenView& hidden, const HeadWeight& weight, const int32_t* targets,
                      const LinearHeadOptions& opt, const TokenLogprobsOutput& out);
Status linearKL(const HiddenView& p, const HiddenView& q, const HeadWeight& weight, const LinearKLOptions& opt,
                float* out);
// Same contract as infogain::shapleyExact; values in host memory (pageable or pinned).
Status shapleyExact(const double* values, int64_t length, ShapleyIndex index, double* phi);

}  // namespace cuda
}  // namespace infogain
