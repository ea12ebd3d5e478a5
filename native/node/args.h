// Unpacking of arguments the TypeScript layer has already validated. The checks here are the
// cheap ones that keep a direct caller of the binding from reading out of bounds.
#pragma once
#include <napi.h>

#include <cstdint>

#include "../core/dtype.h"
#include "../core/spans.h"

namespace infogain {

// A typed array's memory and element count; works for ArrayBuffer- and SharedArrayBuffer-backed views.
struct TypedView {
  void* data = nullptr;
  size_t length = 0;      // elements
  size_t byteLength = 0;
  napi_typedarray_type type = napi_uint8_array;
  bool shared = false;    // over a SharedArrayBuffer
};

// Inside an open CallInputs (call_inputs.h), `data` is where the kernel must read: the caller's
// memory or a copy the call owns.
TypedView typedArg(Napi::Env env, Napi::Value v, const char* name);

// Float32Array / Int32Array of exactly `length` elements (length < 0: any).
const float* float32Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length, size_t* outLength = nullptr);
const int32_t* int32Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length, size_t* outLength = nullptr);
const double* float64Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length, size_t* outLength = nullptr);
const uint32_t* uint32Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length, size_t* outLength = nullptr);

// { data, rows, vocab, dtype } with dtype the DType code; data length must be rows * vocab.
LogitsView logitsArg(Napi::Env env, Napi::Value v, const char* name);

// Group offsets (count + 1 values, at least the 0): *count = length - 1. Absent (undefined / null):
// nullptr and *count = absentCount. The core checks the values.
const int32_t* offsetsArg(Napi::Env env, Napi::Value v, const char* name, int64_t absentCount, int64_t* count);

// The input object of a kernel that takes one (`kernel` names it in the TypeError).
Napi::Object inputArg(Napi::Env env, Napi::Value v, const char* kernel);

// An options object, or an empty one when v is anything else (TS has rejected that already).
Napi::Object optionsArg(Napi::Env env, Napi::Value v);

// An enum code: an integer in [0, count), `fallback` when absent; a RangeError otherwise, so a NaN
// never reaches an enum cast. (The core checks the enum again: it has callers other than this.)
int32_t enumProp(Napi::Env env, Napi::Object o, const char* key, int32_t count, int32_t fallback);

// An integer option (range checked by native/core), `fallback` when absent.
int64_t integerProp(Napi::Env env, Napi::Object o, const char* key, int64_t fallback);

// Flattened [start, end) pairs: an Int32Array of even length. The values are checked by the core
// (checkSpans), against the axis they cut.
Spans spansArg(Napi::Env env, Napi::Value v, const char* name);

int64_t int64Prop(Napi::Env env, Napi::Object o, const char* key, const char* name);
double numberProp(Napi::Object o, const char* key, double fallback);
bool boolProp(Napi::Object o, const char* key, bool fallback);

// A fresh JS-owned Float32Array filled with NaN, so an element a kernel forgot to write shows.
Napi::Float32Array poisonedFloat32(Napi::Env env, int64_t length);
// The same for masks: filled with 0xff, which no kernel writes (masks hold 0 or 1).
Napi::Uint8Array poisonedUint8(Napi::Env env, int64_t length);
// Float64Array filled with NaN; Int32Array filled with INT32_MIN, which no count or index takes.
Napi::Float64Array poisonedFloat64(Napi::Env env, int64_t length);
Napi::Int32Array poisonedInt32(Napi::Env env, int64_t length);

}  // namespace infogain
