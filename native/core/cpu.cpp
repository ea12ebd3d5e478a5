#include "cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace infogain {

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "scalar";
  }
}

bool parseIsa(const char* name, Isa* out) {
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
    if (std::strcmp(name, isaName(isa)) == 0) {
      *out = isa;
      return true;
    }
  }
  return false;
}

Isa detectedIsa() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // libgcc's cpu model also checks XGETBV, so these imply the OS saves the wide registers.
  static const Isa isa = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
      return Isa::Avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
    return Isa::Scalar;
  }();
  return isa;
#else
  return Isa::Scalar;
#endif
}

bool cpuIsAmd() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool amd = [] {
    __builtin_cpu_init();
    return __builtin_cpu_is("amd") != 0;
  }();
  return amd;
#else
  return false;
#endif
}

// INFOGAIN_ISA and INFOGAIN_THREADS set the starting values; configure() changes them later.
static std::atomic<int> g_isa{-1};
static std::atomic<int> g_threads{0};
static thread_local const CpuSettings* t_settings = nullptr;  // set by UseCpuSettings

static Isa processIsa() {
  int v = g_isa.load(std::memory_order_relaxed);
  if (v >= 0) return Isa(v);
  Isa isa = detectedIsa();
  const char* env = std::getenv("INFOGAIN_ISA");
  Isa wanted;
  if (env && parseIsa(env, &wanted) && int(wanted) <= int(isa)) isa = wanted;
  g_isa.store(int(isa));
  return isa;
}

Status setActiveIsa(Isa isa) {
  if (int(isa) > int(detectedIsa()))
    return rangeError(codes::kRange, "isa", -1,
                      std::string("this CPU supports at most '") + isaName(detectedIsa()) + "', not '" +
                          isaName(isa) + "'");
  g_isa.store(int(isa));
  return Status::Ok();
}

static int processThreads() {
  int v = g_threads.load(std::memory_order_relaxed);
  if (v > 0) return v;
  int n = int(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  if (const char* env = std::getenv("INFOGAIN_THREADS")) {
    int e = std::atoi(env);
    if (e >= 1 && e <= 1024) n = e;
  }
  g_threads.store(n);
  return n;
}

Isa activeIsa() { return t_settings ? t_settings->isa : processIsa(); }
int threadCount() { return t_settings ? t_settings->threads : processThreads(); }
CpuSettings cpuSettings() { return t_settings ? *t_settings : CpuSettings{processIsa(), processThreads()}; }

UseCpuSettings::UseCpuSettings(const CpuSettings& settings) : settings_(settings), previous_(t_settings) {
  t_settings = &settings_;
}
UseCpuSettings::~UseCpuSettings() { t_settings = previous_; }

Status setThreadCount(int threads) {
  if (threads < 1 || threads > 1024)
    return rangeError(codes::kRange, "threads", -1, "threads must be an integer in [1, 1024]");
  g_threads.store(threads);
  return Status::Ok();
}

}  // namespace infogain
