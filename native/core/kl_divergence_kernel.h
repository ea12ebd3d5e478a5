// The KL and Jensen-Shannon loops over a pair of logits rows, written once over a vector type V
// (simd/vec_*.h) and instantiated per ISA in kl_divergence_{scalar,avx2,avx512}.cpp. Same
// structure as softmax_stats_kernel.h: blocks that fit L1; the first block (and any whose maxima run
// past the running ones) takes a max sweep, one rescale, then one exp2 per element and side, every
// other block one sweep (addBlockKLOneSweep), while the next blocks stream in.
// The two rows may have different dtypes, so elements must pair up lane by lane: every loader
// here yields elements in order, except that two bfloat16 rows share the faster interleaved load.
#pragma once
#include <cmath>
#include <cstdint>

#include "kl_stats.h"
#include "softmax_stats_kernel.h"

namespace infogain {
namespace kernel {

struct LoadBF16Ordered {
  using T = uint16_t;
  static constexpr DType dtype = DType::BFloat16;
  template <class V> static void load2(const uint16_t* p, typename V::V& a, typename V::V& b) {
    a = V::loadBF16(p);
    b = V::loadBF16(p + V::W);
  }
};

// Calls fn(LP{}, LQ{}) with the loaders for the two dtypes.
template <class Fn>
static inline auto withLoaders(DType pt, DType qt, Fn fn) {
  auto second = [&](auto lp) {
    switch (qt) {
      case DType::Float32: return fn(lp, LoadF32{});
      case DType::Float16: return fn(lp, LoadF16{});
      default: return fn(lp, LoadBF16Ordered{});
    }
  };
  switch (pt) {
    case DType::Float32: return second(LoadF32{});
    case DType::Float16: return second(LoadF16{});
    default: return qt == DType::BFloat16 ? fn(LoadBF16{}, LoadBF16{}) : second(LoadBF16Ordered{});
  }
}

// Per-lane state in base-2 units: d = (x - mp) * c with c = log2(e) / T.
template <class V>
struct KLLanes {
  using Vec = typename V::V;
  Vec mp = V::set1(kNoMax), sp = V::set1(0.0f), cp = V::set1(0.0f);
  Vec mq = V::set1(kNoMax), sq = V::set1(0.0f), cq = V::set1(0.0f);
};

// Adds one vector of pairs; cq only when kBoth (the symmetric direction).
template <class V, bool kBoth>
static inline void addPairs(typename V::V x, typename V::V y, typename V::V mp, typename V::V mq, typename V::V c,
                            typename V::V& sp, typename V::V& sq, typename V::V& cp, typename V::V& cq) {
  using Vec = typename V::V;
  Vec dx = V::mul(V::sub(x, mp), c), dy = V::mul(V::sub(y, mq), c);
  Vec ex = V::exp2(dx), ey = V::exp2(dy);  // 0 for -inf and below 2^-126
  sp = V::add(sp, ex);
  sq = V::add(sq, ey);
  cp = V::fmaddIfPositive(ex, V::sub(dx, dy), cp);  // +inf where q = -inf under p > 0
  if (kBoth) cq = V::fmaddIfPositive(ey, V::sub(dy, dx), cq);
}

template <class V, class LP, class LQ, bool kBoth>
static inline void addBlockKL(const typename LP::T* p, const typename LQ::T* q, int len, typename V::V c,
                              KLLanes<V>& st) {
  using Vec = typename V::V;
  constexpr int W = V::W;
  // sweep 1: both block maxima
  Vec bp0 = V::set1(kNoMax), bp1 = bp0, bq0 = bp0, bq1 = bp0;
  for (int i = 0; i < len; i += 2 * W) {
    Vec x0, x1, y0, y1;
    LP::template load2<V>(p + i, x0, x1);
    LQ::template load2<V>(q + i, y0, y1);
    bp0 = V::max(bp0, x0); bp1 = V::max(bp1, x1); bq0 = V::max(bq0, y0); bq1 = V::max(bq1, y1);
  }
  const Vec zero = V::set1(0.0f);
  Vec np = V::max(st.mp, V::max(bp0, bp1)), nq = V::max(st.mq, V::max(bq0, bq1));
  // as shiftKL (kl_stats.h): the weights from floored shifts, the cross terms from the exact ones
  Vec dp = V::mul(V::sub(st.mp, np), c), dq = V::mul(V::sub(st.mq, nq), c);
  Vec ep = V::exp2(V::floorAt(dp, kMinDelta)), eq = V::exp2(V::floorAt(dq, kMinDelta));
  st.cp = V::fmaddIfPositive(ep, V::fmaddIfPositive(st.sp, V::sub(dp, dq), st.cp), zero);
  if (kBoth) st.cq = V::fmaddIfPositive(eq, V::fmaddIfPositive(st.sq, V::sub(dq, dp), st.cq), zero);
  st.sp = V::mul(st.sp, ep);
  st.sq = V::mul(st.sq, eq);
  st.mp = np;
  st.mq = nq;

  // sweep 2: two chains per sum, the next blocks of both rows prefetched
  Vec sp0 = zero, sp1 = zero, sq0 = zero, sq1 = zero, cp0 = zero, cp1 = zero, cq0 = zero, cq1 = zero;
  for (int i = 0; i < len; i += 2 * W) {
    prefetchStep<2 * W>(p + len, i);
    prefetchStep<2 * W>(q + len, i);
    Vec x0, x1, y0, y1;
    LP::template load2<V>(p + i, x0, x1);
    LQ::template load2<V>(q + i, y0, y1);
    addPairs<V, kBoth>(x0, y0, np, nq, c, sp0, sq0, cp0, cq0);
    addPairs<V, kBoth>(x1, y1, np, nq, c, sp1, sq1, cp1, cq1);
  }
  st.sp = V::add(st.sp, V::add(sp0, sp1));
  st.sq = V::add(st.sq, V::add(sq0, sq1));
  st.cp = V::add(st.cp, V::add(cp0, cp1));
  if (kBoth) st.cq = V::add(st.cq, V::add(cq0, cq1));
}

// One sweep over a block of a row pair once every lane has finite maxima (as addBlockOneSweep in
// softmax_stats_kernel.h): d = fmsub(x, c, round(m c)) on both sides with the block maxima taken
// alongside; false (nothing changed) when a logit runs more than kAheadLimit past its lane's max,
// and the caller takes the two-sweep addBlockKL. With r = m c - round(m c) per side, the sums are
// of 2^(d + r): sp = 2^-rp sp', cp = 2^-rp (cp' - (rp - rq) sp'), and the same for q.
template <class V, class LP, class LQ, bool kBoth>
static inline bool addBlockKLOneSweep(const typename LP::T* p, const typename LQ::T* q, int len, typename V::V c,
                                      KLLanes<V>& st) {
  using Vec = typename V::V;
  constexpr int W = V::W;
  const Vec zero = V::set1(0.0f);
  const Vec mpc = V::mul(st.mp, c), mqc = V::mul(st.mq, c);
  const Vec ahead = V::div(V::set1(kAheadLimit), c);
  Vec bp0 = V::set1(kNoMax), bp1 = bp0, bq0 = bp0, bq1 = bp0;
  Vec sp0 = zero, sp1 = zero, sq0 = zero, sq1 = zero, cp0 = zero, cp1 = zero, cq0 = zero, cq1 = zero;
  for (int i = 0; i < len; i += 2 * W) {
    prefetchStep<2 * W>(p + len, i);
    prefetchStep<2 * W>(q + len, i);
    Vec x0, x1, y0, y1;
    LP::template load2<V>(p + i, x0, x1);
    LQ::template load2<V>(q + i, y0, y1);
    bp0 = V::max(bp0, x0); bp1 = V::max(bp1, x1); bq0 = V::max(bq0, y0); bq1 = V::max(bq1, y1);
    Vec dx0 = V::fmsub(x0, c, mpc), dy0 = V::fmsub(y0, c, mqc), dx1 = V::fmsub(x1, c, mpc), dy1 = V::fmsub(y1, c, mqc);
    Vec ex0 = V::exp2(dx0), ey0 = V::exp2(dy0), ex1 = V::exp2(dx1), ey1 = V::exp2(dy1);
    sp0 = V::add(sp0, ex0); sq0 = V::add(sq0, ey0); sp1 = V::add(sp1, ex1); sq1 = V::add(sq1, ey1);
    cp0 = V::fmaddIfPositive(ex0, V::sub(dx0, dy0), cp0);
    cp1 = V::fmaddIfPositive(ex1, V::sub(dx1, dy1), cp1);
    if (kBoth) {
      cq0 = V::fmaddIfPositive(ey0, V::sub(dy0, dx0), cq0);
      cq1 = V::fmaddIfPositive(ey1, V::sub(dy1, dx1), cq1);
    }
  }
  const Vec bp = V::max(bp0, bp1), bq = V::max(bq0, bq1);
  if (V::anyGreater(bp, V::add(st.mp, ahead)) || V::anyGreater(bq, V::add(st.mq, ahead))) return false;
  const Vec rp = V::fmsub(st.mp, c, mpc), rq = V::fmsub(st.mq, c, mqc);
  const Vec backP = V::exp2(V::sub(zero, rp)), backQ = V::exp2(V::sub(zero, rq));
  const Vec spb = V::add(sp0, sp1), sqb = V::add(sq0, sq1);
  st.sp = V::fmadd(spb, backP, st.sp);
  st.sq = V::fmadd(sqb, backQ, st.sq);
  st.cp = V::add(st.cp, V::fmaddIfPositive(backP, V::fmaddIfPositive(spb, V::sub(rq, rp), V::add(cp0, cp1)), zero));
  if (kBoth) st.cq = V::add(st.cq, V::fmaddIfPositive(backQ, V::fmaddIfPositive(sqb, V::sub(rp, rq), V::add(cq0, cq1)), zero));
  // then move the sums to the new maxima, as addBlockKL does before its block (shiftKL)
  const Vec np = V::max(st.mp, bp), nq = V::max(st.mq, bq);
  const Vec dp = V::mul(V::sub(st.mp, np), c), dq = V::mul(V::sub(st.mq, nq), c);
  const Vec ep = V::exp2(V::floorAt(dp, kMinDelta)), eq = V::exp2(V::floorAt(dq, kMinDelta));
  st.cp = V::fmaddIfPositive(ep, V::fmaddIfPositive(st.sp, V::sub(dp, dq), st.cp), zero);
  if (kBoth) st.cq = V::fmaddIfPositive(eq, V::fmaddIfPositive(st.sq, V::sub(dq, dp), st.cq), zero);
  st.sp = V::mul(st.sp, ep);
  st.sq = V::mul(st.sq, eq);
  st.mp = np;
  st.mq = nq;
  return true;
}

// True when every lane's maxima are finite and so are their products with c (fmsub needs them).
template <class V>
static inline bool haveKLReferences(const KLLanes<V>& st, typename V::V c) {
  float mp[V::W], mq[V::W], a[V::W], b[V::W];
  V::store(mp, st.mp);
  V::store(mq, st.mq);
  V::store(a, V::mul(st.mp, c));
  V::store(b, V::mul(st.mq, c));
  for (int l = 0; l < V::W; l++)
    if (!(mp[l] > kNoMax) || !(mq[l] > kNoMax) || !(std::fabs(a[l]) < INFINITY) || !(std::fabs(b[l]) < INFINITY))
      return false;
  return true;
}

// Lanes -> one KLStats in natural units (m stays raw).
template <class V>
static inline KLStats reduceKLLanes(const KLLanes<V>& st, float invTemperature) {
  float mp[V::W], sp[V::W], cp[V::W], mq[V::W], sq[V::W], cq[V::W];
  V::store(mp, st.mp); V::store(sp, st.sp); V::store(cp, st.cp);
  V::store(mq, st.mq); V::store(sq, st.sq); V::store(cq, st.cq);
  KLStats r;
  for (int l = 0; l < V::W; l++) {
    KLStats lane;
    lane.p = {mp[l], sp[l], cp[l] * exp2c::kLn2, !(sp[l] == sp[l]) || mp[l] == INFINITY};
    lane.q = {mq[l], sq[l], cq[l] * exp2c::kLn2, !(sq[l] == sq[l]) || mq[l] == INFINITY};
    r = mergeKL(r, lane, invTemperature);
  }
  return r;
}

// Widens the last `rest` elements of a row to float32, padded with -inf (which adds nothing).
template <class V>
static inline int widenTail(const void* row, DType dtype, int64_t first, int64_t rest, float* out) {
  int padded = int((rest + 4 * V::W - 1) / (4 * V::W) * (4 * V::W));
  for (int i = 0; i < padded; i++) out[i] = i < rest ? loadAsFloat(row, dtype, first + i) : -INFINITY;
  return padded;
}

// Elements per block of a row pair: 4096 (softmax_stats_kernel.h's kBlock) ran float32 KL at 77% of
// the read floor against 95% at 1024 (Zen 5, C++ harness).
constexpr int kPairBlock = 1024;

// Calls block(LP{}, LQ{}, x, y, len) on every kPairBlock-element block of [begin, end) of a row pair,
// then on the whole vectors left, then once on the last < 4 W elements, widened to float32 and
// padded with -inf (which adds nothing).
template <class V, class Block>
static inline void forEachBlock(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end,
                                Block block) {
  const int64_t n = end - begin, full = n / kPairBlock * kPairBlock, whole = (n - full) / (4 * V::W) * (4 * V::W);
  withLoaders(pt, qt, [&](auto lp, auto lq) {
    const auto* x = static_cast<const typename decltype(lp)::T*>(p) + begin;
    const auto* y = static_cast<const typename decltype(lq)::T*>(q) + begin;
    for (int64_t i = 0; i < full; i += kPairBlock) block(lp, lq, x + i, y + i, kPairBlock);
    if (whole > 0) block(lp, lq, x + full, y + full, int(whole));
    return 0;
  });
  if (n > full + whole) {
    // twice the block (the blocks' prefetch points one block past: harmless, but GCC warns), zeroed (GCC
    // cannot see widenTail fill them)
    alignas(64) float tp[2 * 4 * V::W] = {}, tq[2 * 4 * V::W] = {};
    const int padded = widenTail<V>(p, pt, begin + full + whole, n - full - whole, tp);
    widenTail<V>(q, qt, begin + full + whole, n - full - whole, tq);
    block(LoadF32{}, LoadF32{}, tp, tq, padded);
  }
}

template <class V, bool kBoth>
KLStats klStatsFor(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end,
                   float invTemperature) {
  const typename V::V c = V::set1(invTemperature * exp2c::kLog2e);
  KLLanes<V> st;
  bool oneSweep = false;  // every lane has maxima (after the first block, almost always)
  forEachBlock<V>(p, pt, q, qt, begin, end, [&](auto lp, auto lq, const auto* x, const auto* y, int len) {
    if (oneSweep && addBlockKLOneSweep<V, decltype(lp), decltype(lq), kBoth>(x, y, len, c, st)) return;
    addBlockKL<V, decltype(lp), decltype(lq), kBoth>(x, y, len, c, st);
    oneSweep = haveKLReferences<V>(st, c);
  });
  return reduceKLLanes<V>(st, invTemperature);
}

// log2(1 + u) for u in [0, 1]: 2 atanh(s) / ln 2 with s = u / (2 + u) <= 1/3, the series to s^13
// (the next term is below 2e-8 of the sum).
template <class V>
static inline typename V::V log2OnePlus(typename V::V u) {
  using Vec = typename V::V;
  Vec s = V::div(u, V::add(V::set1(2.0f), u));
  Vec s2 = V::mul(s, s);
  Vec poly = V::set1(1.0f / 13.0f);
  poly = V::fmadd(poly, s2, V::set1(1.0f / 11.0f));
  poly = V::fmadd(poly, s2, V::set1(1.0f / 9.0f));
  poly = V::fmadd(poly, s2, V::set1(1.0f / 7.0f));
  poly = V::fmadd(poly, s2, V::set1(1.0f / 5.0f));
  poly = V::fmadd(poly, s2, V::set1(1.0f / 3.0f));
  poly = V::fmadd(poly, s2, V::set1(1.0f));
  return V::mul(V::mul(s, poly), V::set1(2.0f * exp2c::kLog2e));
}

// 1 where x < c, 0 where x > c, from max and arithmetic only (the vector types have no blend).
template <class V>
static inline typename V::V stepBelow(typename V::V x, float c) {
  using Vec = typename V::V;
  const Vec zero = V::set1(0.0f), one = V::set1(1.0f);
  Vec a = V::mul(V::sub(V::set1(c), x), V::set1(1e30f));
  return V::max(zero, V::sub(one, V::max(zero, V::sub(one, a))));  // clamp(a, 0, 1)
}

// One vector of Jensen-Shannon terms, in base 2 (the sum times ln 2 / 2 is JS in nats). With
// a = log2 P, b = log2 Q, H = 2^max(a, b), t = |a - b| and u = 2^-t, a pair contributes
//   P log2(2P/(P+Q)) + Q log2(2Q/(P+Q)) = H ((1 - l)(1 + u) - u t),  l = log2(1 + u).
// That form cancels badly as t -> 0 (the term is O(t^2)), so for w = (1 - u)/(1 + u) <= 1/2 the
// same value comes from a series of positive terms:
//   ((1+w) ln(1+w) + (1-w) ln(1-w)) / (1+w) = w^2 (1 + u)/2 sum_k w^(2k-2) / (k (2k-1))
template <class V>
static inline typename V::V addJSTerms(typename V::V a, typename V::V b, typename V::V acc) {
  using Vec = typename V::V;
  const Vec zero = V::set1(0.0f), one = V::set1(1.0f);
  Vec d = V::sub(a, b);
  Vec negT = V::floorAt(V::sub(zero, V::max(d, V::sub(zero, d))), kMinDelta);  // finite unless NaN
  Vec h = V::exp2(V::max(a, b)), u = V::exp2(negT);
  Vec onePlusU = V::add(one, u);
  Vec far = V::fmadd(V::sub(one, log2OnePlus<V>(u)), onePlusU, V::mul(u, negT));
  Vec w = V::div(V::sub(one, u), onePlusU), w2 = V::mul(w, w);
  // 1 / (k (2k - 1)) for k = 1 .. 10; at w = 1/2 the next term is below 1e-8 of the sum
  constexpr float kSeries[10] = {1.0f, 1 / 6.0f, 1 / 15.0f, 1 / 28.0f, 1 / 45.0f, 1 / 66.0f, 1 / 91.0f, 1 / 120.0f, 1 / 153.0f, 1 / 190.0f};
  Vec series = V::set1(kSeries[9]);
  for (int k = 8; k >= 0; k--) series = V::fmadd(series, w2, V::set1(kSeries[k]));
  Vec near = V::mul(V::mul(w2, series), V::mul(onePlusU, V::set1(0.5f * exp2c::kLog2e)));
  Vec term = V::fmadd(stepBelow<V>(w, 0.5f), V::sub(near, far), far);
  return V::fmaddIfPositive(h, term, acc);  // both -inf: h = 0, the NaN term is dropped
}

// The JS terms of one block, summed in two fresh chains: adding block sums to the running total
// (rather than every term) keeps the float32 rounding of long rows small.
template <class V, class LP, class LQ>
static inline typename V::V blockJS(const typename LP::T* p, const typename LQ::T* q, int len, typename V::V c,
                                    const JSRow& row) {
  using Vec = typename V::V;
  constexpr int W = V::W;
  const Vec mp = V::set1(row.mp), lp = V::set1(row.lp), mq = V::set1(row.mq), lq = V::set1(row.lq);
  Vec acc0 = V::set1(0.0f), acc1 = acc0;
  for (int i = 0; i < len; i += 2 * W) {
    Vec x0, x1, y0, y1;
    LP::template load2<V>(p + i, x0, x1);
    LQ::template load2<V>(q + i, y0, y1);
    acc0 = addJSTerms<V>(V::fmsub(V::sub(x0, mp), c, lp), V::fmsub(V::sub(y0, mq), c, lq), acc0);
    acc1 = addJSTerms<V>(V::fmsub(V::sub(x1, mp), c, lp), V::fmsub(V::sub(y1, mq), c, lq), acc1);
  }
  return V::add(acc0, acc1);
}

// Sum of the base-2 JS terms over [begin, end) of a row pair.
template <class V>
float jsSumFor(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
               const JSRow& row) {
  const typename V::V c = V::set1(invTemperature * exp2c::kLog2e);
  typename V::V total = V::set1(0.0f);
  forEachBlock<V>(p, pt, q, qt, begin, end, [&](auto lp, auto lq, const auto* x, const auto* y, int len) {
    total = V::add(total, blockJS<V, decltype(lp), decltype(lq)>(x, y, len, c, row));
  });
  float lanes[V::W];
  V::store(lanes, total);
  float sum = 0.0f;
  for (int l = 0; l < V::W; l++) sum += lanes[l];
  return sum;
}

}  // namespace kernel
}  // namespace infogain
