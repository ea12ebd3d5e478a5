// An open-addressing hash map from 64-bit keys (coalition masks, or player << 32 | mask) to slot
// numbers: the estimators' cache lookups run in tens of nanoseconds.
#pragma once
#include <cstdint>
#include <vector>

#include "../heap_bytes.h"

namespace infogain {

class KeyIndex {
 public:
  // The slot stored for key, or -1.
  int64_t find(uint64_t key) const {
    if (keys_.empty()) return -1;
    for (size_t i = home(key);; i = (i + 1) & mask_) {
      if (keys_[i] == 0) return -1;
      if (keys_[i] == key + 1) return slots_[i];
    }
  }

  // Stores a key that is not present yet.
  void insert(uint64_t key, int64_t slot) {
    if ((size_ + 1) * 2 > keys_.size()) grow();
    size_t i = home(key);
    while (keys_[i] != 0) i = (i + 1) & mask_;
    keys_[i] = key + 1;
    slots_[i] = slot;
    size_++;
  }

  size_t size() const { return size_; }
  int64_t memoryBytes() const { return heapBytes(keys_) + heapBytes(slots_); }

 private:
  size_t home(uint64_t key) const { return size_t((key * 0x9E3779B97F4A7C15ull) >> shift_); }

  void grow() {
    std::vector<uint64_t> oldKeys = std::move(keys_);
    std::vector<int64_t> oldSlots = std::move(slots_);
    size_t cap = oldKeys.empty() ? 64 : oldKeys.size() * 2;
    keys_.assign(cap, 0);
    slots_.assign(cap, -1);
    mask_ = cap - 1;
    shift_ = 64 - __builtin_ctzll(cap);
    size_ = 0;
    for (size_t i = 0; i < oldKeys.size(); i++)
      if (oldKeys[i] != 0) insert(oldKeys[i] - 1, oldSlots[i]);
  }

  std::vector<uint64_t> keys_;  // key + 1; 0 marks an empty cell
  std::vector<int64_t> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

}  // namespace infogain
