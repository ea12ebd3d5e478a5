// tokenLogprobs on the GPU: a stats kernel (one block per row slice, one read of the logits)
// and a finalize kernel (one thread per row: merge slices, gather the target, write outputs).
#include <vector>

#include "logprobs.cuh"
#include "softmax_stats.cuh"
#include "stream_rows.cuh"

namespace infogain {
namespace cuda {
namespace {

template <class E>
__global__ void __launch_bounds__(kBlockThreads) statsKernel(const typename E::T* logits, int64_t vocab,
                                                             const int32_t* targets, bool hasIgnore, int32_t ignore,
                                                             float invT, int splits, float4* work) {
  const int64_t row = blockIdx.y;
  const int split = blockIdx.x;
  if (hasIgnore && targets[row] == ignore) return;  // skipped rows cost no bandwidth
  const int64_t per = (vocab + splits - 1) / splits;
  const int64_t begin = split * per, end = begin + per < vocab ? begin + per : vocab;
  Stats st = emptyStats();
  if (begin < end) addSlice<E>(st, logits + row * vocab + begin, end - begin, invT);
  st = blockMerge(st, invT);
  if (threadIdx.x == 0) work[row * splits + split] = make_float4(st.m, st.s, st.w, float(st.bad));
}

template <class E>
__global__ void finalizeKernel(const typename E::T* logits, int64_t rows, int64_t vocab, const int32_t* targets,
                               bool hasIgnore, int32_t ignore, float invT, int splits, const float4* work,
                               float* logprobs, float* logsumexp, float* entropy, uint8_t* flags) {
  const int64_t row = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  const int32_t t = targets[row];
  if (hasIgnore && t == ignore) {
    logprobs[row] = 0.0f;
    logsumexp[row] = 0.0f;
    if (entropy) entropy[row] = 0.0f;
    flags[row] = 0;
    return;
  }
  Stats st = emptyStats();
  for (int k = 0; k < splits; k++) {
    const float4 p = work[row * splits + k];
    st = mergeStats(st, Stats{p.x, p.y, p.z, int(p.w)}, invT);
  }
  const RowOutputs o = finishRow(st, E::toFloat(logits[row * vocab + t]), invT);
  flags[row] = o.bad ? 1 : 0;
  logprobs[row] = o.logprob;
  logsumexp[row] = o.logsumexp;
  if (entropy) entropy[row] = o.entropy;
}

template <class E>
cudaError_t launchFor(const LogitsView& logits, const TokenLogprobsOptions& opt, int splits,
                      const TokenLogprobsDevice& io, cudaStream_t stream) {
  using T = typename E::T;
  const T* data = static_cast<const T*>(logits.data);
  const float invT = 1.0f / opt.temperature;
  for (int64_t first = 0; first < logits.rows; first += kMaxGridRows) {
    const int64_t n = logits.rows - first < kMaxGridRows ? logits.rows - first : kMaxGridRows;
    statsKernel<E><<<dim3(unsigned(splits), unsigned(n)), kBlockThreads, 0, stream>>>(
        data + first * logits.vocab, logits.vocab, io.targets + first, opt.hasIgnoreIndex, opt.ignoreIndex, invT,
        splits, io.work + first * splits);
  }
  finalizeKernel<E><<<unsigned((logits.rows + 255) / 256), 256, 0, stream>>>(
      data, logits.rows, logits.vocab, io.targets, opt.hasIgnoreIndex, opt.ignoreIndex, invT, splits, io.work,
      io.logprobs, io.logsumexp, io.entropy, io.flags);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launchTokenLogprobs(const LogitsView& logits, const TokenLogprobsOptions& opt, int splits,
                                const TokenLogprobsDevice& io, cudaStream_t stream) {
  if (logits.rows == 0) return cudaSuccess;
  switch (logits.dtype) {
    case DType::Float32: return launchFor<F32>(logits, opt, splits, io, stream);
    case DType::Float16: return launchFor<F16>(logits, opt, splits, io, stream);
    default: return launchFor<BF16>(logits, opt, splits, io, stream);
  }
}

Status tokenLogprobs(const LogitsView& logits, const int32_t* targets, const TokenLogprobsOptions& opt,
                     const TokenLogprobsOutput& out) {
  Status st = checkTokenLogprobs(logits, targets, opt);
  if (!st.ok() || logits.rows == 0) return st;
  const int64_t rows = logits.rows;
  std::vector<uint8_t> flags(static_cast<size_t>(rows));  // before any work is queued: may throw
  DeviceCall call;
  if (!call.status().ok()) return call.status();
  Device& dev = call.device();

  const HostMatrix input{logits.data, logits.vocab * dtypeSize(logits.dtype)};
  const int64_t chunk = chunkRows(&input, 1, rows);
  const int splits = tokenLogprobsSplits(chunk, logits.vocab, dev.info().multiprocessors);
  enum { kTargets = opSlot(0), kOutputs = opSlot(1), kFlags = opSlot(2), kWork = opSlot(3) };
  void *dTargets, *dOut, *dFlags, *dWork;
  if (!(st = dev.deviceBuffer(kTargets, size_t(rows) * 4, &dTargets)).ok()) return st;
  if (!(st = dev.deviceBuffer(kOutputs, size_t(rows) * 12, &dOut)).ok()) return st;
  if (!(st = dev.deviceBuffer(kFlags, size_t(rows), &dFlags)).ok()) return st;
  if (!(st = dev.deviceBuffer(kWork, size_t(chunk) * splits * sizeof(float4), &dWork)).ok()) return st;
  float* dLogprobs = static_cast<float*>(dOut);
  float* dLse = dLogprobs + rows;
  float* dEntropy = out.entropy ? dLse + rows : nullptr;
  cudaStream_t compute = dev.computeStream();
  IG_CUDA_TRY(cudaMemcpyAsync(dTargets, targets, size_t(rows) * 4, cudaMemcpyHostToDevice, compute));

  st = streamRows(dev, &input, 1, rows, [&](int64_t first, int64_t n, const void* const* device) -> Status {
    const LogitsView part{device[0], n, logits.vocab, logits.dtype};
    const TokenLogprobsDevice io{static_cast<const int32_t*>(dTargets) + first, dLogprobs + first, dLse + first,
                                 dEntropy ? dEntropy + first : nullptr, static_cast<uint8_t*>(dFlags) + first,
                                 static_cast<float4*>(dWork)};
    IG_CUDA_TRY(launched(launchTokenLogprobs(part, opt, splits, io, compute)));
    return Status::Ok();
  });
  if (!st.ok()) return st;

  IG_CUDA_TRY(cudaMemcpyAsync(out.logprobs, dLogprobs, size_t(rows) * 4, cudaMemcpyDeviceToHost, compute));
  IG_CUDA_TRY(cudaMemcpyAsync(out.logsumexp, dLse, size_t(rows) * 4, cudaMemcpyDeviceToHost, compute));
  if (dEntropy) IG_CUDA_TRY(cudaMemcpyAsync(out.entropy, dEntropy, size_t(rows) * 4, cudaMemcpyDeviceToHost, compute));
  IG_CUDA_TRY(cudaMemcpyAsync(flags.data(), dFlags, size_t(rows), cudaMemcpyDeviceToHost, compute));
  IG_CUDA_TRY(cudaStreamSynchronize(compute));
  for (int64_t r = 0; r < rows; r++)
    if (flags[size_t(r)]) return describeBadRow("logits", logits, r, 1.0f / opt.temperature);
  return Status::Ok();
}

}  // namespace cuda
}  // namespace infogain
