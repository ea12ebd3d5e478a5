// A process-wide shelf of emptied vectors, so arrays a call builds and drops keep their pages for the
// next call. A fresh half-MiB vector per call is grown from the heap and trimmed back when freed
// (glibc's thresholds follow the sizes freed), so each call faulted its pages in again: 633 faults
// per groupAdvantages call at 123K groups, ~6 ms where a fault costs 10 us (a VM; bench/RESULTS.md).
#pragma once
#include <cstddef>
#include <mutex>
#include <vector>

namespace infogain {

template <class T>
class Shelf {
 public:
  // an empty vector, with the capacity of one given back earlier when there is one
  static std::vector<T> take() {
    Shelf& s = instance();
    std::lock_guard<std::mutex> lock(s.mu_);
    if (s.kept_.empty()) return {};
    std::vector<T> v = std::move(s.kept_.back());
    s.kept_.pop_back();
    s.bytes_ -= v.capacity() * sizeof(T);
    return v;
  }
  // keeps v's memory while the shelf holds under kMaxBytes; frees it otherwise
  static void give(std::vector<T>&& v) {
    const size_t bytes = v.capacity() * sizeof(T);
    if (bytes == 0) return;
    v.clear();
    Shelf& s = instance();
    std::lock_guard<std::mutex> lock(s.mu_);
    if (s.bytes_ + bytes > kMaxBytes) return;
    s.bytes_ += bytes;
    s.kept_.push_back(std::move(v));
  }

 private:
  static constexpr size_t kMaxBytes = size_t(16) << 20;  // per element type
  static Shelf& instance() {
    static Shelf* s = new Shelf();  // never destroyed: pool threads may outlive static teardown
    return *s;
  }
  std::mutex mu_;
  std::vector<std::vector<T>> kept_;
  size_t bytes_ = 0;
};

}  // namespace infogain
