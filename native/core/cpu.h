// Which CPU instruction set and how many threads the kernels use. Process-wide.
#pragma once
#include "status.h"

namespace infogain {

enum class Isa : int32_t { Scalar = 0, Avx2 = 1, Avx512 = 2 };

const char* isaName(Isa isa);
bool parseIsa(const char* name, Isa* out);

Isa detectedIsa();  // the best this CPU and OS support
Isa activeIsa();    // what the kernels use now: detectedIsa() unless lowered
Status setActiveIsa(Isa isa);  // RangeError when the CPU lacks it

int threadCount();
Status setThreadCount(int threads);  // 1..1024

}  // namespace infogain
