// Online statistics of a pair of logits rows (p, q), enough for KL in both directions from one
// read of each. With a = p / T, b = q / T, their running maxima mp, mq (kept as RAW logits, so the
// shifts below are computed from exact differences even at |logit| ~ 1e4 with T != 1) and
// d = (a - mp/T) - (b - mq/T):
//   sp = sum exp(a - mp/T)        sq = sum exp(b - mq/T)
//   cp = sum exp(a - mp/T) * d    cq = sum exp(b - mq/T) * (-d)
// so KL(P||Q) = cp/sp + log(sq/sp) and KL(Q||P) = cq/sq + log(sp/sq).
// Terms with a zero weight add nothing even when d is infinite: p = -inf contributes 0, while
// p > -inf where q = -inf makes cp (and KL(P||Q)) +Infinity.
#pragma once
#include <cmath>
#include <cstdint>

#include "softmax_stats.h"

namespace infogain {

struct KLSide {
  float m = -3.402823466e38f;  // raw max (-FLT_MAX, not -inf, so differences stay finite)
  float s = 0.0f;
  float c = 0.0f;
  bool bad = false;  // saw NaN or +inf

  bool anyFinite() const { return s > 0.0f; }
};

struct KLStats {
  KLSide p, q;
  bool bad() const { return p.bad || q.bad || !p.anyFinite() || !q.anyFinite(); }
};

// e * v, or 0 where the weight e is 0 (an underflowed or -inf term carries no mass, even if v is inf)
static inline float weighted(float e, float v) { return e > 0.0f ? e * v : 0.0f; }

// Moves one piece's stats to the larger maxima (mp, mq); the shifts dp, dq = (old max - new max) / T
// are <= 0, natural units. The cross term also moves by the change of d: dp - dq. Only the weights
// are floored: a shift that leaves float32 (-inf) must still make the cross term infinite, because
// that piece then holds p > 0 where q is 0 (or the reverse); an empty piece (s = 0) moves nothing.
static inline KLStats shiftKL(const KLStats& a, float mp, float mq, float invTemperature) {
  const float dp = (a.p.m - mp) * invTemperature, dq = (a.q.m - mq) * invTemperature;
  const float ep = std::exp(dp > kMinDelta ? dp : kMinDelta), eq = std::exp(dq > kMinDelta ? dq : kMinDelta);
  KLStats r;
  r.p = {mp, a.p.s * ep, weighted(ep, a.p.c + (a.p.s > 0.0f ? a.p.s * (dp - dq) : 0.0f)), a.p.bad};
  r.q = {mq, a.q.s * eq, weighted(eq, a.q.c + (a.q.s > 0.0f ? a.q.s * (dq - dp) : 0.0f)), a.q.bad};
  return r;
}

// Combines the stats of two disjoint pieces of one row pair.
static inline KLStats mergeKL(const KLStats& a, const KLStats& b, float invTemperature) {
  const float mp = a.p.m > b.p.m ? a.p.m : b.p.m, mq = a.q.m > b.q.m ? a.q.m : b.q.m;
  const KLStats x = shiftKL(a, mp, mq, invTemperature), y = shiftKL(b, mp, mq, invTemperature);
  KLStats r;
  r.p = {mp, x.p.s + y.p.s, x.p.c + y.p.c, x.p.bad || y.p.bad};
  r.q = {mq, x.q.s + y.q.s, x.q.c + y.q.c, x.q.bad || y.q.bad};
  return r;
}

// KL(P||Q) >= 0; rounding can leave a tiny negative value, which is clamped to 0.
static inline float forwardKL(const KLStats& st) {
  const float kl = st.p.c / st.p.s + std::log(st.q.s / st.p.s);
  return kl > 0.0f ? kl : 0.0f;  // NaN cannot reach here: bad rows are reported, not finished
}

// KL(P||Q) + KL(Q||P): the log-normalizer terms cancel.
static inline float symmetricKL(const KLStats& st) {
  const float kl = st.p.c / st.p.s + st.q.c / st.q.s;
  return kl > 0.0f ? kl : 0.0f;
}

// Jensen-Shannon lies in [0, ln 2]; float32(ln 2) rounds up, so the cap is the float just below it.
constexpr float kMaxJS = 0.693147122859954834f;
static inline float clampJS(float js) { return js < 0.0f ? 0.0f : js > kMaxJS ? kMaxJS : js; }

// Per-row constants of the Jensen-Shannon pass, base-2 units: log2 P = (x - mp) * c - lp with
// c = log2(e) / T (and the same for q).
struct JSRow {
  float mp, lp, mq, lq;
};
static inline JSRow jsRow(const KLStats& st) {
  return {st.p.m, std::log2(st.p.s), st.q.m, std::log2(st.q.s)};
}

}  // namespace infogain
