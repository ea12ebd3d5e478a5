// The values of the coalitions an estimator has asked for: each distinct coalition is asked for
// once, and its value, once observed, serves every unit that uses it.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "key_index.h"

namespace infogain {

class CoalitionStore {
 public:
  // Slot of mask, or -1 when it was never asked for.
  int64_t slotOf(uint32_t mask) const { return index_.find(mask); }
  bool asked(uint32_t mask) const { return slotOf(mask) >= 0; }

  // Adds a mask not asked for yet; returns its slot.
  int64_t add(uint32_t mask) {
    int64_t slot = int64_t(masks_.size());
    index_.insert(mask, slot);
    masks_.push_back(mask);
    values_.push_back(NAN);
    observed_.push_back(0);
    return slot;
  }

  void set(int64_t slot, double value) {
    values_[size_t(slot)] = value;
    observed_[size_t(slot)] = 1;
    observedCount_++;
  }

  bool observed(int64_t slot) const { return slot >= 0 && observed_[size_t(slot)]; }

  // The observed value of mask, or NaN.
  double value(uint32_t mask) const {
    int64_t s = slotOf(mask);
    return s >= 0 ? values_[size_t(s)] : NAN;
  }
  bool known(uint32_t mask) const { return observed(slotOf(mask)); }

  int64_t size() const { return int64_t(masks_.size()); }
  int64_t observedCount() const { return observedCount_; }
  uint32_t maskAt(int64_t slot) const { return masks_[size_t(slot)]; }
  double valueAt(int64_t slot) const { return values_[size_t(slot)]; }
  int64_t memoryBytes() const {
    return int64_t(sizeof(*this)) + index_.memoryBytes() + heapBytes(masks_) + heapBytes(values_) + heapBytes(observed_);
  }

 private:
  KeyIndex index_;
  std::vector<uint32_t> masks_;
  std::vector<double> values_;
  std::vector<uint8_t> observed_;
  int64_t observedCount_ = 0;
};

}  // namespace infogain
