// The CUDA backend of a build without a CUDA toolkit: never available.
#include "cuda.h"

namespace infogain {
namespace cuda {

static Status unavailable() {
  return runtimeError(codes::kCudaUnavailable, "this build of infogain has no CUDA support");
}

bool compiled() { return false; }
bool available() { return false; }
std::string lostReason() { return {}; }
DeviceInfo deviceInfo() { return {}; }

Status tokenLogprobs(const LogitsView&, const int32_t*, const TokenLogprobsOptions&, const TokenLogprobsOutput&) {
  return unavailable();
}

Status klDivergence(const LogitsView&, const LogitsView&, const KLOptions&, float*) { return unavailable(); }
Status shapleyExact(const double*, int64_t, ShapleyIndex, double*) { return unavailable(); }
Status linearLogprobs(const HiddenView&, const HeadWeight&, const int32_t*, const LinearHeadOptions&,
                      const TokenLogprobsOutput&) {
  return unavailable();
}
Status linearKL(const HiddenView&, const HiddenView&, const HeadWeight&, const LinearKLOptions&, float*) {
  return unavailable();
}

}  // namespace cuda
}  // namespace infogain
