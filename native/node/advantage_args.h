// Unpacking shared by the advantages family's bindings: groupings, token layouts, masks, and the
// per-group statistics handed back (what every family unpacks is in args.h). Lengths are checked
// here (so native code never reads out of bounds); element values (ids, offsets, masks, NaN) are
// checked by native/core.
#pragma once
#include <napi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "../core/groups.h"
#include "../core/token_layout.h"

namespace infogain {

// { groups?: Int32Array of n ids, groupSize?: number }.
Grouping groupingArg(Napi::Env env, Napi::Value v, int64_t n);

// { columns?: number, offsets?: Int32Array, mask?: Uint8Array }. rows < 0: derived (padded: from
// `tokens` / columns; packed: offsets.length - 1). tokens < 0: derived from rows and the layout.
TokenLayout tokenLayoutArg(Napi::Env env, Napi::Value v, int64_t rows, int64_t tokens);

// A Uint8Array of exactly `length` elements, or null when v is undefined and optional.
const uint8_t* uint8Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length);

// An optional Int32Array / Float32Array property: null when absent, else exactly `length` elements (length < 0: any).
const int32_t* optionalInt32(Napi::Env env, Napi::Object o, const char* key, int64_t length, size_t* outLength = nullptr);
const float* optionalFloat32(Napi::Env env, Napi::Object o, const char* key, int64_t length);

// v[key] when v is an object, else undefined (for keep-alive lists of nested typed arrays).
Napi::Value propOf(Napi::Env env, Napi::Value v, const char* key);

// A NaN-poisoned Float32Array of `length`, set as result[name]; returns its data for the kernel.
float* outputArg(Napi::Env env, Napi::Object result, const char* name, int64_t length);
// An output its kernel fills: zero-filled, not NaN-poisoned (the poison is a pass over the output of
// its own: a fifth of a memory-bound call), unless INFOGAIN_POISON_OUTPUTS=1. Only for kernels that
// write every element before they return Ok, or every element but the zeros when *zeroed says the
// array arrives zeroed (false when poisoned: the test suites then see an unwritten element as NaN).
float* filledOutputArg(Napi::Env env, Napi::Object result, const char* name, int64_t length, bool* zeroed = nullptr);

// { mean, std?, count } of a GroupStats; groupStatsObject adds the group ids.
Napi::Object statsObject(Napi::Env env, const GroupStats& stats, bool withStd);
Napi::Object groupStatsObject(Napi::Env env, const GroupStats& stats, bool withStd);

// The Finish that hands the statistics a kernel filled in back as result.groups.
std::function<void(Napi::Env, Napi::Object)> addGroups(std::shared_ptr<GroupStats> stats, bool withStd);

Napi::Float32Array float32Copy(Napi::Env env, const std::vector<float>& v);
Napi::Int32Array int32Copy(Napi::Env env, const std::vector<int32_t>& v);

}  // namespace infogain
