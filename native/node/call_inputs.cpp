#include "call_inputs.h"

#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

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

// Memory for a copy of `bytes`. Below 32 MiB malloc reuses freed heap memory (glibc raises its mmap
// threshold up to there). A larger copy lands on fresh pages, and faulting them in 4 KiB at a time
// cost more than the copy (148 MiB, alloc + copy + free: 140 ms with malloc, 26 ms with 2 MiB
// pages, bench/RESULTS.md); Linux gives 2 MiB pages on request where transparent huge pages are on.
static uint8_t* allocateCopy(size_t bytes) {
  constexpr size_t kHugePage = size_t(2) << 20, kLarge = size_t(32) << 20;
  if (bytes < kLarge) return static_cast<uint8_t*>(std::malloc(bytes));
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (p) madvise(p, rounded, MADV_HUGEPAGE);  // a hint: where transparent huge pages are off it does nothing
#endif
  return static_cast<uint8_t*>(p);
}

void CallInputs::FreeBytes::operator()(void* p) const { std::free(p); }

void* CallInputs::place(Napi::Env env, Napi::Value typedArray, const TypedView& view, const char* name) {
  if (view.byteLength == 0) return view.data;
  const bool copy = view.shared ? !holdsFloatData(view.type) : async_;
  if (!copy) {
    if (view.shared && async_) memory_->sharedViews.push_back(Napi::Persistent(typedArray.As<Napi::Object>()));
    if (!view.shared) inPlace_.push_back({typedArray, view.data, view.length, name});
    return view.data;
  }
  std::unique_ptr<uint8_t, FreeBytes> bytes(allocateCopy(view.byteLength));
  if (!bytes)
    throwStatus(env, runtimeError(codes::kOutOfMemory, "out of memory copying " + std::string(name) + " (" +
                                                           std::to_string(view.byteLength) + " bytes) for the call"));
  std::memcpy(bytes.get(), view.data, view.byteLength);
  memory_->copies.push_back(std::move(bytes));
  return memory_->copies.back().get();
}

void CallInputs::checkUnchanged(Napi::Env env) const {
  for (const InPlace& v : inPlace_) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value buffer;
    size_t offset;
    if (napi_get_typedarray_info(env, v.view, &type, &length, &data, &buffer, &offset) != napi_ok || data != v.data ||
        length != v.length)
      throwType(env, v.name.c_str(), v.name + " was detached or resized while the call's arguments were read");
  }
}

}  // namespace infogain
