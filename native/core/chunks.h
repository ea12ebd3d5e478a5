// Fixed-size chunks of an index range run on the thread pool. The chunking does not depend on the
// thread count, so a reduction that sums per-chunk partials in chunk order gives the same bits on
// every machine and every `threads` setting.
#pragma once
#include <cstdint>
#include <vector>

#include "cpu.h"
#include "parallel.h"

namespace infogain {

inline int64_t chunkCount(int64_t n, int64_t chunk) { return (n + chunk - 1) / chunk; }

// fn(chunkIndex, begin, end) for every chunk of [0, n).
template <class Fn>
void forChunks(int64_t n, int64_t chunk, const Fn& fn) {
  const int64_t tasks = chunkCount(n, chunk);
  auto run = [&](int64_t t) { fn(t, t * chunk, (t + 1) * chunk < n ? (t + 1) * chunk : n); };
  if (tasks <= 1 || threadCount() == 1) {
    for (int64_t t = 0; t < tasks; t++) run(t);
    return;
  }
  parallelFor(tasks, run);
}

// Sum of part(begin, end) over the chunks of [0, n), added in chunk order.
template <class Part>
double chunkedSum(int64_t n, int64_t chunk, const Part& part) {
  std::vector<double> partial(size_t(chunkCount(n, chunk)), 0.0);
  forChunks(n, chunk, [&](int64_t t, int64_t begin, int64_t end) { partial[size_t(t)] = part(begin, end); });
  double sum = 0;
  for (double p : partial) sum += p;
  return sum;
}

}  // namespace infogain
