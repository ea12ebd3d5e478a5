// Device-side online softmax statistics (same definitions as core/softmax_stats.h). With the raw
// running max m of the logits x (not divided by the temperature T) and d = (x - m) / T:
//   s = sum exp(d), w = sum exp(d) d;  logsumexp = m / T + log s, entropy = log s - w / s.
// Subtracting before scaling keeps d exact where it matters (|logits| ~ 1e4 a few units apart), as
// on the CPU. A block reduces a slice of one row with 16-byte streaming loads; slices merge exactly.
// The arithmetic is __host__ __device__ so the CPU checks it too (bench/gpu/host_checks.cu).
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "plan.h"

namespace infogain {
namespace cuda {

constexpr float kMinDelta = -1e30f;  // differences below are -infinity: exp() = 0, 0 * it = 0

// __expf on the device (what the kernels use), expf on the host.
__host__ __device__ __forceinline__ float fastExp(float x) {
#ifdef __CUDA_ARCH__
  return __expf(x);
#else
  return std::exp(x);
#endif
}

struct Stats {
  float m, s, w;  // m: the raw max
  int bad;        // saw NaN or +inf
};

__host__ __device__ __forceinline__ Stats emptyStats() { return {-3.402823466e38f, 0.0f, 0.0f, 0}; }

__host__ __device__ __forceinline__ Stats mergeStats(Stats a, Stats b, float invT) {
  Stats r;
  r.m = fmaxf(a.m, b.m);
  const float da = fmaxf((a.m - r.m) * invT, kMinDelta), db = fmaxf((b.m - r.m) * invT, kMinDelta);
  const float ea = fastExp(da), eb = fastExp(db);
  r.s = a.s * ea + b.s * eb;
  r.w = ea * (a.w + a.s * da) + eb * (b.w + b.s * db);
  r.bad = a.bad | b.bad;
  return r;
}

// Adds k raw logits: one rescale for the group, then one exp per value.
template <int K>
__host__ __device__ __forceinline__ void addValues(Stats& st, const float (&x)[K], float invT) {
  float lm = x[0];
#pragma unroll
  for (int k = 0; k < K; k++) {
    lm = fmaxf(lm, x[k]);
    st.bad |= !(x[k] < INFINITY);
  }
  if (lm > st.m) {
    const float d = fmaxf((st.m - lm) * invT, kMinDelta), sc = fastExp(d);
    st.w = sc * (st.w + st.s * d);
    st.s *= sc;
    st.m = lm;
  }
#pragma unroll
  for (int k = 0; k < K; k++) {
    const float d = fmaxf((x[k] - st.m) * invT, kMinDelta), e = fastExp(d);
    st.s += e;
    st.w = fmaf(e, d, st.w);
  }
}

// One row's outputs from its merged stats and its target's raw logit xt. `bad`: the row holds NaN
// or +inf, has no finite entry, or its max leaves float32 once divided by T (as the CPU decides).
struct RowOutputs {
  float logprob, logsumexp, entropy;
  bool bad;
};

__host__ __device__ __forceinline__ RowOutputs finishRow(const Stats& st, float xt, float invT) {
  const float scaledMax = st.m * invT, logS = logf(st.s);
  RowOutputs o;
  o.bad = st.bad || !(st.s > 0.0f) || !(fabsf(scaledMax) < INFINITY);
  o.logprob = (xt - st.m) * invT - logS;
  o.logsumexp = scaledMax + logS;
  o.entropy = fmaxf(logS - st.w / st.s, 0.0f);
  return o;
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
    float x[1] = {E::toFloat(p[i])};
    addValues<1>(st, x, invT);
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
      addValues<V>(st, x, invT);
    }
  }
  for (; i < nv; i += nt) {
    float x[V];
    E::unpack(__ldcs(vp + i), x);
    addValues<V>(st, x, invT);
  }
  for (int64_t t = head + nv * V + tid; t < n; t += nt) {
    float x[1] = {E::toFloat(p[t])};
    addValues<1>(st, x, invT);
  }
}

__device__ __forceinline__ Stats warpMerge(Stats st, float invT) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    Stats other;
    other.m = __shfl_xor_sync(0xffffffffu, st.m, o);
    other.s = __shfl_xor_sync(0xffffffffu, st.s, o);
    other.w = __shfl_xor_sync(0xffffffffu, st.w, o);
    other.bad = __shfl_xor_sync(0xffffffffu, st.bad, o);
    st = mergeStats(st, other, invT);
  }
  return st;
}

// The whole block's stats, valid in thread 0.
__device__ __forceinline__ Stats blockMerge(Stats st, float invT) {
  __shared__ Stats warps[32];
  st = warpMerge(st, invT);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warps[warp] = st;
  __syncthreads();
  if (warp == 0) {
    st = lane < int(blockDim.x + 31) / 32 ? warps[lane] : emptyStats();
    st = warpMerge(st, invT);
  }
  return st;
}

}  // namespace cuda
}  // namespace infogain
