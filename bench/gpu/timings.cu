// The timings of the GPU harness: device-resident kernels (CUDA events, warm-up, median, inputs in
// rotation so the L2 holds none of them) and host-resident calls (wall clock), next to the copy and
// host-to-device bandwidth of the same run; then the issue's targets with verdicts.
// Every timed output is poisoned first and checked written. `RESULT key value` lines feed
// bench/gpu/summarize.py, which sets them next to PyTorch's anchors.
#include <chrono>
#include <cmath>
#include <cstring>

#include "../../native/core/advantages.h"
#include "../../native/core/shapley/shapley.h"
#include "../../native/cuda/cuda.h"
#include "../../native/cuda/kl_divergence.cuh"
#include "../../native/cuda/logprobs.cuh"
#include "../../native/cuda/shapley_exact.cuh"
#include "harness.cuh"
#include "inputs.h"
#include "sections.h"

using namespace infogain;

namespace harness {
namespace {

void result(const char* key, double value) { std::printf("RESULT %s %.6g\n", key, value); }

// Prints a target's line and keeps it for the end of the run.
void target(const std::string& what, const std::string& measured, bool met, const std::string& goal) {
  const std::string line = "TARGET " + what + ": " + measured + " -> " + (met ? "MET" : "MISSED") + " (" + goal + ")";
  std::printf("%s\n", line.c_str());
  report().targets.push_back(line);
}

std::string shape(int64_t rows, int64_t vocab) { return fmt("[%.0f, ", double(rows)) + fmt("%.0f]", double(vocab)); }

bool allFinite(const float* dev, size_t n, bool nonNegative) {
  std::vector<float> host(n);
  CK(cudaMemcpy(host.data(), dev, n * 4, cudaMemcpyDeviceToHost));
  return std::all_of(host.begin(), host.end(), [&](float f) { return std::isfinite(f) && (!nonNegative || f >= 0); });
}

// Device-resident: the kernels alone, over `copies` inputs in rotation. Returns the median ms.
double timeTokenLogprobs(cudaStream_t s, const Bandwidth& bw, DType dtype, int64_t rows, int64_t vocab, int copies) {
  const size_t bytes = size_t(rows * vocab * dtypeSize(dtype));
  std::vector<void*> bufs(static_cast<size_t>(copies));
  for (int i = 0; i < copies; i++) {
    CK(cudaMalloc(&bufs[size_t(i)], bytes));
    fill(bufs[size_t(i)], bytes, 17u + i, dtype != DType::Float32);
  }
  const int splits = cuda::tokenLogprobsSplits(rows, vocab, cuda::deviceInfo().multiprocessors);
  int32_t* targets;
  float *out, *work;
  uint8_t* flags;
  CK(cudaMalloc(&targets, size_t(rows) * 4));
  CK(cudaMemset(targets, 0, size_t(rows) * 4));
  CK(cudaMalloc(&out, size_t(rows) * 12));
  CK(cudaMalloc(&flags, size_t(rows)));
  CK(cudaMalloc(&work, size_t(rows) * splits * 16));
  CK(cudaMemset(out, 0xff, size_t(rows) * 12));  // poison: NaN
  const TokenLogprobsOptions opt;
  const double ms = medianMs(s, 3, 15, [&](int i) {
    const LogitsView v{bufs[size_t(i % copies)], rows, vocab, dtype};
    const cuda::TokenLogprobsDevice io{targets, out, out + rows, out + 2 * rows, flags, reinterpret_cast<float4*>(work)};
    CK(cuda::launchTokenLogprobs(v, opt, splits, io, s));
  });
  const bool written = allFinite(out, size_t(rows) * 3, false);
  const double gbs = bytes / (ms * 1e6);
  report().table.push_back({std::string("tokenLogprobs+entropy, device ") + dtypeName(dtype), shape(rows, vocab), fmt("%.3f ms", ms),
                            fmt("%.0f GB/s", gbs), fmt("%.0f%% of copy", 100.0 * gbs / bw.copyGBs), written ? "" : "OUTPUT NOT WRITTEN"});
  if (!written) fail("tokenLogprobs device-resident output not written");
  for (void* p : bufs) CK(cudaFree(p));
  CK(cudaFree(targets));
  CK(cudaFree(out));
  CK(cudaFree(flags));
  CK(cudaFree(work));
  return ms;
}

// Host-resident: cuda::tokenLogprobs end to end, pageable then pinned. Returns {pageable, pinned} ms.
std::pair<double, double> timeTokenLogprobsHost(const Bandwidth& bw, DType dtype, int64_t rows, int64_t vocab) {
  const size_t bytes = size_t(rows * vocab * dtypeSize(dtype));
  double result[2];
  for (bool pinned : {false, true}) {
    void* host;
    if (pinned) CK(cudaMallocHost(&host, bytes));
    else host = std::malloc(bytes);
    std::memset(host, 0x3f, bytes);  // finite in every dtype (not zeros)
    std::vector<int32_t> targets(static_cast<size_t>(rows), 0);
    std::vector<float> a(static_cast<size_t>(rows), NAN), b(static_cast<size_t>(rows), NAN);
    const LogitsView v{host, rows, vocab, dtype};
    Status st;
    const double ms = medianWallMs(5, [&] { st = cuda::tokenLogprobs(v, targets.data(), {}, {a.data(), b.data(), nullptr}); });
    if (!st.ok()) fail(std::string("host-resident tokenLogprobs: ") + st.message);
    if (!std::all_of(a.begin(), a.end(), [](float f) { return std::isfinite(f); })) fail("host-resident tokenLogprobs output not written");
    const double gbs = bytes / (ms * 1e6), limit = pinned ? bw.pinnedGBs : bw.pageableGBs;
    report().table.push_back({std::string("tokenLogprobs, host ") + (pinned ? "pinned " : "pageable ") + dtypeName(dtype),
                              shape(rows, vocab), fmt("%.1f ms", ms), fmt("%.1f GB/s", gbs),
                              fmt(pinned ? "%.0f%% of pinned H2D" : "%.0f%% of pageable H2D", 100.0 * gbs / limit), ""});
    result[pinned ? 1 : 0] = ms;
    if (pinned) CK(cudaFreeHost(host));
    else std::free(host);
  }
  return {result[0], result[1]};
}

// Device-resident KL, two bf16 inputs in rotation over four buffers. Returns {forward, js} ms.
std::pair<double, double> timeKL(cudaStream_t s, const Bandwidth& bw, int64_t rows, int64_t vocab) {
  const size_t bytes = size_t(rows * vocab * 2);
  void* bufs[4];
  for (int i = 0; i < 4; i++) {
    CK(cudaMalloc(&bufs[i], bytes));
    fill(bufs[i], bytes, 91u + i, true);
  }
  const int splits = cuda::tokenLogprobsSplits(rows, vocab, cuda::deviceInfo().multiprocessors);
  float *out, *partial;
  uint8_t* flags;
  void* work;
  float4* jsRows;
  CK(cudaMalloc(&out, size_t(rows) * 4));
  CK(cudaMalloc(&flags, size_t(rows)));
  CK(cudaMalloc(&work, size_t(rows) * splits * cuda::klStateBytes()));
  CK(cudaMalloc(&jsRows, size_t(rows) * sizeof(float4)));
  CK(cudaMalloc(&partial, size_t(rows) * splits * 4));
  double times[2];
  for (KLDirection dir : {KLDirection::Forward, KLDirection::JensenShannon}) {
    CK(cudaMemset(out, 0xff, size_t(rows) * 4));
    const double ms = medianMs(s, 3, 12, [&](int i) {
      const cuda::KLLaunch l{bufs[(2 * i) % 4], bufs[(2 * i + 1) % 4], DType::BFloat16, DType::BFloat16, rows, vocab, 1.0f, dir,
                             splits, out, flags, work, jsRows, partial, s};
      CK(cuda::launchKL(l));
    });
    const bool written = allFinite(out, size_t(rows), true);
    if (!written) fail("klDivergence device-resident output not written");
    const double gbs = 2.0 * bytes / (ms * 1e6);
    const bool forward = dir == KLDirection::Forward;
    report().table.push_back({forward ? "klDivergence forward, device bf16 x bf16" : "klDivergence JS (two reads), device bf16",
                              "2 x " + shape(rows, vocab), fmt("%.3f ms", ms), fmt("%.0f GB/s", gbs),
                              fmt("%.0f%% of copy", 100.0 * gbs / bw.copyGBs), written ? "" : "OUTPUT NOT WRITTEN"});
    times[forward ? 0 : 1] = ms;
  }
  for (void* b : bufs) CK(cudaFree(b));
  CK(cudaFree(out));
  CK(cudaFree(flags));
  CK(cudaFree(work));
  CK(cudaFree(jsRows));
  CK(cudaFree(partial));
  return {times[0], times[1]};
}

struct ShapleyTimes {
  double device, hostPageable, hostPinned, cpu;
};

// shapleyExact over 2^n values: CPU, CUDA end to end (pageable, pinned), CUDA device-resident.
ShapleyTimes timeShapley(cudaStream_t s, const Bandwidth& bw, int n) {
  const int64_t length = int64_t(1) << n;
  const size_t bytes = size_t(length) * 8;
  double* pinned;
  CK(cudaMallocHost(&pinned, bytes));
  std::vector<double> v(static_cast<size_t>(length));
  for (int64_t k = 0; k < length; k++) v[size_t(k)] = 3.0 + std::sin(0.001 * double(k));
  std::memcpy(pinned, v.data(), bytes);
  std::vector<double> phi(static_cast<size_t>(n));
  ShapleyTimes t;
  t.cpu = medianWallMs(3, [&] { shapleyExact(v.data(), length, ShapleyIndex::Shapley, phi.data()); });
  t.hostPageable = medianWallMs(5, [&] { cuda::shapleyExact(v.data(), length, ShapleyIndex::Shapley, phi.data()); });
  t.hostPinned = medianWallMs(5, [&] { cuda::shapleyExact(pinned, length, ShapleyIndex::Shapley, phi.data()); });
  double *dv, *partials;
  const int blocks = cuda::shapleyBlocks(length, cuda::deviceInfo().multiprocessors);
  CK(cudaMalloc(&dv, bytes));
  CK(cudaMalloc(&partials, size_t(blocks) * n * 8));
  CK(cudaMemcpy(dv, v.data(), bytes, cudaMemcpyHostToDevice));
  const auto coeff = cuda::semivalueCoefficients(n, ShapleyIndex::Shapley);
  t.device = medianMs(s, 2, 10, [&](int) {
    CK(cudaMemsetAsync(partials, 0, size_t(blocks) * n * 8, s));
    CK(cuda::launchShapleyExact(dv, 0, length, n, coeff, v[0], blocks, partials, s));
  });
  CK(cudaFree(dv));
  CK(cudaFree(partials));
  CK(cudaFreeHost(pinned));
  // Item 12 of issue 21 (the kernel holds 75 registers: 37.5% occupancy): against its floors
  const double readFloorMs = bytes / (bw.copyGBs / 2 * 1e6);
  report().table.push_back({"shapleyExact, device", fmt("n = %.0f", n), fmt("%.3f ms", t.device),
                            fmt("%.0f GB/s read", bytes / (t.device * 1e6)), fmt("read floor %.3f ms", readFloorMs), ""});
  report().table.push_back({"shapleyExact, host pageable / pinned", fmt("n = %.0f", n), fmt("%.2f ms", t.hostPageable),
                            fmt("pinned %.2f ms", t.hostPinned), fmt("CPU %.1f ms", t.cpu), ""});
  return t;
}

// groupAdvantages is a CPU kernel: timed here on the device host's CPU for the record.
void groupAdvantagesCpu() {
  const int64_t n = 1 << 20;
  std::vector<float> scores(static_cast<size_t>(n)), out(static_cast<size_t>(n));
  std::vector<int32_t> ids(static_cast<size_t>(n));
  Rng rng(5, 0);
  for (int64_t i = 0; i < n; i++) {
    scores[size_t(i)] = float(rng.next() % 1000) / 1000.0f;
    ids[size_t(i)] = int32_t(rng.next() % uint64_t(n / 8));  // ragged groups, 8 on average
  }
  Status st;
  const double ms = medianWallMs(10, [&] {
    GroupStats stats;
    Grouping g;
    g.ids = ids.data();
    st = groupAdvantages(scores.data(), n, g, {}, out.data(), &stats);
  });
  if (!st.ok()) fail("groupAdvantages: " + st.message);
  report().table.push_back({"groupAdvantages grpo (CPU of this host)", "1M scores, ragged", fmt("%.2f ms", ms), "", "", ""});
}

}  // namespace

Bandwidth measureBandwidth(cudaStream_t s) {
  const size_t bytes = size_t(2) << 30;
  void *a, *b, *pinned;
  CK(cudaMalloc(&a, bytes));
  CK(cudaMalloc(&b, bytes));
  fill(a, bytes, 3, false);
  const double copyMs = medianMs(s, 2, 10, [&](int) { CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s)); });
  CK(cudaMallocHost(&pinned, bytes));
  std::memset(pinned, 1, bytes);
  const double pinnedMs = medianMs(s, 1, 10, [&](int) { CK(cudaMemcpyAsync(a, pinned, bytes, cudaMemcpyHostToDevice, s)); });
  CK(cudaFreeHost(pinned));
  std::vector<char> pageable(bytes, 1);
  const double pageableMs = medianMs(s, 1, 5, [&](int) { CK(cudaMemcpyAsync(a, pageable.data(), bytes, cudaMemcpyHostToDevice, s)); });
  CK(cudaFree(a));
  CK(cudaFree(b));
  const Bandwidth bw{2.0 * bytes / (copyMs * 1e6), bytes / (pinnedMs * 1e6), bytes / (pageableMs * 1e6)};
  report().table.push_back({"device-to-device copy", "2 GiB", fmt("%.3f ms", copyMs), fmt("%.0f GB/s", bw.copyGBs), "", "read + write"});
  report().table.push_back({"host-to-device, pinned", "2 GiB", fmt("%.2f ms", pinnedMs), fmt("%.1f GB/s", bw.pinnedGBs), "", ""});
  report().table.push_back({"host-to-device, pageable", "2 GiB", fmt("%.2f ms", pageableMs), fmt("%.1f GB/s", bw.pageableGBs), "", ""});
  result("copy_GBps", bw.copyGBs);
  result("h2d_pinned_GBps", bw.pinnedGBs);
  result("h2d_pageable_GBps", bw.pageableGBs);
  return bw;
}

