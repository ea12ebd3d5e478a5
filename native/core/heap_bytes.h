// Heap bytes held by containers, for objects that report their native memory to the JS engine
// (ShapleyEstimator::memoryBytes): capacities, not sizes, since that is what is allocated.
#pragma once
#include <cstdint>
#include <vector>

namespace infogain {

template <class T>
int64_t heapBytes(const std::vector<T>& v) {
  return int64_t(v.capacity() * sizeof(T));
}

template <class T>
int64_t heapBytes(const std::vector<std::vector<T>>& v) {
  int64_t bytes = int64_t(v.capacity() * sizeof(std::vector<T>));
  for (const std::vector<T>& inner : v) bytes += heapBytes(inner);
  return bytes;
}

}  // namespace infogain
