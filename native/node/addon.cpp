// The addon's entry point. Node-API modules are context-aware: Init runs once per environment
// (main thread and each worker); state shared by all of them lives in native/core and native/cuda.
#include <napi.h>

#include "families.h"

static Napi::Object InitInfogain(Napi::Env env, Napi::Object exports) {
  infogain::registerBackends(env, exports);
  infogain::registerBandwidth(env, exports);
  infogain::registerLogprobs(env, exports);
  infogain::registerAdvantages(env, exports);
  infogain::registerDivergence(env, exports);
  infogain::registerGains(env, exports);
  infogain::registerShapley(env, exports);
  infogain::registerBeliefEntropy(env, exports);
  infogain::registerConformal(env, exports);
  infogain::registerPhaseEntropy(env, exports);
  infogain::registerLinearHead(env, exports);
  return exports;
}

NODE_API_MODULE(infogain, InitInfogain)
