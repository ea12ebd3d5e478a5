// Device-side online softmax statistics (same definitions as core/softmax_stats.h):
//   s = sum exp(x - m), w = sum exp(x - m) * (x - m), with x = logit / temperature.
// A block reduces a slice of one row with 16-byte streaming loads; slices merge exactly.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace infogain {
namespace cuda {

constexpr float kMinDelta = -1e30f;  // differences below are -infinity: exp() = 0, 0 * it = 0
constexpr int kBlockThreads = 256;

struct Stats {
  float m, s, w;
  int bad;  // saw NaN or +inf
};

__device__ __forceinline__ Stats emptyStats() { return {-3.402823466e38f, 0.0f, 0.0f, 0}; }

__device__ __forceinline__ Stats mergeStats(Stats a, Stats b) {
  Stats r;
  r.m = fmaxf(a.m, b.m);
  float da = fmaxf(a.m - r.m, kMinDelta), db = fmaxf(b.m - r.m, kMinDelta);
  float ea = __expf(da), eb = __expf(db);
  r.s = a.s * ea + b.s * eb;
  r.w = ea * (a.w + a.s * da) + eb * (b.w + b.s * db);
  r.bad = a.bad | b.bad;
  return r;
}

// Adds k values: one rescale for the group, then one exp per value.
template <int K>
__device__ __forceinline__ void addValues(Stats& st, const float (&x)[K]) {
  float lm = x[0];
#pragma unroll
  for (int k = 0; k < K; k++) {
    lm = fmaxf(lm, x[k]);
    st.bad |= !(x[k] < INFINITY);
  }
  if (lm > st.m) {
    float d = fmaxf(st.m - lm, kMinDelta), sc = __expf(d);
    st.w = sc * (st.w + st.s * d);
    st.s *= sc;
    st.m = lm;
  }
#pragma unroll
  for (int k = 0; k < K; k++) {
    float d = fmaxf(x[k] - st.m, kMinDelta), e = __expf(d);
    st.s += e;
    st.w = fmaf(e, d, st.w);
  }
}

// Element types as stored: float, or raw 16-bit bf16 / f16 bits.
struct F32 {
  using T = float;
  static constexpr int kPerVec = 4;
  __device__ static float toFloat(float v) { return v; }
  __device__ static void unpack(uint4 u, float (&x)[4]) {
    x[0] = __uint_as_float(u.x); x[1] = __uint_as_float(u.y); x[2] = __uint_as_float(u.z); x[3] = __uint_as_float(u.w);
  }
};
struct BF16 {
  using T = uint16_t;
  static constexpr int kPerVec = 8;
  __device__ static float toFloat(uint16_t v) { return __uint_as_float(uint32_t(v) << 16); }
  __device__ static void unpack(uint4 u, float (&x)[8]) {
    const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
    for (int i = 0; i < 4; i++) {
      x[2 * i] = __uint_as_float(w[i] << 16);
      x[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
    }
  }
};
struct F16 {
  using T = uint16_t;
  static constexpr int kPerVec = 8;
  __device__ static float toFloat(uint16_t v) { return __half2float(__ushort_as_half(v)); }
  __device__ static void unpack(uint4 u, float (&x)[8]) {
    const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
    for (int i = 0; i < 4; i++) {
      __half2 h = *reinterpret_cast<const __half2*>(&w[i]);
      float2 f = __half22float2(h);
      x[2 * i] = f.x;
      x[2 * i + 1] = f.y;
    }
  }
};

// This thread's share of p[0, n): unaligned head and tail one element at a time, the body in
// 16-byte vectors, four in flight per thread.
template <class E>
__device__ __forceinline__ void addSlice(Stats& st, const typename E::T* p, int64_t n, float invT) {
  using T = typename E::T;
  constexpr int V = E::kPerVec;
  const int tid = threadIdx.x, nt = blockDim.x;
  int64_t head = int64_t((16 - (reinterpret_cast<uintptr_t>(p) & 15)) & 15) / int64_t(sizeof(T));
  if (head > n) head = n;
  for (int64_t i = tid; i < head; i += nt) {
    float x[1] = {E::toFloat(p[i]) * invT};
    addValues<1>(st, x);
  }
  const uint4* vp = reinterpret_cast<const uint4*>(p + head);
  const int64_t nv = (n - head) / V;
  int64_t i = tid;
  for (; i + 3 * nt < nv; i += 4 * nt) {
    uint4 u[4];
#pragma unroll
    for (int k = 0; k < 4; k++) u[k] = __ldcs(vp + i + k * nt);
#pragma unroll
    for (int k = 0; k < 4; k++) {
      float x[V];
      E::unpack(u[k], x);
#pragma unroll
      for (int j = 0; j < V; j++) x[j] *= invT;
      addValues<V>(st, x);
    }
  }
  for (; i < nv; i += nt) {
    float x[V];
    E::unpack(__ldcs(vp + i), x);
#pragma unroll
    for (int j = 0; j < V; j++) x[j] *= invT;
    addValues<V>(st, x);
  }
  for (int64_t t = head + nv * V + tid; t < n; t += nt) {
    float x[1] = {E::toFloat(p[t]) * invT};
    addValues<1>(st, x);
  }
}

__device__ __forceinline__ Stats warpMerge(Stats st) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    Stats other;
    other.m = __shfl_xor_sync(0xffffffffu, st.m, o);
    other.s = __shfl_xor_sync(0xffffffffu, st.s, o);
    other.w = __shfl_xor_sync(0xffffffffu, st.w, o);
    other.bad = __shfl_xor_sync(0xffffffffu, st.bad, o);
    st = mergeStats(st, other);
  }
  return st;
}

// The whole block's stats, valid in thread 0.
__device__ __forceinline__ Stats blockMerge(Stats st) {
  __shared__ Stats warps[32];
  st = warpMerge(st);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warps[warp] = st;
  __syncthreads();
  if (warp == 0) {
    st = lane < int(blockDim.x + 31) / 32 ? warps[lane] : emptyStats();
    st = warpMerge(st);
  }
  return st;
}

}  // namespace cuda
}  // namespace infogain
