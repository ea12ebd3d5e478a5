// Per-group moments of one score per sample, for the GRPO family's hot path (1M scores in ~100K
// ragged groups): one fused scatter pass into reused, thread-private tables, then a merge.
#pragma once
#include <cstdint>

#include "groups.h"

namespace infogain {

// Fills m[0, index.slots) with each slot's count, mean and m2 (mean NaN for an empty slot).
// Unit weights. Returns false when a score is not finite (the caller names the first one).
// The samples go in a fixed number of contiguous parts (independent of the thread count, so the
// result is the same bits on any `threads` setting), each scattered into its own table:
// - shifted sums around the first score of the group seen in the part (K): d = x - K is exact in
//   float64 for float32 scores, and sum d, sum d^2 lose nothing to cancellation that matters
//   (|d| <= the group's range), all-equal groups give m2 = 0 exactly, and no division per element
//   (Welford's update has one);
// - tables live in a process-wide pool and are reused across calls: no allocation, no zero-fill
//   (an entry whose stamp is not this call's counts as empty), no page faults after the first call.
bool slotMoments(const float* scores, int64_t n, const GroupIndex& index, Moments* m);

}  // namespace infogain
