// The caller's memory one kernel call reads, made safe to read for the whole call.
//
// - An async call returns before it reads its inputs, and the caller may then detach a non-shared
//   ArrayBuffer (structuredClone or postMessage with transfer, ArrayBuffer.prototype.transfer,
//   resize of a resizable buffer), which frees or unmaps its memory. Node-API can neither hold that
//   memory nor refuse the detach, so an async call copies every non-shared input when it is made.
// - A SharedArrayBuffer is never detached, but another thread may write it while a call runs.
//   Native code checks integer inputs (ids, offsets, spans, targets, masks) and then uses them as
//   indices or sizes, so those are copied when the call is made, sync or async, and only the copy
//   is checked and used. Float data (Float32Array, Float64Array, the Uint16Array bits of 16-bit
//   logits) is read in place: a concurrent write gives wrong numbers, never an access out of bounds.
// - A sync call reads its non-shared inputs in place: no other thread can reach them, but JS can
//   still run while the arguments are unpacked (a getter on an input object, for a direct caller of
//   the binding) and detach one already unpacked; checkUnchanged() rejects that before the kernel runs.
//
// A CallInputs opened on an entry point's stack (exportKernel does it) applies these rules to every
// typed array typedArg() unpacks on this thread while it is open. What it copied, and the shared
// views it reads in place, are its memory(), which an async call holds until it settles.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace infogain {

struct TypedView;

class CallInputs {
 public:
  struct FreeBytes {
    void operator()(void* p) const;
  };
  struct Memory {
    std::vector<std::unique_ptr<uint8_t, FreeBytes>> copies;
    std::vector<Napi::ObjectReference> sharedViews;  // keep their SharedArrayBuffers alive
  };

  explicit CallInputs(bool async);
  ~CallInputs();
  CallInputs(const CallInputs&) = delete;
  CallInputs& operator=(const CallInputs&) = delete;

  // The CallInputs open on this thread, or null.
  static CallInputs* current();

  // Where the kernel reads `view` (unpacked from `typedArray`) from: in place, or a copy in memory().
  void* place(Napi::Env env, Napi::Value typedArray, const TypedView& view, const char* name);

  std::shared_ptr<Memory> memory() const { return memory_; }

  // Throws a TypeError when a view read in place was detached or resized after it was unpacked.
  void checkUnchanged(Napi::Env env) const;

 private:
  struct InPlace {
    napi_value view;  // valid while the entry point's callback runs
    const void* data;
    size_t length;
    std::string name;
  };

  bool async_;
  std::vector<InPlace> inPlace_;
  std::shared_ptr<Memory> memory_;
  CallInputs* previous_;
};

}  // namespace infogain
