#include "advantage_args.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../core/spans.h"
#include "args.h"
#include "errors.h"

namespace infogain {

static void throwShape(Napi::Env env, const char* argument, const std::string& message) {
  throwRange(env, codes::kShape, argument, -1, message);
}

Grouping groupingArg(Napi::Env env, Napi::Value v, int64_t n) {
  if (!v.IsObject()) throwType(env, "groups", "the grouping must be an object { groups } or { groupSize }");
  Napi::Object o = v.As<Napi::Object>();
  Grouping g;
  if (!o.Get("groups").IsUndefined()) {
    g.ids = int32Arg(env, o.Get("groups"), "groups", n);
  } else {
    double size = numberProp(o, "groupSize", NAN);
    if (!(size >= 1) || size != std::floor(size) || size > 2147483647.0)
      throwRange(env, codes::kRange, "groupSize", -1, "groupSize must be an integer >= 1 (or pass groups)");
    g.groupSize = int64_t(size);
  }
  return g;
}

const uint8_t* uint8Arg(Napi::Env env, Napi::Value v, const char* name, int64_t length) {
  TypedView view = typedArg(env, v, name);
  if (view.type != napi_uint8_array) throwType(env, name, std::string(name) + " must be a Uint8Array");
  if (length >= 0 && view.length != size_t(length))
    throwShape(env, name, std::string(name) + " has " + std::to_string(view.length) + " elements, expected " +
                              std::to_string(length));
  return static_cast<const uint8_t*>(view.data);
}

TokenLayout tokenLayoutArg(Napi::Env env, Napi::Value v, int64_t rows, int64_t tokens) {
  if (!v.IsObject()) throwType(env, "layout", "layout must be an object { columns, mask? } or { offsets, mask? }");
  Napi::Object o = v.As<Napi::Object>();
  TokenLayout layout;
  if (!o.Get("offsets").IsUndefined()) {
    size_t count = 0;
    layout.offsets = int32Arg(env, o.Get("offsets"), "layout.offsets", rows >= 0 ? rows + 1 : -1, &count);
    if (count == 0) throwShape(env, "layout.offsets", "layout.offsets needs rows + 1 >= 1 entries");
    layout.rows = int64_t(count) - 1;
    const int64_t last = layout.offsets[layout.rows];
    if (last < 0 || (tokens >= 0 && last != tokens))
      throwShape(env, "layout.offsets", "layout.offsets ends at " + std::to_string(last) + ", expected " +
                                            std::to_string(tokens) + " tokens");
    // their order too (O(rows)), before any output is sized by the last offset
    const Status order = checkOffsets(layout.offsets, layout.rows, last, "layout.offsets");
    if (!order.ok()) throwStatus(env, order);
  } else {
    double columns = numberProp(o, "columns", NAN);
    if (!(columns >= 1) || columns != std::floor(columns) || columns > 2147483647.0)
      throwRange(env, codes::kRange, "layout.columns", -1, "layout.columns must be an integer >= 1 (or pass offsets)");
    layout.columns = int64_t(columns);
    if (rows < 0) {
      if (tokens < 0 || tokens % layout.columns != 0)
        throwShape(env, "layout.columns", std::to_string(tokens) + " tokens are not whole rows of " +
                                              std::to_string(layout.columns) + " columns");
      rows = tokens / layout.columns;
    }
    layout.rows = rows;
    if (rows > (int64_t(INT32_MAX)) / layout.columns)
      throwRange(env, codes::kRange, "layout.columns", -1, "rows * columns exceeds 2^31 - 1 tokens");
    if (tokens >= 0 && rows * layout.columns != tokens)
      throwShape(env, "layout", "the layout holds " + std::to_string(rows * layout.columns) + " tokens, expected " +
                                    std::to_string(tokens));
  }
  if (!o.Get("mask").IsUndefined()) layout.mask = uint8Arg(env, o.Get("mask"), "layout.mask", layout.tokens());
  return layout;
}

const int32_t* optionalInt32(Napi::Env env, Napi::Object o, const char* key, int64_t length, size_t* outLength) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return nullptr;
  return int32Arg(env, v, key, length, outLength);
}

const float* optionalFloat32(Napi::Env env, Napi::Object o, const char* key, int64_t length) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return nullptr;
  return float32Arg(env, v, key, length);
}

Napi::Value propOf(Napi::Env env, Napi::Value v, const char* key) {
  return v.IsObject() ? v.As<Napi::Object>().Get(key) : env.Undefined();
}

float* outputArg(Napi::Env env, Napi::Object result, const char* name, int64_t length) {
  Napi::Float32Array a = poisonedFloat32(env, length);
  result.Set(name, a);
  return a.Data();
}

// Outputs their kernel writes in full skip the NaN pass, which cost reinforcePP and broadcastToTokens their
// lead over a plain-JS loop; INFOGAIN_POISON_OUTPUTS=1 (the test suites set it) poisons them as well, so an
// element a kernel leaves unwritten still shows as NaN in the tests instead of a plausible 0.
static bool poisonEveryOutput() {
  const char* v = std::getenv("INFOGAIN_POISON_OUTPUTS");
  return v != nullptr && v[0] == '1';
}

float* filledOutputArg(Napi::Env env, Napi::Object result, const char* name, int64_t length, bool* zeroed) {
  const bool poison = poisonEveryOutput();
  if (zeroed) *zeroed = !poison;
  if (poison) return outputArg(env, result, name, length);
  Napi::Float32Array a = Napi::Float32Array::New(env, size_t(length));
  result.Set(name, a);
  return a.Data();
}

Napi::Float32Array float32Copy(Napi::Env env, const std::vector<float>& v) {
  Napi::Float32Array a = Napi::Float32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(float));
  return a;
}

Napi::Int32Array int32Copy(Napi::Env env, const std::vector<int32_t>& v) {
  Napi::Int32Array a = Napi::Int32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(int32_t));
  return a;
}

Napi::Object statsObject(Napi::Env env, const GroupStats& stats, bool withStd) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("mean", float32Copy(env, stats.mean));
  if (withStd) o.Set("std", float32Copy(env, stats.std));
  o.Set("count", int32Copy(env, stats.count));
  return o;
}

Napi::Object groupStatsObject(Napi::Env env, const GroupStats& stats, bool withStd) {
  Napi::Object o = statsObject(env, stats, withStd);
  o.Set("ids", int32Copy(env, stats.ids));
  return o;
}

}  // namespace infogain

namespace infogain {

std::function<void(Napi::Env, Napi::Object)> addGroups(std::shared_ptr<GroupStats> stats, bool withStd) {
  return [stats, withStd](Napi::Env env, Napi::Object result) {
    result.Set("groups", groupStatsObject(env, *stats, withStd));
  };
}

}  // namespace infogain
