// The smallest row index that any thread reported as bad: kernels run rows in parallel and then
// report the first bad one, whichever thread saw it.
#pragma once
#include <atomic>
#include <cstdint>

namespace infogain {

struct FirstBad {
  std::atomic<int64_t> row;
  explicit FirstBad(int64_t none) : row(none) {}
  void report(int64_t r) {
    int64_t cur = row.load();
    while (r < cur && !row.compare_exchange_weak(cur, r)) {}
  }
  int64_t get() const { return row.load(); }
};

}  // namespace infogain
