#include "slot_moments.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <vector>

#include "chunks.h"
#include "parallel.h"

namespace infogain {
namespace {

constexpr int kParts = 2;                       // tables per call (see slot_moments.h)
constexpr int64_t kMinPartSamples = 1 << 15;    // below: one part, one thread
constexpr int64_t kMergeChunk = 1 << 14;        // slots per merge task

struct ShiftedSums {
  float k;          // the first score of the group in this part
  uint32_t stamp;   // == the table's epoch: the entry belongs to this call
  uint32_t count;
  uint32_t pad;
  double s1, s2;    // sum (x - k), sum (x - k)^2
};

struct Table {
  std::vector<ShiftedSums> e;
  uint32_t epoch = 0;
  // readies the table for a call over `slots` slots; returns this call's stamp
  uint32_t begin(int64_t slots) {
    if (int64_t(e.size()) < slots) e.resize(size_t(slots), ShiftedSums{0.0f, 0u, 0u, 0u, 0.0, 0.0});
    if (++epoch == 0) {  // wrapped: old stamps could alias, so clear them once every 2^32 calls
      for (ShiftedSums& s : e) s.stamp = 0;
      epoch = 1;
    }
    return epoch;
  }
};

// Tables are handed out whole to one call at a time (calls may run on many threads at once).
class TablePool {
 public:
  std::unique_ptr<Table> take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::make_unique<Table>();
    std::unique_ptr<Table> t = std::move(free_.back());
    free_.pop_back();
    return t;
  }
  // Tables over kKeepSlots slots are freed, not kept: a one-off call on 10M groups must not hold
  // hundreds of MiB for the rest of the process.
  void give(std::unique_ptr<Table> t) {
    if (t->e.size() > kKeepSlots) return;
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(t));
  }
  static constexpr size_t kKeepSlots = size_t(1) << 18;  // 8 MiB of 32-byte entries

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<Table>> free_;
};

TablePool& pool() {
  static TablePool* p = new TablePool();  // never destroyed: pool threads may outlive static teardown
  return *p;
}

// The entries of samples kPrefetch ahead are requested early: the table is too big for L2 at 100K
// groups, so the pass is bound by how many random lines are in flight at once (32 ahead: 2.7 ms
// where 16 took 3.05 and 8 took 3.55, Zen 5). Written as selects, which GCC 12 compiles to a branch
// on the stamp; masking the old entry off bit by bit (no branch) measured slower still.
constexpr int64_t kPrefetch = 32;
void scatter(const float* x, const int32_t* slotOf, int64_t begin, int64_t end, ShiftedSums* t, uint32_t stamp) {
  for (int64_t i = begin; i < end; i++) {
    if (i + kPrefetch < end) __builtin_prefetch(&t[slotOf[i + kPrefetch]], 1);
    ShiftedSums& e = t[slotOf[i]];
    const bool fresh = e.stamp != stamp;
    const float k = fresh ? x[i] : e.k;
    const double d = double(x[i]) - double(k);
    const uint32_t count = fresh ? 0u : e.count;
    const double s1 = fresh ? 0.0 : e.s1, s2 = fresh ? 0.0 : e.s2;
    e.k = k;
    e.stamp = stamp;
    e.count = count + 1u;
    e.s1 = s1 + d;
    e.s2 = s2 + d * d;
  }
}

}  // namespace

bool slotMoments(const float* scores, int64_t n, const GroupIndex& index, Moments* m) {
  const int parts = n >= 2 * kMinPartSamples ? kParts : 1;
  std::unique_ptr<Table> tables[kParts];
  uint32_t stamps[kParts];
  for (int p = 0; p < parts; p++) {
    tables[p] = pool().take();
    stamps[p] = tables[p]->begin(index.slots);
  }
  auto part = [&](int64_t p) {
    scatter(scores, index.slotOf, n * p / parts, n * (p + 1) / parts, tables[p]->e.data(), stamps[p]);
  };
  if (parts == 1 || threadCount() == 1) {
    for (int p = 0; p < parts; p++) part(p);
  } else {
    parallelFor(parts, part);
  }

  // merge the parts per slot (Chan, Golub & LeVeque), in part order
  std::vector<char> finite(size_t(chunkCount(index.slots, kMergeChunk)), 1);
  forChunks(index.slots, kMergeChunk, [&](int64_t c, int64_t begin, int64_t end) {
    bool ok = true;
    for (int64_t s = begin; s < end; s++) {
      double count = 0, mean = 0, m2 = 0;
      for (int p = 0; p < parts; p++) {
        const ShiftedSums& e = tables[p]->e[size_t(s)];
        if (e.stamp != stamps[p]) continue;
        const double c = e.count, pm = double(e.k) + e.s1 / c, pm2 = e.s2 - e.s1 * (e.s1 / c);
        if (count == 0) {
          count = c, mean = pm, m2 = pm2;
        } else {
          const double total = count + c, delta = pm - mean;
          mean += delta * (c / total);
          m2 += pm2 + delta * delta * (count * c / total);
          count = total;
        }
      }
      m2 = m2 > 0 ? m2 : (m2 == m2 ? 0.0 : m2);  // rounding can leave a tiny negative; NaN stays
      ok = ok && (count == 0 || std::isfinite(mean + m2));
      m[s].count = count;
      m[s].mean = count > 0 ? mean : NAN;
      m[s].m2 = m2;
    }
    finite[size_t(c)] = ok;
  });
  for (int p = 0; p < parts; p++) pool().give(std::move(tables[p]));
  return std::all_of(finite.begin(), finite.end(), [](char f) { return f != 0; });
}

}  // namespace infogain
