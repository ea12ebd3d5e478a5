// Status: how a core kernel reports bad input or failure without exceptions or Node.
// The binding maps `kind` to TypeError / RangeError / Error and copies `code`, `argument` and `index`.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

namespace infogain {

enum class ErrorKind { None, Type, Range, Runtime };

struct Status {
  ErrorKind kind = ErrorKind::None;
  std::string code;      // e.g. "ERR_OUT_OF_RANGE"
  std::string argument;  // the argument at fault, e.g. "targets"
  int64_t index = -1;    // first bad index (row, element, span), -1 when none applies
  std::string message;

  bool ok() const { return kind == ErrorKind::None; }
  static Status Ok() { return {}; }
};

inline Status rangeError(std::string code, std::string argument, int64_t index, std::string message) {
  return {ErrorKind::Range, std::move(code), std::move(argument), index, std::move(message)};
}
inline Status typeError(std::string code, std::string argument, std::string message) {
  return {ErrorKind::Type, std::move(code), std::move(argument), -1, std::move(message)};
}
inline Status runtimeError(std::string code, std::string message) {
  return {ErrorKind::Runtime, std::move(code), "", -1, std::move(message)};
}

// Error codes shared by every kernel (also listed in README's bad-input table).
namespace codes {
constexpr const char* kType = "ERR_INVALID_ARG_TYPE";       // wrong JS type or typed-array kind
constexpr const char* kRange = "ERR_OUT_OF_RANGE";          // a number or index outside its domain
constexpr const char* kShape = "ERR_INFOGAIN_SHAPE";        // lengths or shapes that disagree
constexpr const char* kNonFinite = "ERR_INFOGAIN_NONFINITE";  // NaN / +inf data, or a row with no finite entry
constexpr const char* kCuda = "ERR_INFOGAIN_CUDA";          // a CUDA call failed
constexpr const char* kCudaUnavailable = "ERR_INFOGAIN_CUDA_UNAVAILABLE";
constexpr const char* kOutOfMemory = "ERR_INFOGAIN_OUT_OF_MEMORY";
constexpr const char* kDisposed = "ERR_INFOGAIN_DISPOSED";  // a ShapleyEstimator used after dispose()
constexpr const char* kInternal = "ERR_INFOGAIN_INTERNAL";  // an exception a kernel did not expect (a bug)
}  // namespace codes

}  // namespace infogain
