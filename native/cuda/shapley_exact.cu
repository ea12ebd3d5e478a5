// Exact semivalues on the GPU: one pass over the table, each thread accumulating every player's
// signed weighted sum in registers over a grid-stride range of masks, then a block reduction into
// per-block partials that the host adds in a fixed order. The table streams in chunks
// (stream_rows.cuh), so a 256 MiB table at n = 25 overlaps its copy with the kernel.
#include <vector>

#include "shapley_exact.cuh"
#include "stream_rows.cuh"

namespace infogain {
namespace cuda {
namespace {

__global__ void __launch_bounds__(kShapleyThreads)
    semivalueKernel(const double* values, int64_t firstMask, int64_t count, int n, SemivalueCoefficients c,
                    double shift, double* partials) {
  double acc[kMaxExactPlayers];
#pragma unroll
  for (int i = 0; i < kMaxExactPlayers; i++) acc[i] = 0.0;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < count; k += stride) {
    const uint32_t mask = uint32_t(firstMask + k);
    const int s = __popc(mask);
    const double x = values[k] - shift;
    const double plus = c.in[s] * x, minus = c.out[s] * x;
#pragma unroll
    for (int i = 0; i < kMaxExactPlayers; i++)
      if (i < n) acc[i] += (mask >> i) & 1u ? plus : -minus;
  }
  __shared__ double warpSums[kShapleyThreads / 32][kMaxExactPlayers];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int i = 0; i < kMaxExactPlayers; i++) {
    double v = acc[i];
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    if (lane == 0) warpSums[warp][i] = v;
  }
  __syncthreads();
  if (threadIdx.x < n) {
    double sum = 0;
    for (int w = 0; w < kShapleyThreads / 32; w++) sum += warpSums[w][threadIdx.x];
    partials[int64_t(blockIdx.x) * n + threadIdx.x] += sum;  // chunks run in order on one stream
  }
}

}  // namespace

SemivalueCoefficients semivalueCoefficients(int n, ShapleyIndex index) {
  SemivalueCoefficients c = {};
  const std::vector<double> w = semivalueWeights(n, index);
  for (int s = 0; s <= n && s <= kMaxExactPlayers; s++) {
    c.in[s] = s >= 1 ? w[size_t(s - 1)] : 0.0;
    c.out[s] = s < n ? w[size_t(s)] : 0.0;
  }
  return c;
}

cudaError_t launchShapleyExact(const double* values, int64_t firstMask, int64_t count, int n,
                               const SemivalueCoefficients& c, double shift, int blocks, double* partials,
                               cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  semivalueKernel<<<unsigned(blocks), kShapleyThreads, 0, stream>>>(values, firstMask, count, n, c, shift, partials);
  return cudaGetLastError();
}

Status shapleyExact(const double* values, int64_t length, ShapleyIndex index, double* phi) {
  int n = 0;
  Status st = checkShapleyExact(length, &n);
  if (!st.ok() || n == 0) return st;
  const SemivalueCoefficients coeff = semivalueCoefficients(n, index);
  const int blocks = shapleyBlocks(length, Device::get().info().multiprocessors);
  std::vector<double> host(size_t(blocks) * size_t(n));  // before any work is queued: may throw
  DeviceCall call;
  if (!call.status().ok()) return call.status();
  Device& dev = call.device();

  const double shift = values[0];  // values relative to v(empty): no precision lost to offsets
  enum { kPartials = opSlot(0) };
  void* dPartials;
  if (!(st = dev.deviceBuffer(kPartials, host.size() * sizeof(double), &dPartials)).ok()) return st;
  double* partials = static_cast<double*>(dPartials);
  cudaStream_t compute = dev.computeStream();
  IG_CUDA_TRY(cudaMemsetAsync(partials, 0, host.size() * sizeof(double), compute));

  const HostMatrix input{values, int64_t(sizeof(double))};  // one row per mask
  st = streamRows(dev, &input, 1, length, [&](int64_t first, int64_t count, const void* const* device) -> Status {
    IG_CUDA_TRY(launched(launchShapleyExact(static_cast<const double*>(device[0]), first, count, n, coeff, shift,
                                            blocks, partials, compute)));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  IG_CUDA_TRY(cudaMemcpyAsync(host.data(), partials, host.size() * sizeof(double), cudaMemcpyDeviceToHost, compute));
  IG_CUDA_TRY(cudaStreamSynchronize(compute));
  bool finite = true;
  for (int i = 0; i < n; i++) {
    double sum = 0;
    for (int b = 0; b < blocks; b++) sum += host[size_t(b) * size_t(n) + size_t(i)];
    phi[i] = sum;
    finite = finite && std::isfinite(sum);
  }
  if (!finite) return nonFiniteValueError("values", values, length);
  return Status::Ok();
}

}  // namespace cuda
}  // namespace infogain
