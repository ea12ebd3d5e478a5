// The fused head on the GPU.
//   linearLogprobs: per chunk of rows, tileKernel (one block per [64 rows x 128 columns] tile: the
//                   logits in registers over the whole dim) with StatsEpilogue (each row's stats over
//                   the tile's columns, merged across the 16 threads that share the row), then
//                   finishKernel (one thread per row merges its tiles). The logits never leave the
//                   registers.
//   linearKL:       per chunk of rows, tileKernel with StoreEpilogue writes both sides' logits (a
//                   chunk of 128 MiB in device memory) and klDivergence's device kernels reduce them.
// Not yet run on a GPU: bench/gpu checks both against float64 references and times the fused
// log-probs against the materializing variant.
#include <vector>

#include "../core/linear_head.h"
#include "device.cuh"
#include "kl_divergence.cuh"
#include "linear_head.cuh"
#include "logprobs.cuh"
#include "softmax_stats.cuh"

namespace infogain {
namespace cuda {
namespace {

constexpr int BM = kHeadTileRows, BN = kHeadTileCols, BK = 16;
constexpr int TM = 4, TN = 8;          // a thread's rows and columns
constexpr int kThreads = 256;          // 16 x 16: ty = rows, tx = columns
static_assert((BM / TM) * (BN / TN) == kThreads && BN / TN == 16, "the tile's thread layout");

// The thread's TM x TN logits of the tile at (row0, col0): rows row0 + ty * TM + i, columns
// col0 + tx + 16 j (interleaved, so the shared-memory reads of a half-warp hit 16 banks). Tiles of
// the hidden rows and the weight go through shared memory as float32; the sums are float32 FMAs.
template <class EH, class EW, bool kTransposed>
__device__ __forceinline__ void tileLogits(const HeadDevice& h, int64_t row0, int64_t col0, float (&acc)[TM][TN]) {
  __shared__ float as[BK][BM];
  __shared__ float bs[BK][BN];
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  const auto* hidden = static_cast<const typename EH::T*>(h.hidden);
  const auto* weight = static_cast<const typename EW::T*>(h.weight);
#pragma unroll
  for (int i = 0; i < TM; i++)
#pragma unroll
    for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;
  for (int64_t k0 = 0; k0 < h.dim; k0 += BK) {
    {  // hidden: 64 rows x 16 k, 4 consecutive k per thread
      const int r = tid >> 2, kq = (tid & 3) * 4;
      const int64_t row = row0 + r;
#pragma unroll
      for (int u = 0; u < 4; u++) {
        const int64_t k = k0 + kq + u;
        as[kq + u][r] = row < h.rows && k < h.dim ? EH::toFloat(hidden[row * h.dim + k]) : 0.0f;
      }
    }
    if (!kTransposed) {  // weight [vocab, dim]: 128 columns x 16 k, 8 consecutive k per thread
      const int c = tid >> 1, kq = (tid & 1) * 8;
      const int64_t col = col0 + c;
#pragma unroll
      for (int u = 0; u < 8; u++) {
        const int64_t k = k0 + kq + u;
        bs[kq + u][c] = col < h.vocab && k < h.dim ? EW::toFloat(weight[col * h.dim + k]) : 0.0f;
      }
    } else {  // weight [dim, vocab]: 16 k x 128 columns, 8 consecutive columns per thread (coalesced)
      const int kk = tid >> 4, cq = (tid & 15) * 8;
      const int64_t k = k0 + kk;
#pragma unroll
      for (int u = 0; u < 8; u++) {
        const int64_t col = col0 + cq + u;
        bs[kk][cq + u] = k < h.dim && col < h.vocab ? EW::toFloat(weight[k * h.vocab + col]) : 0.0f;
      }
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; i++) a[i] = as[kk][ty * TM + i];
#pragma unroll
      for (int j = 0; j < TN; j++) b[j] = bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
}

// Bias and softcap (as core/linear_head_kernel.h), -inf past the vocabulary.
__device__ __forceinline__ float finishLogit(const HeadDevice& h, float z, int64_t col) {
  if (col >= h.vocab) return -INFINITY;
  if (h.bias) z += h.bias[col];
  if (h.softcap > 0.0f) z = h.softcap - 2.0f * h.softcap / (1.0f + __expf(2.0f * z / h.softcap));
  return z;
}

// Epilogue of the stats kernel: each row's tile folded into softmax stats, merged across the 16
// threads that share the row, written per (row, tile); the target's logit where this tile holds it.
struct StatsEpilogue {
  const int32_t* targets;
  float4* work;
  float* targetLogit;

  __device__ void operator()(const HeadDevice& h, int64_t row0, int64_t col0, const float (&acc)[TM][TN]) const {
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll
    for (int i = 0; i < TM; i++) {
      const int64_t row = row0 + ty * TM + i;
      float x[TN];
#pragma unroll
      for (int j = 0; j < TN; j++) x[j] = finishLogit(h, acc[i][j], col0 + tx + 16 * j);
      Stats st = emptyStats();
      addValues<TN>(st, x, h.invT);
      // the row's 16 threads are lanes 0-15 or 16-31 of one warp: xor offsets below 16 stay inside
#pragma unroll
      for (int o = 8; o > 0; o >>= 1) {
        Stats other;
        other.m = __shfl_xor_sync(0xffffffffu, st.m, o);
        other.s = __shfl_xor_sync(0xffffffffu, st.s, o);
        other.w = __shfl_xor_sync(0xffffffffu, st.w, o);
        other.bad = __shfl_xor_sync(0xffffffffu, st.bad, o);
        st = mergeStats(st, other, h.invT);
      }
      if (row >= h.rows) continue;
      if (tx == 0) work[int64_t(blockIdx.x) * h.rows + row] = make_float4(st.m, st.s, st.w, float(st.bad));
      const int64_t t = targets[row] - col0;  // read once; in this thread's columns?
      if (t >= 0 && t < BN && (t & 15) == tx) {
#pragma unroll
        for (int j = 0; j < TN; j++)
          if (t == tx + 16 * j) targetLogit[row] = x[j];
      }
    }
  }
};

// Epilogue of the materializing variant: the tile's logits stored to logits[rows, vocab].
struct StoreEpilogue {
  float* logits;

  __device__ void operator()(const HeadDevice& h, int64_t row0, int64_t col0, const float (&acc)[TM][TN]) const {
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll
    for (int i = 0; i < TM; i++) {
      const int64_t row = row0 + ty * TM + i;
      if (row >= h.rows) continue;
#pragma unroll
      for (int j = 0; j < TN; j++) {
        const int64_t col = col0 + tx + 16 * j;
        if (col < h.vocab) logits[row * h.vocab + col] = finishLogit(h, acc[i][j], col);
      }
    }
  }
};

// One block per tile: its logits in registers, then the epilogue.
template <class EH, class EW, bool kTransposed, class Epilogue>
__global__ void __launch_bounds__(kThreads) tileKernel(HeadDevice h, Epilogue epilogue) {
  const int64_t row0 = int64_t(blockIdx.y) * BM, col0 = int64_t(blockIdx.x) * BN;
  float acc[TM][TN];
  tileLogits<EH, EW, kTransposed>(h, row0, col0, acc);
  epilogue(h, row0, col0, acc);
}

__global__ void finishKernel(int64_t rows, int64_t tiles, float invT, const float4* work, const float* targetLogit,
                             float* logprobs, float* logsumexp, float* entropy, uint8_t* flags) {
  const int64_t row = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  Stats st = emptyStats();
  for (int64_t k = 0; k < tiles; k++) {
    const float4 p = work[k * rows + row];  // consecutive rows: coalesced
    st = mergeStats(st, Stats{p.x, p.y, p.z, int(p.w)}, invT);
  }
  const RowOutputs o = finishRow(st, targetLogit[row], invT);
  flags[row] = o.bad ? 1 : 0;
  logprobs[row] = o.logprob;
  logsumexp[row] = o.logsumexp;
  if (entropy) entropy[row] = o.entropy;
}

// Calls launch(EH{}, EW{}, transposed-tag) with the element types of the head.
template <class Launch>
cudaError_t withTypes(const HeadDevice& h, Launch launch) {
  auto second = [&](auto eh) {
    switch (h.weightType) {
      case DType::Float32: return launch(eh, F32{});
      case DType::Float16: return launch(eh, F16{});
      default: return launch(eh, BF16{});
    }
  };
  switch (h.hiddenType) {
    case DType::Float32: return second(F32{});
    case DType::Float16: return second(F16{});
    default: return second(BF16{});
  }
}

// The tile kernel over the whole head, instantiated for its element types and layout.
template <class Epilogue>
cudaError_t launchTiles(const HeadDevice& h, const Epilogue& epilogue, cudaStream_t stream) {
  if (h.rows == 0) return cudaSuccess;
  if (h.rows > kMaxGridRows * int64_t(BM)) return cudaErrorInvalidValue;
  const dim3 grid(unsigned(headVocabTiles(h.vocab)), unsigned((h.rows + BM - 1) / BM));
  return withTypes(h, [&](auto eh, auto ew) {
    using EH = decltype(eh);
    using EW = decltype(ew);
    if (h.transposed) tileKernel<EH, EW, true><<<grid, kThreads, 0, stream>>>(h, epilogue);
    else tileKernel<EH, EW, false><<<grid, kThreads, 0, stream>>>(h, epilogue);
    return cudaGetLastError();
  });
}

}  // namespace

cudaError_t launchHeadStats(const HeadDevice& h, const int32_t* targets, float4* work, float* targetLogit,
                            cudaStream_t stream) {
  return launchTiles(h, StatsEpilogue{targets, work, targetLogit}, stream);
}

cudaError_t launchHeadFinish(int64_t rows, int64_t vocab, float invT, const float4* work, const float* targetLogit,
                             float* logprobs, float* logsumexp, float* entropy, uint8_t* flags, cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  finishKernel<<<unsigned((rows + 255) / 256), 256, 0, stream>>>(rows, headVocabTiles(vocab), invT, work, targetLogit,
                                                                 logprobs, logsumexp, entropy, flags);
  return cudaGetLastError();
}

cudaError_t launchHeadLogits(const HeadDevice& h, float* logits, cudaStream_t stream) {
  return launchTiles(h, StoreEpilogue{logits}, stream);
}

namespace {

// The head's weight and bias on the device (slots kWeight and kBias); the hidden rows are the caller's.
struct DeviceHead {
  void* weight;
  void* bias;
};

constexpr int64_t kWorkBytes = int64_t(64) << 20;     // per-(row, tile) stats of one launch
constexpr int64_t kLogitsBytes = int64_t(128) << 20;  // both sides' logits of one KL chunk

// This op does not stream (streamRows): its inputs take the stream slots (inputSlot). kHiddenQ
// holds the targets in linearLogprobs, kExtra the target logits there and the logits chunk in linearKL.
enum Slot {
  kWeight = inputSlot(0),
  kHiddenP = inputSlot(1),
  kHiddenQ = inputSlot(2),
  kBias = inputSlot(3),
  kOutputs = opSlot(0),
  kFlags = opSlot(1),
  kWork = opSlot(2),
  kExtra = opSlot(3),
};

Status uploadHead(Device& dev, const HeadWeight& w, const LinearHeadOptions& opt, cudaStream_t s, DeviceHead* out) {
  Status st;
  const size_t weightBytes = size_t(w.vocab) * size_t(w.dim) * size_t(dtypeSize(w.dtype));
  if (!(st = dev.deviceBuffer(kWeight, weightBytes, &out->weight)).ok()) return st;
  IG_CUDA_TRY(cudaMemcpyAsync(out->weight, w.data, weightBytes, cudaMemcpyHostToDevice, s));
  out->bias = nullptr;
  if (opt.bias) {
    if (!(st = dev.deviceBuffer(kBias, size_t(w.vocab) * 4, &out->bias)).ok()) return st;
    IG_CUDA_TRY(cudaMemcpyAsync(out->bias, opt.bias, size_t(w.vocab) * 4, cudaMemcpyHostToDevice, s));
  }
  return Status::Ok();
}

Status uploadHidden(Device& dev, int slot, const HiddenView& h, cudaStream_t s, void** out) {
  const size_t bytes = size_t(h.rows) * size_t(h.dim) * size_t(dtypeSize(h.dtype));
  Status st = dev.deviceBuffer(slot, bytes, out);
  if (!st.ok()) return st;
  IG_CUDA_TRY(cudaMemcpyAsync(*out, h.data, bytes, cudaMemcpyHostToDevice, s));
  return Status::Ok();
}

HeadDevice headOn(const DeviceHead& d, const HeadWeight& w, const LinearHeadOptions& opt, const void* hidden,
                  const HiddenView& hv, int64_t first, int64_t rows) {
  const char* base = static_cast<const char*>(hidden) + first * hv.dim * dtypeSize(hv.dtype);
  return {base, hv.dtype, rows, hv.dim, d.weight, w.dtype, w.vocab, w.transposed, static_cast<const float*>(d.bias),
          opt.softcap, 1.0f / opt.temperature};
}

}  // namespace

Status linearLogprobs(const HiddenView& hidden, const HeadWeight& weight, const int32_t* targets,
                      const LinearHeadOptions& opt, const TokenLogprobsOutput& out) {
  Status st = checkLinearLogprobs(hidden, weight, targets, opt);
  if (!st.ok() || hidden.rows == 0) return st;
  const int64_t rows = hidden.rows;
  std::vector<uint8_t> flags(static_cast<size_t>(rows));  // before any work is queued: may throw
  DeviceCall call;
  if (!call.status().ok()) return call.status();
  Device& dev = call.device();
  cudaStream_t s = dev.computeStream();

  DeviceHead head;
  void *dHidden, *dTargets, *dOut, *dFlags, *dWork, *dTarget;
  const int64_t chunk = headChunkRows(rows, weight.vocab, sizeof(float4), kWorkBytes);
  if (!(st = uploadHead(dev, weight, opt, s, &head)).ok()) return st;
  if (!(st = uploadHidden(dev, kHiddenP, hidden, s, &dHidden)).ok()) return st;
  if (!(st = dev.deviceBuffer(kHiddenQ, size_t(rows) * 4, &dTargets)).ok()) return st;
  if (!(st = dev.deviceBuffer(kOutputs, size_t(rows) * 12, &dOut)).ok()) return st;
  if (!(st = dev.deviceBuffer(kFlags, size_t(rows), &dFlags)).ok()) return st;
  if (!(st = dev.deviceBuffer(kWork, size_t(chunk) * size_t(headVocabTiles(weight.vocab)) * sizeof(float4), &dWork)).ok())
    return st;
  if (!(st = dev.deviceBuffer(kExtra, size_t(rows) * 4, &dTarget)).ok()) return st;
  IG_CUDA_TRY(cudaMemcpyAsync(dTargets, targets, size_t(rows) * 4, cudaMemcpyHostToDevice, s));
  IG_CUDA_TRY(cudaMemsetAsync(dTarget, 0xff, size_t(rows) * 4, s));  // NaN until a block writes it
  float* dLogprobs = static_cast<float*>(dOut);
  float* dLse = dLogprobs + rows;
  float* dEntropy = out.entropy ? dLse + rows : nullptr;
  const float invT = 1.0f / opt.temperature;
  for (int64_t first = 0; first < rows; first += chunk) {
    const int64_t n = rows - first < chunk ? rows - first : chunk;
    const HeadDevice h = headOn(head, weight, opt, dHidden, hidden, first, n);
    float4* work = static_cast<float4*>(dWork);
    float* target = static_cast<float*>(dTarget) + first;
    IG_CUDA_TRY(launched(launchHeadStats(h, static_cast<const int32_t*>(dTargets) + first, work, target, s)));
    IG_CUDA_TRY(launched(launchHeadFinish(n, weight.vocab, invT, work, target, dLogprobs + first, dLse + first,
                                          dEntropy ? dEntropy + first : nullptr, static_cast<uint8_t*>(dFlags) + first, s)));
  }
  IG_CUDA_TRY(cudaMemcpyAsync(out.logprobs, dLogprobs, size_t(rows) * 4, cudaMemcpyDeviceToHost, s));
  IG_CUDA_TRY(cudaMemcpyAsync(out.logsumexp, dLse, size_t(rows) * 4, cudaMemcpyDeviceToHost, s));
  if (dEntropy) IG_CUDA_TRY(cudaMemcpyAsync(out.entropy, dEntropy, size_t(rows) * 4, cudaMemcpyDeviceToHost, s));
  IG_CUDA_TRY(cudaMemcpyAsync(flags.data(), dFlags, size_t(rows), cudaMemcpyDeviceToHost, s));
  IG_CUDA_TRY(cudaStreamSynchronize(s));
  for (int64_t r = 0; r < rows; r++)
    if (flags[size_t(r)]) return describeBadHeadRow("hidden", hidden, weight, opt, r);
  return Status::Ok();
}

Status linearKL(const HiddenView& pIn, const HiddenView& qIn, const HeadWeight& weight, const LinearKLOptions& opt,
                float* out) {
  Status st = checkLinearKL(pIn, qIn, weight, opt);
  if (!st.ok() || pIn.rows == 0) return st;
  const int64_t rows = pIn.rows, vocab = weight.vocab;
  std::vector<uint8_t> flags(static_cast<size_t>(rows));  // before any work is queued: may throw
  DeviceCall call;
  if (!call.status().ok()) return call.status();
  Device& dev = call.device();
  cudaStream_t s = dev.computeStream();

  const bool swap = opt.direction == KLDirection::Reverse;  // KL(Q||P): forward with the roles swapped
  const HiddenView& p = swap ? qIn : pIn;
  const HiddenView& q = swap ? pIn : qIn;
  const KLDirection direction = swap ? KLDirection::Forward : opt.direction;
  const int64_t chunk = headLogitsChunkRows(rows, vocab, kLogitsBytes);
  const int splits = tokenLogprobsSplits(chunk, vocab, dev.info().multiprocessors);
  const size_t partials = size_t(chunk) * size_t(splits);

  DeviceHead head;
  void *dP, *dQ, *dOut, *dFlags, *dWork, *dLogits;
  if (!(st = uploadHead(dev, weight, opt.head, s, &head)).ok()) return st;
  if (!(st = uploadHidden(dev, kHiddenP, p, s, &dP)).ok()) return st;
  if (!(st = uploadHidden(dev, kHiddenQ, q, s, &dQ)).ok()) return st;
  if (!(st = dev.deviceBuffer(kOutputs, size_t(rows) * 4, &dOut)).ok()) return st;
  if (!(st = dev.deviceBuffer(kFlags, size_t(rows), &dFlags)).ok()) return st;
  if (!(st = dev.deviceBuffer(kWork, partials * klStateBytes() + size_t(chunk) * sizeof(float4) + partials * 4, &dWork)).ok())
    return st;
  if (!(st = dev.deviceBuffer(kExtra, size_t(2 * chunk) * size_t(vocab) * 4, &dLogits)).ok()) return st;
  float* logitsP = static_cast<float*>(dLogits);
  float* logitsQ = logitsP + chunk * vocab;
  char* work = static_cast<char*>(dWork);
  float4* jsRows = reinterpret_cast<float4*>(work + partials * klStateBytes());
  float* partial = reinterpret_cast<float*>(jsRows + chunk);
  for (int64_t first = 0; first < rows; first += chunk) {
    const int64_t n = rows - first < chunk ? rows - first : chunk;
    IG_CUDA_TRY(launched(launchHeadLogits(headOn(head, weight, opt.head, dP, p, first, n), logitsP, s)));
    IG_CUDA_TRY(launched(launchHeadLogits(headOn(head, weight, opt.head, dQ, q, first, n), logitsQ, s)));
    const KLLaunch l{logitsP, logitsQ, DType::Float32, DType::Float32, n, vocab, 1.0f / opt.head.temperature, direction,
                     splits, static_cast<float*>(dOut) + first, static_cast<uint8_t*>(dFlags) + first, work, jsRows,
                     partial, s};
    IG_CUDA_TRY(launched(launchKL(l)));
  }
  IG_CUDA_TRY(cudaMemcpyAsync(out, dOut, size_t(rows) * 4, cudaMemcpyDeviceToHost, s));
  IG_CUDA_TRY(cudaMemcpyAsync(flags.data(), dFlags, size_t(rows), cudaMemcpyDeviceToHost, s));
  IG_CUDA_TRY(cudaStreamSynchronize(s));
  for (int64_t r = 0; r < rows; r++) {
    if (!flags[size_t(r)]) continue;
    const bool pAtFault = flags[size_t(r)] & (swap ? 2 : 1);  // bit 0: the side passed as p
    return describeBadHeadRow(pAtFault ? "hiddenP" : "hiddenQ", pAtFault ? pIn : qIn, weight, opt.head, r);
  }
  return Status::Ok();
}

}  // namespace cuda
}  // namespace infogain
