// Pieces of the GPU harness: checked CUDA calls, event timing, random device data, the report
// (results table, failures, targets) and phase markers.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#define CK(expr)                                                                                   \
  do {                                                                                             \
    cudaError_t e_ = (expr);                                                                       \
    if (e_ != cudaSuccess) {                                                                       \
      std::fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorName(e_), __FILE__, __LINE__, #expr); \
      std::exit(2);                                                                                \
    }                                                                                              \
  } while (0)

namespace harness {

// Median milliseconds of fn(i) over `reps` runs after `warmup`, timed with CUDA events on `stream`.
inline double medianMs(cudaStream_t stream, int warmup, int reps, const std::function<void(int)>& fn) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  for (int i = 0; i < warmup; i++) fn(i);
  std::vector<float> ms;
  for (int i = 0; i < reps; i++) {
    CK(cudaEventRecord(a, stream));
    fn(i);
    CK(cudaEventRecord(b, stream));
    CK(cudaEventSynchronize(b));
    float t;
    CK(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  CK(cudaEventDestroy(a));
  CK(cudaEventDestroy(b));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// Median wall-clock milliseconds of fn() over `reps` runs after one warm-up (host-resident calls).
inline double medianWallMs(int reps, const std::function<void()>& fn) {
  fn();
  std::vector<double> ms;
  for (int i = 0; i < reps; i++) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

namespace {
// Deterministic pseudo-random values in [-4, 4) (a hash of the index), written on the device:
// float32, or two bfloat16 per word.
__global__ void fillKernel(uint32_t* out, size_t words, uint32_t seed, int mode) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < words; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 0x9E3779B1u ^ seed;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    float u = (h >> 8) * (1.0f / 16777216.0f);  // [0, 1)
    float x = 8.0f * u - 4.0f;
    if (mode == 0) {
      out[i] = __float_as_uint(x);
    } else {
      uint32_t hi = __float_as_uint(x) >> 16, lo = __float_as_uint(-0.5f * x) >> 16;
      out[i] = (hi << 16) | lo;
    }
  }
}
}  // namespace

inline void fill(void* p, size_t bytes, uint32_t seed, bool bf16) {
  fillKernel<<<1024, 256>>>(static_cast<uint32_t*>(p), bytes / 4, seed, bf16 ? 1 : 0);
  CK(cudaGetLastError());
}

inline std::string fmt(const char* f, double v) {
  char buf[96];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

struct Row {
  std::string what, shape, time, rate, ratio, note;
};

// What the run found: the table printed at the end, failures, and the issue's targets.
struct Report {
  std::vector<Row> table;
  std::vector<std::string> targets;
  int failures = 0;     // CUDA results wrong, or a CUDA call failed
  int cpuFailures = 0;  // the CPU over tolerance: the reference or the tolerance is suspect
};

inline Report& report() {
  static Report r;
  return r;
}

inline void fail(const std::string& what) {
  std::printf("FAIL %s\n", what.c_str());
  report().failures++;
}

// Marks the start of a phase with the seconds since the run began (a hang shows where it stopped).
inline void phase(const char* name) {
  static const auto start = std::chrono::steady_clock::now();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("\n== %s (t = %.1f s)\n", name, s);
}

inline void printTable() {
  std::printf("\n| what | shape | time | rate | vs limit | note |\n| --- | --- | --- | --- | --- | --- |\n");
  for (const Row& r : report().table)
    std::printf("| %s | %s | %s | %s | %s | %s |\n", r.what.c_str(), r.shape.c_str(), r.time.c_str(), r.rate.c_str(),
                r.ratio.c_str(), r.note.c_str());
}

}  // namespace harness
