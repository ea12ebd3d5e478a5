// The next block streams into cache while this one is summed: without it, the first sweep of the next
// block waits on DRAM with no math to hide it. One prefetch per 64-byte line of the kElems elements
// at element i of the stream `next` (the element after the block).
#pragma once

namespace infogain {
namespace kernel {

template <int kElems, class T>
static inline void prefetchStep(const T* next, int i) {
  const char* at = reinterpret_cast<const char*>(next + i);
  for (int b = 0; b < kElems * int(sizeof(T)); b += 64) __builtin_prefetch(at + b);
}

}  // namespace kernel
}  // namespace infogain
