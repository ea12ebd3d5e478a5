// The softmax-statistics loop, written once over a vector type V (simd/vec_*.h) and
// instantiated per ISA in softmax_stats_{scalar,avx2,avx512}.cpp.
// ISA files are built with wider flags than the rest: every helper they share with other
// files is a template on V or `static`, so the linker can never hand AVX-512 code to a scalar caller.
//
// Each lane keeps its own running max m of the raw logits. Data goes in blocks that fit L1. The first block (and any later block whose max
// runs more than kAheadLimit past a lane's m) takes two sweeps: the block max, one rescale, then
// 2^d with d = (x - m) * log2(e) / T, subtracting before scaling so d is exact where it matters
// (|logits| ~ 1e4 that differ by a few units). Every other block of a 16-bit row (and of a float32
// row where float32OneSweep(), softmax_stats.h) takes ONE sweep (addBlockOneSweep):
// d = fmsub(x, c, m c) against the max of the blocks before, with this block's max taken alongside;
// the rounding of m c is taken back once per block (its residual r = m c - round(m c), from one
// more FMA) and the sums move to the new max after the block instead of before it: each element
// costs one load (and its conversion) and one vector op less, and |logits| ~ 1e4 stay exact.
// NaN and +inf need no test of their own: they turn the sum into NaN, which reduceLanes flags.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "dtype.h"
#include "simd/exp_poly.h"
#include "simd/prefetch.h"
#include "softmax_stats.h"

