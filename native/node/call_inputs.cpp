#include "call_inputs.h"

#include <cstring>
#include <new>
#include <string>

#include "args.h"
#include "errors.h"

namespace infogain {

static thread_local CallInputs* t_current = nullptr;

CallInputs::CallInputs(bool async) : async_(async), memory_(std::make_shared<Memory>()), previous_(t_current) {
  t_current = this;
}

CallInputs::~CallInputs() { t_current = previous_; }

CallInputs* CallInputs::current() { return t_current; }

// Float data: read in place even when another thread may write it (wrong numbers, never a bad index).
static bool holdsFloatData(napi_typedarray_type type) {
  return type == napi_float32_array || type == napi_float64_array || type == napi_uint16_array;
}

void* CallInputs::place(Napi::Env env, Napi::Value typedArray, const TypedView& view, const char* name) {
  if (view.byteLength == 0) return view.data;
  const bool copy = view.shared ? !holdsFloatData(view.type) : async_;
  if (!copy) {
    if (view.shared && async_) memory_->sharedViews.push_back(Napi::Persistent(typedArray.As<Napi::Object>()));
    return view.data;
  }
  std::unique_ptr<uint8_t[]> bytes(new (std::nothrow) uint8_t[view.byteLength]);
  if (!bytes)
    throwStatus(env, runtimeError(codes::kOutOfMemory, "out of memory copying " + std::string(name) + " (" +
                                                           std::to_string(view.byteLength) + " bytes) for the call"));
  std::memcpy(bytes.get(), view.data, view.byteLength);
  memory_->copies.push_back(std::move(bytes));
  return memory_->copies.back().get();
}

}  // namespace infogain
