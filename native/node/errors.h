// Turns a core Status into the typed JS error the API promises: TypeError / RangeError / Error
// with `code`, and `argument` and `index` where known.
#pragma once
#include <napi.h>

#include "../core/status.h"

namespace infogain {

Napi::Error makeError(Napi::Env env, const Status& st);
[[noreturn]] void throwStatus(Napi::Env env, const Status& st);

[[noreturn]] inline void throwType(Napi::Env env, const char* argument, const std::string& message) {
  throwStatus(env, typeError(codes::kType, argument, message));
}
[[noreturn]] inline void throwRange(Napi::Env env, const char* code, const char* argument, int64_t index,
                                    const std::string& message) {
  throwStatus(env, rangeError(code, argument, index, message));
}

}  // namespace infogain
