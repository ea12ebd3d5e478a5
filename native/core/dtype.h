// Element types of logits matrices and their scalar conversions to float32.
// 16-bit types travel as raw uint16_t bits; SIMD conversions live in simd/vec_*.h.
#pragma once
#include <cstdint>
#include <cstring>

namespace infogain {

enum class DType : int32_t { Float32 = 0, Float16 = 1, BFloat16 = 2 };

static inline int dtypeSize(DType t) { return t == DType::Float32 ? 4 : 2; }
static inline const char* dtypeName(DType t) {
  return t == DType::Float32 ? "float32" : t == DType::Float16 ? "float16" : "bfloat16";
}

static inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// bfloat16 is the top half of a float32: widening is exact.
static inline float bf16ToFloat(uint16_t h) { return bitsToFloat(uint32_t(h) << 16); }

// IEEE binary16 -> binary32, exact for every input including subnormals, inf and NaN.
static inline float f16ToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0x1f) return bitsToFloat(sign | 0x7f800000u | (man << 13));  // inf / NaN
  if (exp == 0) {
    if (man == 0) return bitsToFloat(sign);
    // subnormal: value = man * 2^-24
    float v = float(man) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  return bitsToFloat(sign | ((exp + 112) << 23) | (man << 13));
}

static inline float loadAsFloat(const void* data, DType t, int64_t i) {
  switch (t) {
    case DType::Float32: return static_cast<const float*>(data)[i];
    case DType::Float16: return f16ToFloat(static_cast<const uint16_t*>(data)[i]);
    default: return bf16ToFloat(static_cast<const uint16_t*>(data)[i]);
  }
}

// A row-major [rows, vocab] logits matrix, borrowed from the caller.
struct LogitsView {
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t vocab = 0;
  DType dtype = DType::Float32;

  const void* row(int64_t r) const {
    return static_cast<const char*>(data) + r * vocab * dtypeSize(dtype);
  }
  int64_t bytes() const { return rows * vocab * dtypeSize(dtype); }
};

}  // namespace infogain