void runTimings(cudaStream_t s, const Bandwidth& bw, bool quick) {
  const int64_t V = 151936, rows = quick ? 2048 : 16384, hostRows = quick ? 512 : 4096, klRows = quick ? 1024 : 8192;
  const std::string note = quick ? " [--quick: smaller than the target shape]" : "";

  const double lp = timeTokenLogprobs(s, bw, DType::BFloat16, rows, V, 3);
  const double lpF32 = timeTokenLogprobs(s, bw, DType::Float32, rows, V, 2);
  const double lpShare = rows * V * 2 / (lp * 1e6) / bw.copyGBs;
  result("logprob_bf16_device_ms", lp);
  result("logprob_f32_device_ms", lpF32);
  target("fused log-prob + entropy, bf16 " + shape(rows, V) + ", device-resident" + note,
         fmt("%.3f ms, ", lp) + fmt("%.0f%% of the measured copy bandwidth", 100 * lpShare), lpShare >= 0.75,
         ">= 75%; on an H200 <= 1.6 ms, torch.compile 3.2 ms");

  const auto [pageableMs, pinnedMs] = timeTokenLogprobsHost(bw, DType::BFloat16, hostRows, V);
  const double hostShare = hostRows * V * 2 / (pinnedMs * 1e6) / bw.pinnedGBs;
  result("logprob_host_pageable_ms", pageableMs);
  result("logprob_host_pinned_ms", pinnedMs);
  target("tokenLogprobs from pinned host memory, bf16 " + shape(hostRows, V) + note,
         fmt("%.2f ms, ", pinnedMs) + fmt("%.0f%% of pinned host-to-device bandwidth", 100 * hostShare), hostShare >= 0.8, ">= 80%");

  const auto [klMs, jsMs] = timeKL(s, bw, klRows, V);
  const double klShare = 2.0 * klRows * V * 2 / (klMs * 1e6) / bw.copyGBs;
  result("kl_forward_device_ms", klMs);
  result("kl_js_device_ms", jsMs);
  target("full-vocabulary KL forward, bf16 2 x " + shape(klRows, V) + ", device-resident" + note,
         fmt("%.3f ms, ", klMs) + fmt("%.0f%% of the measured copy bandwidth", 100 * klShare), klShare >= 0.75, ">= 75%");

  timeShapley(s, bw, 20);
  const ShapleyTimes sh = timeShapley(s, bw, 25);
  result("shapley25_device_ms", sh.device);
  result("shapley25_host_pageable_ms", sh.hostPageable);
  result("shapley25_host_pinned_ms", sh.hostPinned);
  result("shapley25_cpu_ms", sh.cpu);
  target("exact Shapley n = 25, device-resident", fmt("%.3f ms", sh.device), sh.device < 10, "< 10 ms");
  target("exact Shapley n = 25, end to end from pageable memory", fmt("%.2f ms", sh.hostPageable), sh.hostPageable < 10, "< 10 ms");
  target("exact Shapley n = 25, end to end from pinned memory", fmt("%.2f ms", sh.hostPinned), sh.hostPinned < 10, "< 10 ms");

  groupAdvantagesCpu();
}

}  // namespace harness
