// options.spans and options.reduce of the divergence bindings: spans over `length` items, checked
// by checkSpans (non-empty when reducing by mean), then reduced over the kernel's output.
#pragma once
#include "../../../native/core/spans.h"
#include "../fuzz.h"

namespace fuzz {

class SpanOption {
 public:
  SpanOption(Source& src, int64_t length)
      : present_(src.flag()), count_(present_ ? src.count(6) : 0), pairs_(size_t(2 * count_)), length_(length) {
    src.spans(pairs_, count_, length);
    reduce_ = src.flag() ? infogain::Reduce::Sum : infogain::Reduce::Mean;
    pairs_.seal();
  }
  // What the binding does before the kernel; false when it would throw.
  bool check() {
    if (!present_) return true;
    infogain::Status st = infogain::checkSpans({pairs_.data(), count_}, length_, "spans", reduce_ == infogain::Reduce::Mean);
    checkStatus(st);
    return st.ok();
  }
  void reduce(const float* values) {
    if (!present_) return;
    FloatOut out(count_);
    infogain::reduceSpans(values, {pairs_.data(), count_}, reduce_, out.data());
    FUZZ_CHECK(out.written());
    FUZZ_CHECK(pairs_.unchanged());
  }

 private:
  bool present_;
  int64_t count_;
  Input<int32_t> pairs_;
  int64_t length_;
  infogain::Reduce reduce_;
};

}  // namespace fuzz
