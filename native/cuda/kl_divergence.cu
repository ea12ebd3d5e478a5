// klDivergence on the GPU, same definitions as core/kl_stats.h. Per chunk of rows:
//   statsKernel    one block per row slice reads both rows once: online max, sum-exp, cross terms
//   finalizeKernel one thread per row: merges the slices, writes KL (or the JS row constants) and
//                  a flag for rows holding NaN / +inf or no finite entry
//   jsKernel       (Jensen-Shannon only) a second read of the slices with those constants
//   jsFinalize     sums the slices
// Loads are one element per thread, coalesced across the warp: the two rows may have different
// dtypes and alignments, and this keeps the pairing simple.
#include <vector>

#include "../core/kl_divergence.h"
#include "device.cuh"
#include "kl_divergence.cuh"
#include "logprobs.cuh"
#include "softmax_stats.cuh"
#include "stream_rows.cuh"

namespace infogain {
namespace cuda {
namespace {

constexpr float kLn2 = 0.693147180559945309f;

// Raw maxima mp, mq; sums and cross terms relative to them (natural units); bad: bit 0 p, bit 1 q.
struct KLState {
  float mp, sp, cp, mq, sq, cq;
  int bad;
};

__device__ __forceinline__ KLState emptyKL() { return {-3.402823466e38f, 0.0f, 0.0f, -3.402823466e38f, 0.0f, 0.0f, 0}; }

// e * v, or 0 where the weight is 0 (even for an infinite v)
__device__ __forceinline__ float weighted(float e, float v) { return e > 0.0f ? e * v : 0.0f; }

// As core/kl_stats.h shiftKL: weights from floored shifts, cross terms from the exact ones (a shift
// that leaves float32 makes them infinite: p > 0 where q is 0), nothing moved for an empty piece.
__device__ __forceinline__ KLState shiftTo(const KLState& a, float mp, float mq, float invT) {
  const float dp = (a.mp - mp) * invT, dq = (a.mq - mq) * invT;
  const float ep = __expf(fmaxf(dp, kMinDelta)), eq = __expf(fmaxf(dq, kMinDelta));
  const float movedP = a.sp > 0.0f ? a.sp * (dp - dq) : 0.0f, movedQ = a.sq > 0.0f ? a.sq * (dq - dp) : 0.0f;
  return {mp, a.sp * ep, weighted(ep, a.cp + movedP), mq, a.sq * eq, weighted(eq, a.cq + movedQ), a.bad};
}

__device__ __forceinline__ KLState mergeKL(const KLState& a, const KLState& b, float invT) {
  const float mp = fmaxf(a.mp, b.mp), mq = fmaxf(a.mq, b.mq);
  const KLState x = shiftTo(a, mp, mq, invT), y = shiftTo(b, mp, mq, invT);
  return {mp, x.sp + y.sp, x.cp + y.cp, mq, x.sq + y.sq, x.cq + y.cq, x.bad | y.bad};
}

// Adds K pairs of raw logits: one rescale for the group, then one exp per element and side.
template <int K, bool kBoth>
__device__ __forceinline__ void addPairs(KLState& st, const float (&x)[K], const float (&y)[K], float invT) {
  float lx = x[0], ly = y[0];
#pragma unroll
  for (int k = 0; k < K; k++) {
    lx = fmaxf(lx, x[k]);
    ly = fmaxf(ly, y[k]);
    st.bad |= (x[k] < INFINITY ? 0 : 1) | (y[k] < INFINITY ? 0 : 2);  // NaN fails the test too
  }
  if (lx > st.mp || ly > st.mq) st = shiftTo(st, fmaxf(st.mp, lx), fmaxf(st.mq, ly), invT);
#pragma unroll
  for (int k = 0; k < K; k++) {
    const float dx = (x[k] - st.mp) * invT, dy = (y[k] - st.mq) * invT;
    const float ex = __expf(fmaxf(dx, kMinDelta)), ey = __expf(fmaxf(dy, kMinDelta));
    st.sp += ex;
    st.sq += ey;
    if (ex > 0.0f) st.cp = fmaf(ex, dx - dy, st.cp);  // +inf where q = -inf under p > 0
    if (kBoth && ey > 0.0f) st.cq = fmaf(ey, dy - dx, st.cq);
  }
}

__device__ __forceinline__ KLState warpMergeKL(KLState st, float invT) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    KLState other;
    other.mp = __shfl_xor_sync(0xffffffffu, st.mp, o);
    other.sp = __shfl_xor_sync(0xffffffffu, st.sp, o);
    other.cp = __shfl_xor_sync(0xffffffffu, st.cp, o);
    other.mq = __shfl_xor_sync(0xffffffffu, st.mq, o);
    other.sq = __shfl_xor_sync(0xffffffffu, st.sq, o);
    other.cq = __shfl_xor_sync(0xffffffffu, st.cq, o);
    other.bad = __shfl_xor_sync(0xffffffffu, st.bad, o);
    st = mergeKL(st, other, invT);
  }
  return st;
}

// The whole block's state, valid in thread 0.
__device__ __forceinline__ KLState blockMergeKL(KLState st, float invT) {
  __shared__ KLState warps[32];
  st = warpMergeKL(st, invT);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warps[warp] = st;
  __syncthreads();
  if (warp == 0) {
    st = lane < int(blockDim.x + 31) / 32 ? warps[lane] : emptyKL();
    st = warpMergeKL(st, invT);
  }
  return st;
}

__device__ __forceinline__ float blockSum(float v) {
  __shared__ float warps[32];
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warps[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < int(blockDim.x + 31) / 32 ? warps[lane] : 0.0f;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  }
  return v;
}

// This block's slice [begin, end) of row `row`.
__device__ __forceinline__ void sliceOf(int64_t vocab, int splits, int64_t* begin, int64_t* end) {
  const int64_t per = (vocab + splits - 1) / splits;
  *begin = int64_t(blockIdx.x) * per;
  *end = *begin + per < vocab ? *begin + per : vocab;
}

template <class EP, class EQ, bool kBoth>
__global__ void __launch_bounds__(kBlockThreads) statsKernel(const typename EP::T* p, const typename EQ::T* q,
                                                             int64_t vocab, float invT, int splits, KLState* work) {
  const int64_t row = blockIdx.y;
  int64_t begin, end;
  sliceOf(vocab, splits, &begin, &end);
  const typename EP::T* x = p + row * vocab;
  const typename EQ::T* y = q + row * vocab;
  const int64_t nt = blockDim.x;
  KLState st = emptyKL();
  int64_t i = begin + threadIdx.x;
  for (; i + 3 * nt < end; i += 4 * nt) {
    float a[4], b[4];
#pragma unroll
    for (int k = 0; k < 4; k++) {
      a[k] = EP::toFloat(__ldcs(x + i + k * nt));
      b[k] = EQ::toFloat(__ldcs(y + i + k * nt));
    }
    addPairs<4, kBoth>(st, a, b, invT);
  }
  for (; i < end; i += nt) {
    float a[1] = {EP::toFloat(__ldcs(x + i))}, b[1] = {EQ::toFloat(__ldcs(y + i))};
    addPairs<1, kBoth>(st, a, b, invT);
  }
  st = blockMergeKL(st, invT);
  if (threadIdx.x == 0) work[row * splits + blockIdx.x] = st;
}

// direction: Forward or Symmetric (Reverse arrives swapped) or JensenShannon (writes jsRows).
__global__ void finalizeKernel(int64_t rows, int splits, float invT, int direction, const KLState* work, float* out,
                               float4* jsRows, uint8_t* flags) {
  const int64_t row = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  KLState st = emptyKL();
  for (int k = 0; k < splits; k++) st = mergeKL(st, work[row * splits + k], invT);
  flags[row] = uint8_t(st.bad | (st.sp > 0.0f ? 0 : 1) | (st.sq > 0.0f ? 0 : 2));
  if (direction == int(KLDirection::JensenShannon)) {
    jsRows[row] = make_float4(st.mp, logf(st.sp), st.mq, logf(st.sq));
    return;
  }
  const float kl = direction == int(KLDirection::Symmetric) ? st.cp / st.sp + st.cq / st.sq
                                                            : st.cp / st.sp + logf(st.sq / st.sp);
  out[row] = kl > 0.0f ? kl : 0.0f;  // rounding below 0 clamped; bad rows are flagged
}

// P ln(2P/(P+Q)) + Q ln(2Q/(P+Q)) from a = ln P, b = ln Q; the closed form, or for nearby P and
// Q the series of positive terms (see core/kl_divergence_kernel.h, which works in base 2).
__device__ __forceinline__ float jsTerm(float a, float b) {
  const float h = __expf(fmaxf(a, b));
  if (!(h > 0.0f)) return 0.0f;  // both -inf
  const float t = fabsf(a - b), u = __expf(-t), w = (1.0f - u) / (1.0f + u);
  if (w > 0.5f) return h * ((kLn2 - log1pf(u)) * (1.0f + u) - weighted(u, t));
  const float w2 = w * w;
  float series = 1.0f / 190.0f;
#pragma unroll
  for (int k = 9; k >= 1; k--) series = fmaf(series, w2, 1.0f / float(k * (2 * k - 1)));
  return h * w2 * series * (1.0f + u) * 0.5f;
}

template <class EP, class EQ>
__global__ void __launch_bounds__(kBlockThreads) jsKernel(const typename EP::T* p, const typename EQ::T* q,
                                                          int64_t vocab, float invT, int splits, const float4* jsRows,
                                                          float* partial) {
  const int64_t row = blockIdx.y;
  int64_t begin, end;
  sliceOf(vocab, splits, &begin, &end);
  const float4 c = jsRows[row];  // mp, ln sp, mq, ln sq
  float acc = 0.0f;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const float a = (EP::toFloat(__ldcs(p + row * vocab + i)) - c.x) * invT - c.y;
    const float b = (EQ::toFloat(__ldcs(q + row * vocab + i)) - c.z) * invT - c.w;
    acc += jsTerm(a, b);
  }
  acc = blockSum(acc);
  if (threadIdx.x == 0) partial[row * splits + blockIdx.x] = acc;
}

