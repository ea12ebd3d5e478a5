// Which CPU instruction set and how many threads the kernels use. Process-wide.
#pragma once
#include "status.h"

namespace infogain {

enum class Isa : int32_t { Scalar = 0, Avx2 = 1, Avx512 = 2 };

const char* isaName(Isa isa);
bool parseIsa(const char* name, Isa* out);

Isa detectedIsa();  // the best this CPU and OS support
bool cpuIsAmd();    // for loop shapes whose best choice differs by vendor (softmax_stats.cpp)
Isa activeIsa();    // what the kernels use now: detectedIsa() unless lowered
Status setActiveIsa(Isa isa);  // RangeError when the CPU lacks it

int threadCount();
Status setThreadCount(int threads);  // 1..1024

// What activeIsa() and threadCount() return. configure() may change the process-wide values at
// any time, from any thread, while calls run; a call captures them once (cpuSettings()) and runs
// under them (UseCpuSettings), so one result never mixes instruction sets or thread splits.
struct CpuSettings {
  Isa isa;
  int threads;
};

// What a call starting now on this thread runs under: the settings in use here, else the process-wide ones.
CpuSettings cpuSettings();

// While alive, activeIsa() and threadCount() on this thread return `settings`, and parallelFor
// hands them to the pool threads that help this thread (parallel.cpp).
class UseCpuSettings {
 public:
  explicit UseCpuSettings(const CpuSettings& settings);
  ~UseCpuSettings();
  UseCpuSettings(const UseCpuSettings&) = delete;
  UseCpuSettings& operator=(const UseCpuSettings&) = delete;

 private:
  CpuSettings settings_;
  const CpuSettings* previous_;
};

}  // namespace infogain
