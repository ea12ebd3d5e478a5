// The C++ core alone against the read floor, round-robin in one process (no JS, N-API or output
// allocation): what bench/RESULTS.md's issue 19 section calls "the C++ harness".
//   cmake -S . -B build-native -DINFOGAIN_CUDA=OFF && cmake --build build-native --target infogain_core
//   g++ -O2 -std=c++17 -mf16c -Inative/core bench/core-floor.cpp build-native/libinfogain_core.a
//       -lpthread -o /tmp/core-floor
//   /tmp/core-floor logprobs|kl f32|bf16|f16 [threads]    [256, 151936] (kl: two of them), then the same
//                                                        kernel on rows kept in cache: the most of the floor its arithmetic allows
//   /tmp/core-floor shapley [threads]                    n = 25 (256 MiB table)
//   /tmp/core-floor advantages [threads]                 grpo, 1M scores in 123K ragged groups
//   /tmp/core-floor faults                               what a first touch of a fresh 4 KiB page costs here
// (npm run build:native leaves the same library at build/libinfogain_core.a.)
#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "advantages.h"
#include "bandwidth.h"
#include "cpu.h"
#include "kl_divergence.h"
#include "logprobs.h"
#include "shapley/shapley.h"

using namespace infogain;
using Clock = std::chrono::steady_clock;

static double secondsOf(const std::function<void()>& fn) {
  const auto t = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// best of `rounds` for the kernel and for the floor (every read strategy), interleaved; returns the floor's best
static double report(const char* what, const void* data, int64_t bytes, const std::function<void()>& kernel, int rounds) {
  double k = 1e30, f = 1e30;
  std::vector<double> all;
  for (int r = 0; r < rounds; r++) {
    for (int s = 0; s < readStrategyCount(); s++) f = std::min(f, secondsOf([&] { readPass(data, bytes, s); }));
    const double t = secondsOf(kernel);
    k = std::min(k, t);
    all.push_back(t);
  }
  std::sort(all.begin(), all.end());
  std::printf("%s: best %.2f ms (median %.2f), one read %.2f ms: %.0f%% of the floor, %.2fx one read\n", what, k * 1e3,
              all[all.size() / 2] * 1e3, f * 1e3, 100 * f / k, k / f);
  return f;
}

static uint16_t narrow(float x, DType t) {
  if (t == DType::BFloat16) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
  }
  return uint16_t(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT));
}

int main(int argc, char** argv) {
  const std::string kernel = argc > 1 ? argv[1] : "logprobs";
  const bool rowKernel = kernel == "logprobs" || kernel == "kl";
  const std::string dt = rowKernel && argc > 2 ? argv[2] : "f32";
  const int threadArg = rowKernel ? 3 : 2;
  if (argc > threadArg) setThreadCount(std::atoi(argv[threadArg]));
  if (rowKernel) {
    const int64_t rows = 256, vocab = 151936, n = rows * vocab, mats = kernel == "kl" ? 2 : 1;
    const DType t = dt == "bf16" ? DType::BFloat16 : dt == "f16" ? DType::Float16 : DType::Float32;
    std::vector<float> f(size_t(mats * n));
    for (int64_t i = 0; i < n; i++) {
      f[size_t(i)] = 4 * std::sin(i * 0.618f) + (i % 13) * 0.1f;
      if (mats == 2) f[size_t(n + i)] = f[size_t(i)] + std::cos(i * 1.37f);
    }
    std::vector<uint16_t> h;
    if (t != DType::Float32) {
      h.resize(f.size());
      for (size_t i = 0; i < f.size(); i++) h[i] = narrow(f[i], t);
    }
    const char* base = t == DType::Float32 ? reinterpret_cast<const char*>(f.data()) : reinterpret_cast<const char*>(h.data());
    LogitsView p;
    p.data = base, p.rows = rows, p.vocab = vocab, p.dtype = t;
    LogitsView q = p;
    q.data = base + n * dtypeSize(t);
    std::vector<int32_t> targets(static_cast<size_t>(rows), 3);
    std::vector<float> a(static_cast<size_t>(rows)), b(a), c(a);
    const int64_t bytes = mats * n * dtypeSize(t);
    auto run = [&](int64_t r) {
      LogitsView pr = p, qr = q;
      pr.rows = qr.rows = r;
      if (kernel == "kl")
        klDivergence(pr, qr, KLOptions(), a.data());
      else
        tokenLogprobs(pr, targets.data(), TokenLogprobsOptions(), TokenLogprobsOutput{a.data(), b.data(), c.data()});
    };
    const std::string name = (kernel == "kl" ? "klDivergence " : "tokenLogprobs + entropy ") + dt;
    const double floor = report(name.c_str(), base, bytes, [&] { run(rows); }, 15);
    // the same kernel on 8 rows per thread kept in cache (L2/L3): its arithmetic alone,
    // so the most of the floor this loop can reach on this machine
    const int64_t hot = 8 * threadCount();
    double best = 1e30;
    for (int r = 0; r < 200; r++) best = std::min(best, secondsOf([&] { run(hot); }));
    const double perElementHot = best / double(hot * vocab), perElementFloor = floor / double(n);
    std::printf("  in cache (%d rows): %.2f ns per 16 elements per thread, the floor %.2f: the arithmetic allows %.0f%% of the floor\n",
                int(hot), 16e9 * perElementHot * threadCount(), 16e9 * perElementFloor * threadCount(),
                100 * perElementFloor / perElementHot);
  } else if (kernel == "faults") {
    // fresh outputs of large calls are page-faulted in on first write: on a VM that can cost more than the kernel
    const size_t bytes = size_t(16) << 20;
    double best = 1e30;
    for (int r = 0; r < 9; r++) {
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return 1;
      best = std::min(best, secondsOf([&] {
        for (size_t i = 0; i < bytes; i += 4096) static_cast<volatile char*>(p)[i] = 1;
      }));
      munmap(p, bytes);
    }
    std::printf("first touch of a fresh 4 KiB page: %.2f us (best of 9 x 16 MiB)\n", best * 1e6 / double(bytes / 4096));
  } else if (kernel == "shapley") {
    const int64_t len = int64_t(1) << 25;
    std::vector<double> v(static_cast<size_t>(len)), phi(25);
    for (int64_t m = 0; m < len; m++) v[size_t(m)] = std::sin(m * 0.618) - 40;
    report("shapleyExact n = 25", v.data(), len * 8, [&] { shapleyExact(v.data(), len, ShapleyIndex::Shapley, phi.data()); }, 9);
  } else {
    const int64_t n = 1 << 20;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0, 1);
    std::vector<float> x(static_cast<size_t>(n)), out(x.size());
    std::vector<int32_t> ids(x.size());
    for (auto& s : x) s = (u(rng) < 0.5f ? 1.0f : 0.0f) + 0.1f * u(rng);
    for (int64_t i = 0, g = 0; i < n; g++)
      for (int s = 1 + int(u(rng) * 16); s > 0 && i < n; s--) ids[size_t(i++)] = int32_t(g);
    std::shuffle(ids.begin(), ids.end(), rng);
    Grouping grouping;
    grouping.ids = ids.data();
    report("groupAdvantages grpo, 1M scores (floor: one read of the scores)", x.data(), n * 4, [&] {
      GroupStats stats;
      groupAdvantages(x.data(), n, grouping, GroupAdvantagesOptions(), out.data(), &stats);
    }, 31);
  }
}