__global__ void jsFinalizeKernel(int64_t rows, int splits, const float* partial, float* out) {
  const int64_t row = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  float sum = 0.0f;
  for (int k = 0; k < splits; k++) sum += partial[row * splits + k];
  out[row] = fminf(fmaxf(0.5f * sum, 0.0f), kMaxJS);
}

template <class EP, class EQ>
cudaError_t launchPair(const KLLaunch& l) {
  const auto* p = static_cast<const typename EP::T*>(l.p);
  auto* work = static_cast<KLState*>(l.work);
  const auto* q = static_cast<const typename EQ::T*>(l.q);
  const bool js = l.direction == KLDirection::JensenShannon;
  for (int64_t first = 0; first < l.rows; first += kMaxGridRows) {
    const int64_t n = l.rows - first < kMaxGridRows ? l.rows - first : kMaxGridRows;
    const dim3 grid(unsigned(l.splits), unsigned(n));
    if (l.direction == KLDirection::Symmetric)
      statsKernel<EP, EQ, true><<<grid, kBlockThreads, 0, l.stream>>>(p + first * l.vocab, q + first * l.vocab, l.vocab,
                                                                      l.invT, l.splits, work + first * l.splits);
    else
      statsKernel<EP, EQ, false><<<grid, kBlockThreads, 0, l.stream>>>(p + first * l.vocab, q + first * l.vocab, l.vocab,
                                                                       l.invT, l.splits, work + first * l.splits);
  }
  const unsigned rowBlocks = unsigned((l.rows + 255) / 256);
  finalizeKernel<<<rowBlocks, 256, 0, l.stream>>>(l.rows, l.splits, l.invT, int(l.direction), work, l.out, l.jsRows,
                                                 l.flags);
  if (js) {
    for (int64_t first = 0; first < l.rows; first += kMaxGridRows) {
      const int64_t n = l.rows - first < kMaxGridRows ? l.rows - first : kMaxGridRows;
      jsKernel<EP, EQ><<<dim3(unsigned(l.splits), unsigned(n)), kBlockThreads, 0, l.stream>>>(
          p + first * l.vocab, q + first * l.vocab, l.vocab, l.invT, l.splits, l.jsRows + first,
          l.partial + first * l.splits);
    }
    jsFinalizeKernel<<<rowBlocks, 256, 0, l.stream>>>(l.rows, l.splits, l.partial, l.out);
  }
  return cudaGetLastError();
}

