// What native/node/call_inputs.cpp's allocateCopy weighs: allocate, copy into and free a buffer of
// each size, 15 times in a row, with malloc or with 2 MiB-aligned memory advised MADV_HUGEPAGE.
//   g++ -O2 bench/copy-alloc.cpp -o /tmp/copy-alloc && /tmp/copy-alloc
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using Clock = std::chrono::steady_clock;
volatile unsigned sink;  // keeps the copies from being optimized away

int main() {
  constexpr size_t kHugePage = size_t(2) << 20;
  for (size_t mib : {1, 4, 16, 32, 148}) {
    const size_t n = mib << 20;
    std::vector<char> src(n, 1);
    for (bool huge : {false, true}) {
      std::vector<double> ms;
      for (int rep = 0; rep < 15; rep++) {
        const auto start = Clock::now();
        char* p;
        if (huge) {
          const size_t rounded = (n + kHugePage - 1) / kHugePage * kHugePage;
          p = static_cast<char*>(std::aligned_alloc(kHugePage, rounded));
          madvise(p, rounded, MADV_HUGEPAGE);
        } else {
          p = static_cast<char*>(std::malloc(n));
        }
        std::memcpy(p, src.data(), n);
        sink = p[n / 3];
        std::free(p);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
      std::sort(ms.begin(), ms.end());
      std::printf("| %zu MiB | %s | %.2f | %.2f |\n", mib, huge ? "2 MiB pages" : "malloc", ms[7], ms[0]);
    }
  }
}
