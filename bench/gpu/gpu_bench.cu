// The GPU harness (issue 8): for each CUDA kernel, check it against the CPU path on random inputs
// of every dtype (outputs poisoned first, every CUDA call checked), time it device-resident with
// CUDA events (warm-up, median of >= 10, buffers in rotation) and host-resident (pageable and
// pinned), next to the copy and host-to-device bandwidth measured in the same run.
// Usage: infogain_gpu_bench [--quick]      (bench/gpu/run.sh builds and runs it)
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include "../../native/core/advantages.h"
#include "../../native/core/kl_divergence.h"
#include "../../native/core/logprobs.h"
#include "../../native/core/shapley.h"
#include "../../native/cuda/cuda.h"
#include "../../native/cuda/kl_divergence.cuh"
#include "../../native/cuda/logprobs.cuh"
#include "../../native/cuda/shapley_exact.cuh"
#include "harness.cuh"

using namespace infogain;
using harness::Row;
using harness::fmt;

static std::vector<Row> table;
static int failures = 0;

struct Bandwidth {
  double copyGBs;    // device-to-device, (read + write) bytes / s
  double pinnedGBs;  // host-to-device from pinned memory
  double pageableGBs;
};

static Bandwidth measureBandwidth(cudaStream_t s) {
  const size_t bytes = size_t(2) << 30;
  void *a, *b, *pinned;
  CK(cudaMalloc(&a, bytes));
  CK(cudaMalloc(&b, bytes));
  double copyMs = harness::medianMs(s, 2, 10, [&](int) { CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s)); });
  CK(cudaMallocHost(&pinned, bytes));
  std::memset(pinned, 1, bytes);
  double pinnedMs = harness::medianMs(s, 1, 10, [&](int) { CK(cudaMemcpyAsync(a, pinned, bytes, cudaMemcpyHostToDevice, s)); });
  CK(cudaFreeHost(pinned));
  std::vector<char> pageable(bytes, 1);
  double pageableMs = harness::medianMs(s, 1, 5, [&](int) { CK(cudaMemcpyAsync(a, pageable.data(), bytes, cudaMemcpyHostToDevice, s)); });
  CK(cudaFree(a));
  CK(cudaFree(b));
  Bandwidth bw{2.0 * bytes / (copyMs * 1e6), bytes / (pinnedMs * 1e6), bytes / (pageableMs * 1e6)};
  table.push_back({"device-to-device copy", "2 GiB", fmt("%.3f ms", copyMs), fmt("%.0f GB/s", bw.copyGBs), "", "read + write"});
  table.push_back({"host-to-device, pinned", "2 GiB", fmt("%.2f ms", pinnedMs), fmt("%.1f GB/s", bw.pinnedGBs), "", ""});
  table.push_back({"host-to-device, pageable", "2 GiB", fmt("%.2f ms", pageableMs), fmt("%.1f GB/s", bw.pageableGBs), "", ""});
  return bw;
}

static uint16_t toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}
static uint16_t toF16(float f) {  // via the device's converter-free path: round to nearest, normal range only
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000, e = (u >> 23) & 0xff, m = u & 0x7fffff;
  if (e == 0xff) return uint16_t(sign | 0x7c00 | (m ? 0x200 : 0));
  int he = int(e) - 112;
  if (he <= 0) return uint16_t(sign);
  if (he >= 31) return uint16_t(sign | 0x7c00);
  uint32_t h = (uint32_t(he) << 10) | (m >> 13), rest = m & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
  return uint16_t(sign | h);
}

// Random logits in `dtype` (5% -inf, one finite entry per row), as bytes.
static std::vector<uint8_t> randomLogits(std::mt19937& rng, DType dtype, int64_t rows, int64_t vocab) {
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<uint8_t> bytes(size_t(rows * vocab * dtypeSize(dtype)));
  for (int64_t i = 0; i < rows * vocab; i++) {
    float x = unit(rng) < 0.05f && (i % vocab) != 0 ? -INFINITY : normal(rng);
    if (dtype == DType::Float32) std::memcpy(&bytes[size_t(i) * 4], &x, 4);
    else {
      uint16_t h = dtype == DType::BFloat16 ? toBF16(x) : toF16(x);
      std::memcpy(&bytes[size_t(i) * 2], &h, 2);
    }
  }
  return bytes;
}