namespace infogain {
namespace kernel {

// Elements per block, a multiple of 4 * 16: a one-sweep block pays ~a hundred cycles of its own
// (lane sums moved, two exp2s, a division), which at 1024 elements was 7-10% of a float32 row on
// Zen 5; a float32 block (16 KiB) still fits L1 for the two-sweep path. (KL has its own, kPairBlock.)
constexpr int kBlock = 4096;
constexpr float kNoMax = -3.402823466e38f;

// Element loaders: two vectors (2 * W elements) at a time, widened to float32, in any order.
struct LoadF32 {
  using T = float;
  static constexpr DType dtype = DType::Float32;
  template <class V> static void load2(const float* p, typename V::V& a, typename V::V& b) {
    a = V::loadF32(p);
    b = V::loadF32(p + V::W);
  }
};
struct LoadF16 {
  using T = uint16_t;
  static constexpr DType dtype = DType::Float16;
  template <class V> static void load2(const uint16_t* p, typename V::V& a, typename V::V& b) {
    a = V::loadF16(p);
    b = V::loadF16(p + V::W);
  }
};
struct LoadBF16 {
  using T = uint16_t;
  static constexpr DType dtype = DType::BFloat16;
  template <class V> static void load2(const uint16_t* p, typename V::V& a, typename V::V& b) {
    V::loadBF16x2(p, a, b);
  }
};

// Per-lane state: m the raw max, s = sum 2^d, w = sum 2^d d (base-2 units).
template <class V>
struct LaneStats {
  typename V::V m = V::set1(kNoMax), s = V::set1(0.0f), w = V::set1(0.0f);
};

// Folds `len` elements at p (len a multiple of 4 * V::W) into the lane stats; c = log2(e) / T.
template <class V, class L>
static inline void addBlock(const typename L::T* p, int len, typename V::V c, LaneStats<V>& st) {
  using Vec = typename V::V;
  constexpr int W = V::W;
  // sweep 1: the block max
  Vec bm0 = V::set1(kNoMax), bm1 = bm0, bm2 = bm0, bm3 = bm0;
  for (int i = 0; i < len; i += 4 * W) {
    Vec x0, x1, x2, x3;
    L::template load2<V>(p + i, x0, x1);
    L::template load2<V>(p + i + 2 * W, x2, x3);
    bm0 = V::max(bm0, x0); bm1 = V::max(bm1, x1); bm2 = V::max(bm2, x2); bm3 = V::max(bm3, x3);
  }
  Vec mn = V::max(st.m, V::max(V::max(bm0, bm1), V::max(bm2, bm3)));
  Vec delta = V::floorAt(V::mul(V::sub(st.m, mn), c), kMinDelta);
  Vec scale = V::exp2(delta);
  st.w = V::mul(scale, V::fmadd(st.s, delta, st.w));
  st.s = V::mul(st.s, scale);
  st.m = mn;

  // sweep 2: sum 2^d and 2^d d, four independent chains, while the next block streams into
  // cache (without the prefetch, sweep 1 of the next block waits on DRAM with no math to hide it)
  Vec zero = V::set1(0.0f);
  Vec s0 = zero, s1 = zero, s2 = zero, s3 = zero, w0 = zero, w1 = zero, w2 = zero, w3 = zero;
  for (int i = 0; i < len; i += 4 * W) {
    prefetchStep<4 * W>(p + len, i);
    Vec x0, x1, x2, x3;
    L::template load2<V>(p + i, x0, x1);
    L::template load2<V>(p + i + 2 * W, x2, x3);
    V::accumulate(V::mul(V::sub(x0, mn), c), s0, w0);
    V::accumulate(V::mul(V::sub(x1, mn), c), s1, w1);
    V::accumulate(V::mul(V::sub(x2, mn), c), s2, w2);
    V::accumulate(V::mul(V::sub(x3, mn), c), s3, w3);
  }
  st.s = V::add(st.s, V::add(V::add(s0, s1), V::add(s2, s3)));
  st.w = V::add(st.w, V::add(V::add(w0, w1), V::add(w2, w3)));
}

// How far (base-2 units) a logit may run past its lane's running max in a one-sweep block; past it
// the block is redone with two sweeps. Moving the sums to a max k units higher after the block
// cancels ~k bits of w (w + s delta with |delta| = k): at k = 11.5 (fp16 logits near 1e4, one
// lane on the scalar path) that measured 3e-5 of entropy, against 2e-6 with the two sweeps. At 1
// the loss is at most a bit, and a row's max climbs past it in only a few blocks.
constexpr float kAheadLimit = 1.0f;

// One sweep over a block when every lane has a finite reference: returns false (and changes
// nothing) when some logit runs more than kAheadLimit past its lane's m, or is +inf or NaN-maxed
// past it; the caller then takes the two-sweep addBlock.
template <class V, class L>
static inline bool addBlockOneSweep(const typename L::T* p, int len, typename V::V c, LaneStats<V>& st) {
  using Vec = typename V::V;
  constexpr int W = V::W;
  const Vec mc = V::mul(st.m, c);
  const Vec limit = V::add(st.m, V::div(V::set1(kAheadLimit), c));
  Vec zero = V::set1(0.0f);
  Vec bm0 = V::set1(kNoMax), bm1 = bm0, bm2 = bm0, bm3 = bm0;
  Vec s0 = zero, s1 = zero, s2 = zero, s3 = zero, w0 = zero, w1 = zero, w2 = zero, w3 = zero;
  for (int i = 0; i < len; i += 4 * W) {
    prefetchStep<4 * W>(p + len, i);
    Vec x0, x1, x2, x3;
    L::template load2<V>(p + i, x0, x1);
    L::template load2<V>(p + i + 2 * W, x2, x3);
    bm0 = V::max(bm0, x0); bm1 = V::max(bm1, x1); bm2 = V::max(bm2, x2); bm3 = V::max(bm3, x3);
    V::accumulate(V::fmsub(x0, c, mc), s0, w0);
    V::accumulate(V::fmsub(x1, c, mc), s1, w1);
    V::accumulate(V::fmsub(x2, c, mc), s2, w2);
    V::accumulate(V::fmsub(x3, c, mc), s3, w3);
  }
  const Vec bm = V::max(V::max(bm0, bm1), V::max(bm2, bm3));
  if (V::anyGreater(bm, limit)) return false;
  // The sums are of 2^d' with d' = x c - round(m c) = d + r, r = m c - round(m c) (exact by FMA):
  // s = 2^-r s', w = 2^-r (w' - r s').
  const Vec r = V::fmsub(st.m, c, mc);
  const Vec sp = V::add(V::add(s0, s1), V::add(s2, s3)), wp = V::add(V::add(w0, w1), V::add(w2, w3));
  const Vec back = V::exp2(V::sub(zero, r));
  st.s = V::fmadd(sp, back, st.s);
  st.w = V::fmadd(V::sub(wp, V::mul(r, sp)), back, st.w);
  // Then move the running sums to the lane's new max, as addBlock does before its block: long sums
  // kept relative to a reference below the max would turn their rounding (~1e-6 relative over
  // 10^5 terms) into ~(m_max - m) * 1e-6 of entropy through log s - w / s.
  const Vec mn = V::max(st.m, bm);
  const Vec delta = V::floorAt(V::mul(V::sub(st.m, mn), c), kMinDelta);
  const Vec scale = V::exp2(delta);
  st.w = V::mul(scale, V::fmadd(st.s, delta, st.w));
  st.s = V::mul(st.s, scale);
  st.m = mn;
  return true;
}

// True when every lane's reference m is finite and m c is too (fmsub needs it).
template <class V>
static inline bool haveReferences(const LaneStats<V>& st, typename V::V c) {
  float m[V::W], mc[V::W];
  V::store(m, st.m);
  V::store(mc, V::mul(st.m, c));
  for (int l = 0; l < V::W; l++)
    if (!(m[l] > kNoMax) || !(std::fabs(mc[l]) < INFINITY)) return false;
  return true;
}

// Lanes -> one SoftmaxStats in natural units (s is the same in both bases).
template <class V>
static inline SoftmaxStats reduceLanes(const LaneStats<V>& st, float invTemperature) {
  float m[V::W], s[V::W], w[V::W];
  V::store(m, st.m);
  V::store(s, st.s);
  V::store(w, st.w);
  SoftmaxStats r;
  r.invT = invTemperature;
  for (int l = 0; l < V::W; l++) {
    SoftmaxStats lane;
    // A lane that saw a finite logit has s >= 1 (its max adds 2^0). Its max may be -FLT_MAX itself
    // (a masked row), so kNoMax cannot mark an empty lane. The lane keeps its raw max (merges stay
    // exact at |logits| ~ 1e4, softmax_stats.h). Divided by T, a lane max may leave float32: below
    // -FLT_MAX nothing in the lane weighs against a row max that stays finite, so the lane is
    // dropped (a row whose lanes all drop has no finite entry, and describeBadRow names the logit
    // that overflows, as on the GPU, which divides by T first); above FLT_MAX the row is bad.
    const float scaled = m[l] * invTemperature;
    const bool keep = s[l] > 0.0f && scaled > -INFINITY;
    lane.m = keep ? m[l] : kNoMax;
    lane.s = keep ? s[l] : 0.0f;
    lane.w = keep ? w[l] * exp2c::kLn2 : 0.0f;
    lane.invT = invTemperature;
    lane.bad = !(s[l] == s[l]) || !(w[l] == w[l]) || m[l] == INFINITY || scaled == INFINITY;  // NaN or +inf came in
    r = mergeStats(r, lane);
  }
  return r;
}

template <class V, class L>
static inline SoftmaxStats statsOf(const typename L::T* x, int64_t n, float invTemperature) {
  typename V::V c = V::set1(invTemperature * exp2c::kLog2e);
  LaneStats<V> st;
  int64_t full = n / kBlock * kBlock;
  // every lane has a reference (after the first block, almost always). 16-bit rows are bound by the
  // arithmetic, and one sweep saves them a load and its widening per element (Intel Xeon, C++
  // harness, [256, 151936]: 4.6 -> 3.1 ms). float32 rows differ by vendor: on an Intel Xeon
  // (Sapphire Rapids) two sweeps were 12% faster (the first sweep is the stream's prefetch, the
  // second reads L1: 7.6 vs 8.6 ms); on AMD Zen 5 one sweep was 1.5x faster (3.1 vs 4.7 ms), the
  // math hiding under the stream (float32OneSweep(), softmax_stats.h). Either way the result is
  // within the same accuracy bound.
  const bool oneSweepRows = !std::is_same<L, LoadF32>::value || float32OneSweep();
  bool oneSweep = false;
  for (int64_t i = 0; i < full; i += kBlock) {
    if (oneSweep && addBlockOneSweep<V, L>(x + i, kBlock, c, st)) continue;
    addBlock<V, L>(x + i, kBlock, c, st);
    oneSweep = oneSweepRows && haveReferences<V>(st, c);
  }
  // the whole vectors left (vocab 151936 leaves 384 elements: widening them one by one cost 7% of a
  // bfloat16 row), then the last < 4 W elements widened to float32 and padded with -inf (which adds nothing)
  const int64_t whole = (n - full) / (4 * V::W) * (4 * V::W);
  if (whole > 0 && !(oneSweep && addBlockOneSweep<V, L>(x + full, int(whole), c, st)))
    addBlock<V, L>(x + full, int(whole), c, st);
  const int64_t rest = n - full - whole;
  if (rest > 0) {
    alignas(64) float tail[2 * 4 * V::W];  // twice the block: addBlock's prefetch points one block past it (harmless, but GCC warns)
    for (int i = 0; i < 2 * 4 * V::W; i++) tail[i] = i < rest ? loadAsFloat(x, L::dtype, full + whole + i) : -INFINITY;
    addBlock<V, LoadF32>(tail, 4 * V::W, c, st);
  }
  return reduceLanes<V>(st, invTemperature);
}

template <class V>
SoftmaxStats softmaxStatsFor(const void* row, DType dtype, int64_t begin, int64_t end, float invTemperature) {
  int64_t n = end - begin;
  switch (dtype) {
    case DType::Float32: return statsOf<V, LoadF32>(static_cast<const float*>(row) + begin, n, invTemperature);
    case DType::Float16: return statsOf<V, LoadF16>(static_cast<const uint16_t*>(row) + begin, n, invTemperature);
    default: return statsOf<V, LoadBF16>(static_cast<const uint16_t*>(row) + begin, n, invTemperature);
  }
}

}  // namespace kernel
}  // namespace infogain