template <class EP>
cudaError_t launchSecond(const KLLaunch& l) {
  switch (l.qt) {
    case DType::Float32: return launchPair<EP, F32>(l);
    case DType::Float16: return launchPair<EP, F16>(l);
    default: return launchPair<EP, BF16>(l);
  }
}

}  // namespace

size_t klStateBytes() { return sizeof(KLState); }

cudaError_t launchKL(const KLLaunch& l) {
  if (l.rows == 0) return cudaSuccess;
  switch (l.pt) {
    case DType::Float32: return launchSecond<F32>(l);
    case DType::Float16: return launchSecond<F16>(l);
    default: return launchSecond<BF16>(l);
  }
}

Status klDivergence(const LogitsView& pIn, const LogitsView& qIn, const KLOptions& opt, float* out) {
  Status st = checkKLDivergence(pIn, qIn, opt);
  if (!st.ok() || pIn.rows == 0) return st;
  std::vector<uint8_t> flags(static_cast<size_t>(pIn.rows));  // before any work is queued: may throw
  DeviceCall call;
  if (!call.status().ok()) return call.status();
  Device& dev = call.device();

  const bool swap = opt.direction == KLDirection::Reverse;  // KL(Q||P): forward with the roles swapped
  const LogitsView& p = swap ? qIn : pIn;
  const LogitsView& q = swap ? pIn : qIn;
  const KLDirection direction = swap ? KLDirection::Forward : opt.direction;
  const int64_t rows = p.rows, vocab = p.vocab;
  const HostMatrix inputs[2] = {{p.data, vocab * dtypeSize(p.dtype)}, {q.data, vocab * dtypeSize(q.dtype)}};
  const int64_t chunk = chunkRows(inputs, 2, rows);
  const int splits = tokenLogprobsSplits(chunk, vocab, dev.info().multiprocessors);

  enum { kOutputs = opSlot(0), kFlags = opSlot(1), kJS = opSlot(2), kWork = opSlot(3) };
  void *dOut, *dFlags, *dRows, *dWork;
  const size_t partials = size_t(chunk) * size_t(splits);
  if (!(st = dev.deviceBuffer(kOutputs, size_t(rows) * 4, &dOut)).ok()) return st;
  if (!(st = dev.deviceBuffer(kFlags, size_t(rows), &dFlags)).ok()) return st;
  if (!(st = dev.deviceBuffer(kJS, size_t(chunk) * sizeof(float4) + partials * 4, &dRows)).ok()) return st;
  if (!(st = dev.deviceBuffer(kWork, partials * sizeof(KLState), &dWork)).ok()) return st;
  cudaStream_t compute = dev.computeStream();

  st = streamRows(dev, inputs, 2, rows, [&](int64_t first, int64_t n, const void* const* device) -> Status {
    const KLLaunch l{device[0], device[1], p.dtype, q.dtype, n, vocab, 1.0f / opt.temperature, direction, splits,
                     static_cast<float*>(dOut) + first, static_cast<uint8_t*>(dFlags) + first, dWork,
                     static_cast<float4*>(dRows), reinterpret_cast<float*>(static_cast<float4*>(dRows) + chunk), compute};
    IG_CUDA_TRY(launched(launchKL(l)));
    return Status::Ok();
  });
  if (!st.ok()) return st;

  IG_CUDA_TRY(cudaMemcpyAsync(out, dOut, size_t(rows) * 4, cudaMemcpyDeviceToHost, compute));
  IG_CUDA_TRY(cudaMemcpyAsync(flags.data(), dFlags, size_t(rows), cudaMemcpyDeviceToHost, compute));
  IG_CUDA_TRY(cudaStreamSynchronize(compute));
  for (int64_t r = 0; r < rows; r++)
    if (flags[size_t(r)]) return describeBadPair(pIn, qIn, r, flags[size_t(r)] & (swap ? 2 : 1), opt);
  return Status::Ok();
}

}  // namespace cuda
}  // namespace infogain