static bool close(float gpu, float cpu, float scale) {
  if (std::isinf(cpu) || std::isinf(gpu)) return gpu == cpu;
  return std::fabs(gpu - cpu) <= 1e-5f * std::fmax(1.0f, scale);
}

// CUDA (host-resident path) vs CPU on random inputs of every dtype.
static void checkTokenLogprobs() {
  std::mt19937 rng(12345);
  int checked = 0;
  for (DType dtype : {DType::Float32, DType::Float16, DType::BFloat16}) {
    for (auto shape : {std::pair<int64_t, int64_t>{1, 151936}, {3, 200000}, {257, 4096}, {1000, 7}, {5, 1}}) {
      auto [rows, vocab] = shape;
      auto bytes = randomLogits(rng, dtype, rows, vocab);
      std::vector<int32_t> targets(static_cast<size_t>(rows));
      for (auto& t : targets) t = int32_t(rng() % vocab);
      LogitsView view{bytes.data(), rows, vocab, dtype};
      TokenLogprobsOptions opt;
      opt.temperature = 0.7f;
      const size_t n = static_cast<size_t>(rows);
      std::vector<float> cl(n, NAN), cs(n, NAN), ce(n, NAN), gl(n, NAN), gs(n, NAN), ge(n, NAN);
      Status a = tokenLogprobs(view, targets.data(), opt, {cl.data(), cs.data(), ce.data()});
      Status b = cuda::tokenLogprobs(view, targets.data(), opt, {gl.data(), gs.data(), ge.data()});
      if (!a.ok() || !b.ok()) {
        std::printf("FAIL tokenLogprobs %s: cpu '%s' cuda '%s'\n", dtypeName(dtype), a.message.c_str(), b.message.c_str());
        failures++;
        continue;
      }
      for (size_t r = 0; r < n; r++) {
        float scale = std::fabs(cs[r]);
        if (!close(gs[r], cs[r], scale) || !close(gl[r], cl[r], scale) || !close(ge[r], ce[r], scale)) {
          std::printf("FAIL tokenLogprobs %s [%ld, %ld] row %zu: lse %g/%g lp %g/%g H %g/%g\n", dtypeName(dtype),
                      long(rows), long(vocab), r, gs[r], cs[r], gl[r], cl[r], ge[r], ce[r]);
          failures++;
          break;
        }
      }
      checked++;
    }
  }
  // a NaN row is reported as on the CPU
  std::vector<float> x(40, 0.0f);
  x[17] = NAN;
  std::vector<int32_t> t(4, 0);
  std::vector<float> o1(4), o2(4);
  Status st = cuda::tokenLogprobs({x.data(), 4, 10, DType::Float32}, t.data(), {}, {o1.data(), o2.data(), nullptr});
  if (st.ok() || st.index != 1) {
    std::printf("FAIL tokenLogprobs NaN row: %s\n", st.message.c_str());
    failures++;
  }
  table.push_back({"tokenLogprobs check vs CPU", fmt("%.0f shapes x dtypes", checked), "", "", "", failures ? "FAILED" : "rel err <= 1e-5"});
}

