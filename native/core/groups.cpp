#include "groups.h"

#include <algorithm>
#include <string>

#include "chunks.h"

namespace infogain {
namespace {

// Ids too sparse to be slots: dense slots in ascending id order, by a stable LSD radix sort of
// (id, sample) pairs, 11 bits per pass.
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
  out->storage.resize(size_t(n));
  int64_t last = -1;
  for (uint64_t v : a) {
    const int64_t id = int64_t(v >> 32);
    if (id != last) {
      out->slotIds.push_back(int32_t(id));
      last = id;
    }
    out->storage[size_t(v & 0xffffffffu)] = int32_t(out->slotIds.size() - 1);
  }
  out->slots = int64_t(out->slotIds.size());
  out->slotOf = out->storage.data();
}

// min and max of the ids (maxId at least 0), in chunks on the pool. Baseline x86-64 has no packed
// int32 min/max, so each accumulator is a cmov chain: four per chunk, two chunks per thread at 1M
// ids (one chain over 1M ids was 0.5 ms, a tenth of groupAdvantages).
void idRange(const int32_t* ids, int64_t n, int32_t* minId, int32_t* maxId) {
  constexpr int64_t kIdChunk = 1 << 18;
  std::vector<int32_t> lo(size_t(chunkCount(n, kIdChunk))), hi(lo.size());
  forChunks(n, kIdChunk, [&](int64_t c, int64_t begin, int64_t end) {
    int32_t a[4] = {INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX}, b[4] = {0, 0, 0, 0};
    int64_t i = begin;
    for (; i + 4 <= end; i += 4)
      for (int k = 0; k < 4; k++) {
        a[k] = std::min(a[k], ids[i + k]);
        b[k] = std::max(b[k], ids[i + k]);
      }
    for (; i < end; i++) {
      a[0] = std::min(a[0], ids[i]);
      b[0] = std::max(b[0], ids[i]);
    }
    lo[size_t(c)] = std::min(std::min(a[0], a[1]), std::min(a[2], a[3]));
    hi[size_t(c)] = std::max(std::max(b[0], b[1]), std::max(b[2], b[3]));
  });
  *minId = *std::min_element(lo.begin(), lo.end());
  *maxId = *std::max_element(hi.begin(), hi.end());
}

}  // namespace

Status buildGroupIndex(const Grouping& grouping, int64_t n, const char* argument, GroupIndex* out) {
  *out = GroupIndex();
  if (n < 1) return rangeError(codes::kShape, argument, -1, "there are no samples to group");
  if (n > INT32_MAX) return rangeError(codes::kShape, argument, -1, "more than 2^31 - 1 samples");
  if (!grouping.ids) {
    const int64_t size = grouping.groupSize;
    if (size < 1) return rangeError(codes::kRange, "groupSize", -1, "groupSize must be an integer >= 1");
    if (n % size != 0)
      return rangeError(codes::kShape, "groupSize", -1,
                        std::to_string(n) + " samples are not a whole number of groups of " + std::to_string(size));
    out->storage.resize(size_t(n));
    for (int64_t g = 0; g < n / size; g++)
      std::fill(out->storage.begin() + g * size, out->storage.begin() + (g + 1) * size, int32_t(g));
    out->slots = n / size;
    out->slotOf = out->storage.data();
    return Status::Ok();
  }
  int32_t minId = INT32_MAX, maxId = 0;  // find the culprit only on failure
  idRange(grouping.ids, n, &minId, &maxId);
  if (minId < 0)
    for (int64_t i = 0; i < n; i++)
      if (grouping.ids[i] < 0)
        return rangeError(codes::kRange, argument, i,
                          std::string(argument) + "[" + std::to_string(i) + "] = " + std::to_string(grouping.ids[i]) +
                              " is negative; group ids must be >= 0");
  if (int64_t(maxId) < n + 4096) {  // the ids are the slots: per-slot arrays stay O(n)
    out->slotOf = grouping.ids;
    out->slots = int64_t(maxId) + 1;
  } else {
    indexBySort(grouping.ids, n, out);
  }
  return Status::Ok();
}

std::vector<int32_t> slotCounts(const GroupIndex& index, int64_t n) {
  std::vector<int32_t> count(size_t(index.slots), 0);
  for (int64_t i = 0; i < n; i++) count[size_t(index.slotOf[i])]++;
  return count;
}

}  // namespace infogain
