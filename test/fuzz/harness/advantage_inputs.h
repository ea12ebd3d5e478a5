// Groupings and token layouts as native/node/advantage_args.cpp unpacks them: the binding checks
// lengths (ids: n; offsets: rows + 1 with a last offset >= 0 matching the token count; mask: one
// byte per token; columns an integer >= 1 with rows * columns < 2^31) and leaves element values
// (ids, offsets, mask bytes) to native/core, so those come raw from the fuzzer.
#pragma once
#include <memory>

#include "../../../native/core/groups.h"
#include "../../../native/core/token_layout.h"
#include "../fuzz.h"

namespace fuzz {

class GroupingArg {
 public:
  GroupingArg(Source& src, int64_t n) : ids_(n) {
    const uint8_t mode = src.byte();
    if (mode < 100) {  // small ids: slots are the ids
      const int32_t groups = src.range<int32_t>(1, 4);
      src.fill(ids_, [&] { return src.byte() < 250 ? src.range<int32_t>(0, groups - 1) : src.index(n); });
    } else if (mode < 150) {  // sparse ids: the radix-sorted index
      src.fill(ids_, [&] { return src.byte() < 250 ? src.range<int32_t>(5000, 5003) * 100000 : src.anyInt32(); });
    } else {
      groupSize_ = src.byte() < 240 ? src.range<int64_t>(1, n > 0 ? n : 1) : src.range<int64_t>(-1, 2147483647);
      src.fill(ids_, [] { return 0; });  // unused, but compared by unchanged()
    }
    ids_.seal();
  }
  infogain::Grouping view() { return groupSize_ ? infogain::Grouping{nullptr, groupSize_} : infogain::Grouping{ids_.data(), 0}; }
  bool unchanged() const { return ids_.unchanged(); }

 private:
  Input<int32_t> ids_;
  int64_t groupSize_ = 0;
};

// A layout; `rows` < 0: derived (padded: tokens / columns; packed: any offset count),
// `tokens` < 0: derived from the layout. valid() is false where the binding would throw.
class LayoutArg {
 public:
  static constexpr int64_t kMaxTokens = 4096;

  LayoutArg(Source& src, int64_t rows, int64_t tokens) {
    packed_ = src.flag();
    if (packed_) {
      const int64_t r = rows >= 0 ? rows : src.count(8);
      const int64_t total = tokens >= 0 ? tokens : src.count(48);
      offsets_ = std::make_unique<Input<int32_t>>(size_t(r + 1));
      src.offsets(*offsets_, r, total);
      offsets_->seal();
      layout_.offsets = offsets_->data();
      layout_.rows = r;
      const int64_t last = (*offsets_)[size_t(r)];
      // a last offset of 2^31 - 1 is a valid request for an 8 GiB output; the harness stays small
      valid_ = last >= 0 && last <= kMaxTokens && (tokens < 0 || last == tokens);
    } else {
      layout_.columns = src.range<int64_t>(1, 12);
      if (rows < 0) {
        valid_ = tokens % layout_.columns == 0;
        rows = tokens / layout_.columns;
      }
      layout_.rows = rows;
      if (tokens >= 0 && rows * layout_.columns != tokens) valid_ = false;
    }
    if (!valid_) return;
    if (src.flag()) {
      mask_ = std::make_unique<Input<uint8_t>>(size_t(layout_.tokens()));
      src.fill(*mask_, [&] { return src.byte() < 250 ? uint8_t(src.flag()) : src.byte(); });
      mask_->seal();
      layout_.mask = mask_->data();
    }
  }
  bool valid() const { return valid_; }
  const infogain::TokenLayout& view() const { return layout_; }
  int64_t tokens() const { return layout_.tokens(); }
  bool unchanged() const { return (!offsets_ || offsets_->unchanged()) && (!mask_ || mask_->unchanged()); }

 private:
  bool packed_ = false, valid_ = true;
  infogain::TokenLayout layout_;
  std::unique_ptr<Input<int32_t>> offsets_;
  std::unique_ptr<Input<uint8_t>> mask_;
};

inline void checkStats(const infogain::GroupStats& s) {
  const size_t n = s.ids.size();
  FUZZ_CHECK(s.count.size() == n && s.mean.size() == n && s.std.size() == n && s.slots.size() == n);
  for (size_t k = 1; k < n; k++) FUZZ_CHECK(s.ids[k] > s.ids[k - 1]);
}

}  // namespace fuzz
