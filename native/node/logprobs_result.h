// The result object the log-prob kernels share (tokenLogprobs from logits, linearLogprobs from
// hidden rows): { logprobs, logsumexp, entropy? }, NaN-poisoned, and the kernel's view of it.
#pragma once
#include <napi.h>

#include <cstdint>

#include "../core/logprobs.h"

namespace infogain {

Napi::Object logprobsResult(Napi::Env env, int64_t rows, bool entropy, TokenLogprobsOutput* out);

}  // namespace infogain
