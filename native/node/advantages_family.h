// The advantages family's binding files; registerAdvantages (families.h) calls each.
#pragma once
#include <napi.h>

namespace infogain {

void registerGroupAdvantages(Napi::Env env, Napi::Object exports);  // advantages.cpp
void registerTokenAdvantages(Napi::Env env, Napi::Object exports);  // token_advantages.cpp
void registerInfopo(Napi::Env env, Napi::Object exports);           // infopo.cpp
void registerIgpo(Napi::Env env, Napi::Object exports);             // igpo.cpp
void registerRewardShaping(Napi::Env env, Napi::Object exports);    // reward_shaping.cpp

}  // namespace infogain