// Device-resident: the kernel alone, over buffers in rotation.
static void timeTokenLogprobs(cudaStream_t s, const Bandwidth& bw, DType dtype, int64_t rows, int64_t vocab, int copies) {
  const size_t bytes = size_t(rows * vocab * dtypeSize(dtype));
  std::vector<void*> bufs(static_cast<size_t>(copies));
  for (int i = 0; i < copies; i++) {
    CK(cudaMalloc(&bufs[size_t(i)], bytes));
    harness::fill(bufs[size_t(i)], bytes, 17u + i, dtype != DType::Float32);
  }
  const int sms = cuda::deviceInfo().multiprocessors;
  const int splits = cuda::tokenLogprobsSplits(rows, vocab, sms);
  int32_t* targets;
  float *out, *work;
  uint8_t* flags;
  CK(cudaMalloc(&targets, size_t(rows) * 4));
  CK(cudaMemset(targets, 0, size_t(rows) * 4));
  CK(cudaMalloc(&out, size_t(rows) * 12));
  CK(cudaMalloc(&flags, size_t(rows)));
  CK(cudaMalloc(&work, size_t(rows) * splits * 16));
  CK(cudaMemset(out, 0xff, size_t(rows) * 12));  // poison: NaN
  TokenLogprobsOptions opt;
  double ms = harness::medianMs(s, 3, 15, [&](int i) {
    LogitsView v{bufs[size_t(i % copies)], rows, vocab, dtype};
    cuda::TokenLogprobsDevice io{targets, out, out + rows, out + 2 * rows, flags, reinterpret_cast<float4*>(work)};
    CK(cuda::launchTokenLogprobs(v, opt, splits, io, s));
  });
  std::vector<float> host(static_cast<size_t>(rows) * 3);
  CK(cudaMemcpy(host.data(), out, host.size() * 4, cudaMemcpyDeviceToHost));
  bool written = std::all_of(host.begin(), host.end(), [](float f) { return std::isfinite(f); });
  double gbs = bytes / (ms * 1e6);
  table.push_back({std::string("tokenLogprobs+entropy, device ") + dtypeName(dtype),
                   fmt("[%.0f, ", double(rows)) + fmt("%.0f]", double(vocab)), fmt("%.3f ms", ms), fmt("%.0f GB/s", gbs),
                   fmt("%.0f%% of copy", 100.0 * gbs / bw.copyGBs), written ? "target >= 75%" : "OUTPUT NOT WRITTEN"});
  if (!written) failures++;
  for (void* p : bufs) CK(cudaFree(p));
  CK(cudaFree(targets));
  CK(cudaFree(out));
  CK(cudaFree(flags));
  CK(cudaFree(work));
}

