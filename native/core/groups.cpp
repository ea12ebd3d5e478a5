#include "groups.h"

#include <algorithm>
#include <string>

namespace infogain {
namespace {

// Small id ranges: a lookup table id -> dense index, filled in ascending id order.
void indexByTable(const int32_t* ids, int64_t n, int32_t maxId, GroupIndex* out) {
  std::vector<int32_t> dense(size_t(maxId) + 1, -1);
  for (int64_t i = 0; i < n; i++) dense[size_t(ids[i])] = 0;
  int32_t next = 0;
  for (int32_t id = 0; id <= maxId; id++)
    if (dense[size_t(id)] == 0) {
      dense[size_t(id)] = next++;
      out->ids.push_back(id);
    }
  for (int64_t i = 0; i < n; i++) out->groupOf[size_t(i)] = dense[size_t(ids[i])];
}

// Sparse ids (e.g. hashes): a stable LSD radix sort of (id, sample) pairs, 11 bits per pass.
void indexBySort(const int32_t* ids, int64_t n, GroupIndex* out) {
  std::vector<uint64_t> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) a[size_t(i)] = (uint64_t(uint32_t(ids[i])) << 32) | uint64_t(i);
  for (int shift = 32; shift < 63; shift += 11) {
    size_t count[2049] = {0};
    for (uint64_t v : a) count[((v >> shift) & 2047) + 1]++;
    for (int d = 0; d < 2048; d++) count[d + 1] += count[d];
    for (uint64_t v : a) b[count[(v >> shift) & 2047]++] = v;
    a.swap(b);
  }
  int64_t last = -1;
  for (uint64_t v : a) {
    int64_t id = int64_t(v >> 32);
    if (id != last) {
      out->ids.push_back(int32_t(id));
      last = id;
    }
    out->groupOf[size_t(v & 0xffffffffu)] = int32_t(out->ids.size() - 1);
  }
}

}  // namespace

Status buildGroupIndex(const Grouping& grouping, int64_t n, const char* argument, GroupIndex* out) {
  out->ids.clear();
  out->groupOf.assign(size_t(n > 0 ? n : 0), 0);
  if (n < 1) return rangeError(codes::kShape, argument, -1, "there are no samples to group");
  if (n > INT32_MAX) return rangeError(codes::kShape, argument, -1, "more than 2^31 - 1 samples");
  if (!grouping.ids) {
    const int64_t size = grouping.groupSize;
    if (size < 1) return rangeError(codes::kRange, "groupSize", -1, "groupSize must be an integer >= 1");
    if (n % size != 0)
      return rangeError(codes::kShape, "groupSize", -1,
                        std::to_string(n) + " samples are not a whole number of groups of " + std::to_string(size));
    for (int64_t g = 0; g < n / size; g++) {
      out->ids.push_back(int32_t(g));
      std::fill(out->groupOf.begin() + g * size, out->groupOf.begin() + (g + 1) * size, int32_t(g));
    }
    return Status::Ok();
  }
  int32_t maxId = 0;
  for (int64_t i = 0; i < n; i++) {
    int32_t id = grouping.ids[i];
    if (id < 0)
      return rangeError(codes::kRange, argument, i,
                        std::string(argument) + "[" + std::to_string(i) + "] = " + std::to_string(id) +
                            " is negative; group ids must be >= 0");
    maxId = std::max(maxId, id);
  }
  if (int64_t(maxId) < std::max<int64_t>(4 * n, 1 << 16))
    indexByTable(grouping.ids, n, maxId, out);
  else
    indexBySort(grouping.ids, n, out);
  return Status::Ok();
}

}  // namespace infogain
