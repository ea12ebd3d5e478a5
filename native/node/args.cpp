#include "args.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "call_inputs.h"
#include "errors.h"

namespace infogain {

TypedView typedArg(Napi::Env env, Napi::Value v, const char* name) {
  if (!v.IsTypedArray()) throwType(env, name, std::string(name) + " must be a typed array");
  TypedView view;
  napi_value buffer;
  size_t offset;
  napi_status s = napi_get_typedarray_info(env, v, &view.type, &view.length, &view.data, &buffer, &offset);
  if (s != napi_ok) throwType(env, name, std::string(name) + ": cannot read the typed array");
  size_t elementSize = 1;
  switch (view.type) {
    case napi_int16_array: case napi_uint16_array: elementSize = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elementSize = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elementSize = 8; break;
    default: break;
  }
  view.byteLength = view.length * elementSize;
  bool isArrayBuffer = true;  // false: a SharedArrayBuffer (Node-API 9 has no direct test for it)
  if (napi_is_arraybuffer(env, buffer, &isArrayBuffer) != napi_ok)
    throwType(env, name, std::string(name) + ": cannot read the typed array's buffer");
  view.shared = !isArrayBuffer;
  if (CallInputs* call = CallInputs::current()) view.data = call->place(env, v, view, name);
  return view;
}

static const void* typedOf(Napi::Env env, Napi::Value v, const char* name, napi_typedarray_type want,
                           const char* kind, int64_t length, size_t* outLength) {
  TypedView view = typedArg(env, v, name);
  if (view.type != want) throwType(env, name, std::string(name) + " must be a " + kind);
  if (length >= 0 && view.length != size_t(length))
    throwRange(env, codes::kShape, name, -1,
               std::string(name) + " has " + std::to_string(view.length) + " elements, expected " +
                   std::to_string(length));
  if (outLength) *outLength = view.length;
  return view.data;
}

const float* float32Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length, size_t* outLength) {
  return static_cast<const float*>(typedOf(env, v, name, napi_float32_array, "Float32Array", length, outLength));
}

const int32_t* int32Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length, size_t* outLength) {
  return static_cast<const int32_t*>(typedOf(env, v, name, napi_int32_array, "Int32Array", length, outLength));
}

const double* float64Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length, size_t* outLength) {
  return static_cast<const double*>(typedOf(env, v, name, napi_float64_array, "Float64Array", length, outLength));
}

const uint32_t* uint32Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length, size_t* outLength) {
  return static_cast<const uint32_t*>(typedOf(env, v, name, napi_uint32_array, "Uint32Array", length, outLength));
}

const int32_t* offsetsArg(Napi::Env env, Napi::Value v, const char* name, int64_t absentCount, int64_t* count) {
  if (v.IsUndefined() || v.IsNull()) {
    *count = absentCount;
    return nullptr;
  }
  size_t n = 0;
  const int32_t* offsets = int32Arg(env, v, name, -1, &n);
  if (n < 1) throwRange(env, codes::kShape, name, -1, std::string(name) + " must hold at least one offset (0)");
  *count = int64_t(n) - 1;
  return offsets;
}

Napi::Object inputArg(Napi::Env env, Napi::Value v, const char* kernel) {
  if (!v.IsObject()) throwType(env, "input", std::string(kernel) + " takes an input object");
  return v.As<Napi::Object>();
}

Napi::Object optionsArg(Napi::Env env, Napi::Value v) {
  return v.IsObject() ? v.As<Napi::Object>() : Napi::Object::New(env);
}

int32_t enumProp(Napi::Env env, Napi::Object o, const char* key, int32_t count, int32_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= 0 && d < count) || d != std::floor(d))
    throwRange(env, codes::kRange, key, -1, std::string(key) + " is not a valid code");
  return int32_t(d);
}

int64_t integerProp(Napi::Env env, Napi::Object o, const char* key, int64_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (d != std::floor(d) || std::fabs(d) > 9007199254740991.0)
    throwRange(env, codes::kRange, key, -1, std::string(key) + " must be an integer");
  return int64_t(d);
}

Spans spansArg(Napi::Env env, Napi::Value v, const char* name) {
  size_t n = 0;
  Spans spans;
  spans.data = int32Arg(env, v, name, -1, &n);
  if (n % 2) throwRange(env, codes::kShape, name, -1, std::string(name) + " must hold [start, end) pairs (an even length)");
  spans.count = int64_t(n / 2);
  return spans;
}

int64_t int64Prop(Napi::Env env, Napi::Object o, const char* key, const char* name) {
  Napi::Value v = o.Get(key);
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0)
    throwRange(env, codes::kRange, name, -1, std::string(name) + "." + key + " must be a non-negative integer");
  return int64_t(d);
}

double numberProp(Napi::Object o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

bool boolProp(Napi::Object o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

LogitsView logitsArg(Napi::Env env, Napi::Value v, const char* name) {
  if (!v.IsObject()) throwType(env, name, std::string(name) + " must be a logits object");
  Napi::Object o = v.As<Napi::Object>();
  LogitsView view;
  view.rows = int64Prop(env, o, "rows", name);
  view.vocab = int64Prop(env, o, "vocab", name);
  int64_t dtype = int64Prop(env, o, "dtype", name);
  if (dtype > 2) throwRange(env, codes::kRange, name, -1, std::string(name) + ".dtype is not a dtype code");
  view.dtype = DType(dtype);
  TypedView data = typedArg(env, o.Get("data"), name);
  bool kindOk = view.dtype == DType::Float32 ? data.type == napi_float32_array : data.type == napi_uint16_array;
  if (!kindOk)
    throwType(env, name, std::string(name) + ".data must be a " +
                             (view.dtype == DType::Float32 ? "Float32Array" : "Uint16Array") + " for " +
                             dtypeName(view.dtype));
  if (view.vocab > 0 && view.rows > INT64_MAX / view.vocab)
    throwRange(env, codes::kRange, name, -1, std::string(name) + ": rows * vocab overflows");
  if (data.length != size_t(view.rows * view.vocab))
    throwRange(env, codes::kShape, name, -1,
               std::string(name) + ".data has " + std::to_string(data.length) + " elements, expected rows * vocab = " +
                   std::to_string(view.rows * view.vocab));
  view.data = data.data;
  return view;
}

Napi::Float32Array poisonedFloat32(Napi::Env env, int64_t length) {
  Napi::Float32Array a = Napi::Float32Array::New(env, size_t(length));
  float* p = a.Data();
  for (int64_t i = 0; i < length; i++) p[i] = NAN;
  return a;
}

Napi::Uint8Array poisonedUint8(Napi::Env env, int64_t length) {
  Napi::Uint8Array a = Napi::Uint8Array::New(env, size_t(length));
  std::fill(a.Data(), a.Data() + length, uint8_t(0xff));
  return a;
}

Napi::Float64Array poisonedFloat64(Napi::Env env, int64_t length) {
  Napi::Float64Array a = Napi::Float64Array::New(env, size_t(length));
  std::fill(a.Data(), a.Data() + length, double(NAN));
  return a;
}

Napi::Int32Array poisonedInt32(Napi::Env env, int64_t length) {
  Napi::Int32Array a = Napi::Int32Array::New(env, size_t(length));
  std::fill(a.Data(), a.Data() + length, INT32_MIN);
  return a;
}

}  // namespace infogain
