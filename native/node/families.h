// Each op family's binding file defines one register function; addon.cpp calls them all.
#pragma once
#include <napi.h>

namespace infogain {

void registerBackends(Napi::Env env, Napi::Object exports);
void registerBandwidth(Napi::Env env, Napi::Object exports);
void registerLogprobs(Napi::Env env, Napi::Object exports);
void registerAdvantages(Napi::Env env, Napi::Object exports);
void registerDivergence(Napi::Env env, Napi::Object exports);
void registerGains(Napi::Env env, Napi::Object exports);
void registerShapley(Napi::Env env, Napi::Object exports);
void registerBeliefEntropy(Napi::Env env, Napi::Object exports);
void registerConformal(Napi::Env env, Napi::Object exports);
void registerPhaseEntropy(Napi::Env env, Napi::Object exports);
void registerLinearHead(Napi::Env env, Napi::Object exports);

}  // namespace infogain