// Host-resident: cuda::tokenLogprobs end to end from pageable and from pinned memory.
static void timeTokenLogprobsHost(const Bandwidth& bw, DType dtype, int64_t rows, int64_t vocab) {
  const size_t bytes = size_t(rows * vocab * dtypeSize(dtype));
  for (bool pinned : {false, true}) {
    void* host;
    if (pinned) CK(cudaMallocHost(&host, bytes));
    else host = std::malloc(bytes);
    std::memset(host, 0x3f, bytes);  // finite values in every dtype
    std::vector<int32_t> targets(static_cast<size_t>(rows), 0);
    std::vector<float> a(static_cast<size_t>(rows)), b(static_cast<size_t>(rows));
    LogitsView v{host, rows, vocab, dtype};
    std::vector<double> ms;
    for (int i = 0; i < 6; i++) {
      auto t0 = std::chrono::steady_clock::now();
      Status st = cuda::tokenLogprobs(v, targets.data(), {}, {a.data(), b.data(), nullptr});
      auto t1 = std::chrono::steady_clock::now();
      if (!st.ok()) {
        std::printf("FAIL host path: %s\n", st.message.c_str());
        failures++;
      }
      if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    double gbs = bytes / (ms[ms.size() / 2] * 1e6);
    double limit = pinned ? bw.pinnedGBs : bw.pageableGBs;
    table.push_back({std::string("tokenLogprobs, host ") + (pinned ? "pinned " : "pageable ") + dtypeName(dtype),
                     fmt("[%.0f, ", double(rows)) + fmt("%.0f]", double(vocab)), fmt("%.1f ms", ms[ms.size() / 2]),
                     fmt("%.1f GB/s", gbs), fmt(pinned ? "%.0f%% of pinned H2D" : "%.0f%% of pageable H2D", 100.0 * gbs / limit),
                     pinned ? "target >= 80%" : ""});
    if (pinned) CK(cudaFreeHost(host));
    else std::free(host);
  }
}

// klDivergence, CUDA host path vs CPU, every direction and some dtype pairs.
static void checkKL() {
  std::mt19937 rng(777);
  int checked = 0, before = failures;
  for (auto dt : {std::pair<DType, DType>{DType::Float32, DType::Float32}, {DType::BFloat16, DType::BFloat16},
                  {DType::BFloat16, DType::Float32}, {DType::Float16, DType::BFloat16}}) {
    for (auto shape : {std::pair<int64_t, int64_t>{2, 151936}, {300, 1000}, {7, 5}}) {
      auto [rows, vocab] = shape;
      auto p = randomLogits(rng, dt.first, rows, vocab), q = randomLogits(rng, dt.second, rows, vocab);
      // the same -inf pattern on both sides keeps KL finite
      for (KLDirection dir : {KLDirection::Forward, KLDirection::Reverse, KLDirection::Symmetric, KLDirection::JensenShannon}) {
        KLOptions opt;
        opt.direction = dir;
        opt.temperature = 0.9f;
        std::vector<float> c(static_cast<size_t>(rows), NAN), g(static_cast<size_t>(rows), NAN);
        LogitsView pv{p.data(), rows, vocab, dt.first}, qv{q.data(), rows, vocab, dt.second};
        Status a = klDivergence(pv, qv, opt, c.data()), b = cuda::klDivergence(pv, qv, opt, g.data());
        if (a.ok() != b.ok()) {
          std::printf("FAIL klDivergence status: cpu '%s' cuda '%s'\n", a.message.c_str(), b.message.c_str());
          failures++;
          continue;
        }
        for (size_t r = 0; a.ok() && r < c.size(); r++)
          if (!close(g[r], c[r], std::fabs(c[r]))) {
            std::printf("FAIL klDivergence dir %d %s/%s [%ld, %ld] row %zu: %g vs %g\n", int(dir), dtypeName(dt.first),
                        dtypeName(dt.second), long(rows), long(vocab), r, g[r], c[r]);
            failures++;
            break;
          }
        checked++;
      }
    }
  }
  table.push_back({"klDivergence check vs CPU", fmt("%.0f cases", checked), "", "", "", failures > before ? "FAILED" : "rel err <= 1e-5"});
}

static void timeKL(cudaStream_t s, const Bandwidth& bw, int64_t rows, int64_t vocab) {
  const size_t bytes = size_t(rows * vocab * 2);
  void* bufs[4];
  for (int i = 0; i < 4; i++) {
    CK(cudaMalloc(&bufs[i], bytes));
    harness::fill(bufs[i], bytes, 91u + i, true);
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
  for (KLDirection dir : {KLDirection::Forward, KLDirection::JensenShannon}) {
    CK(cudaMemset(out, 0xff, size_t(rows) * 4));
    double ms = harness::medianMs(s, 3, 12, [&](int i) {
      cuda::KLLaunch l{bufs[(2 * i) % 4], bufs[(2 * i + 1) % 4], DType::BFloat16, DType::BFloat16, rows, vocab, 1.0f, dir,
                       splits, out, flags, work, jsRows, partial, s};
      CK(cuda::launchKL(l));
    });
    std::vector<float> host(static_cast<size_t>(rows));
    CK(cudaMemcpy(host.data(), out, host.size() * 4, cudaMemcpyDeviceToHost));
    bool written = std::all_of(host.begin(), host.end(), [](float f) { return std::isfinite(f) && f >= 0; });
    if (!written) failures++;
    double gbs = 2.0 * bytes / (ms * 1e6);
    table.push_back({dir == KLDirection::Forward ? "klDivergence forward, device bf16 x bf16" : "klDivergence JS (two reads), device bf16",
                     fmt("2 x [%.0f, ", double(rows)) + fmt("%.0f]", double(vocab)), fmt("%.3f ms", ms),
                     fmt("%.0f GB/s", gbs), fmt("%.0f%% of copy", 100.0 * gbs / bw.copyGBs),
                     written ? (dir == KLDirection::Forward ? "target >= 75%" : "") : "OUTPUT NOT WRITTEN"});
  }
  for (void* b : bufs) CK(cudaFree(b));
  CK(cudaFree(out));
  CK(cudaFree(flags));
  CK(cudaFree(work));
  CK(cudaFree(jsRows));
  CK(cudaFree(partial));
}

// shapleyExact: CUDA vs CPU, then n = 20 and 25 timed (CPU, CUDA end to end, CUDA device-resident).
static void shapley(cudaStream_t s) {
  std::mt19937_64 rng(4242);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int n : {10, 16, 20, 25}) {
    const int64_t length = int64_t(1) << n;
    std::vector<double> v(static_cast<size_t>(length));
    for (auto& x : v) x = 3.0 + normal(rng);
    std::vector<double> cpu(static_cast<size_t>(n)), gpu(static_cast<size_t>(n), NAN);
    auto t0 = std::chrono::steady_clock::now();
    Status a = shapleyExact(v.data(), length, ShapleyIndex::Shapley, cpu.data());
    auto t1 = std::chrono::steady_clock::now();
    Status b = cuda::shapleyExact(v.data(), length, ShapleyIndex::Shapley, gpu.data());  // warm
    auto t2 = std::chrono::steady_clock::now();
    b = cuda::shapleyExact(v.data(), length, ShapleyIndex::Shapley, gpu.data());
    auto t3 = std::chrono::steady_clock::now();
    double scale = 0;
    for (double x : cpu) scale = std::fmax(scale, std::fabs(x));
    bool ok = a.ok() && b.ok();
    for (int i = 0; ok && i < n; i++) ok = std::fabs(gpu[size_t(i)] - cpu[size_t(i)]) <= 1e-9 * std::fmax(1.0, scale);
    if (!ok) {
      std::printf("FAIL shapleyExact n=%d: cpu '%s' cuda '%s' phi0 %g vs %g\n", n, a.message.c_str(), b.message.c_str(), gpu[0], cpu[0]);
      failures++;
    }
    if (n < 20) continue;
    double cpuMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
    double hostMs = std::chrono::duration<double, std::milli>(t3 - t2).count();
    // device-resident: the transform alone over values already on the GPU
    double* dv;
    double* partials;
    const int blocks = cuda::deviceInfo().multiprocessors * 8;
    CK(cudaMalloc(&dv, size_t(length) * 8));
    CK(cudaMalloc(&partials, size_t(blocks) * n * 8));
    CK(cudaMemcpy(dv, v.data(), size_t(length) * 8, cudaMemcpyHostToDevice));
    auto coeff = cuda::semivalueCoefficients(n, ShapleyIndex::Shapley);
    double devMs = harness::medianMs(s, 2, 10, [&](int) {
      CK(cudaMemsetAsync(partials, 0, size_t(blocks) * n * 8, s));
      CK(cuda::launchShapleyExact(dv, 0, length, n, coeff, v[0], blocks, partials, s));
    });
    CK(cudaFree(dv));
    CK(cudaFree(partials));
    table.push_back({"shapleyExact", fmt("n = %.0f", n), fmt("%.2f ms device", devMs), fmt("%.2f ms host->device", hostMs),
                     fmt("CPU %.1f ms", cpuMs), ok ? (n == 25 ? "target < 10 ms" : "matches CPU") : "FAILED"});
  }
}

// groupAdvantages is a CPU kernel: timed here on the device host's CPU for the record.
static void groupAdvantagesCpu() {
  const int64_t n = 1 << 20;
  std::mt19937 rng(5);
  std::vector<float> scores(static_cast<size_t>(n));
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) {
    scores[size_t(i)] = float(rng() % 1000) / 1000.0f;
    ids[size_t(i)] = int32_t(rng() % (n / 8));  // ragged groups, 8 on average
  }
  std::vector<float> out(static_cast<size_t>(n));
  std::vector<double> ms;
  for (int k = 0; k < 11; k++) {
    GroupStats stats;
    Grouping g;
    g.ids = ids.data();
    auto t0 = std::chrono::steady_clock::now();
    Status st = groupAdvantages(scores.data(), n, g, {}, out.data(), &stats);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (!st.ok()) failures++;
  }
  std::sort(ms.begin(), ms.end());
  table.push_back({"groupAdvantages grpo (CPU of this host)", "1M scores, ragged", fmt("%.2f ms", ms[ms.size() / 2]), "", "", ""});
}

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (!cuda::available()) {
    std::printf("no usable CUDA device\n");
    return 3;
  }
  cuda::DeviceInfo d = cuda::deviceInfo();
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  std::printf("device %d: %s, %d SMs, %.1f GiB, sm_%d; driver API %d, runtime %d\n", d.device, d.name.c_str(),
              d.multiprocessors, d.memoryBytes / double(1 << 30), d.computeCapability, driver, runtime);
  cudaStream_t s;
  CK(cudaStreamCreate(&s));
  Bandwidth bw = measureBandwidth(s);
  checkTokenLogprobs();
  const int64_t V = 151936;
  timeTokenLogprobs(s, bw, DType::BFloat16, quick ? 2048 : 16384, V, 3);
  timeTokenLogprobs(s, bw, DType::Float32, quick ? 2048 : 16384, V, 2);
  timeTokenLogprobsHost(bw, DType::BFloat16, quick ? 512 : 4096, V);
  checkKL();
  timeKL(s, bw, quick ? 1024 : 8192, V);
  shapley(s);
  groupAdvantagesCpu();
  harness::printTable(table);
  std::printf("\n%s: %d failures\n", failures ? "FAILED" : "ok", failures);
  return failures ? 1 : 0;
}
