// Float64 references of the GPU harness, written from the definitions, and the measure both the
// CPU and the CUDA results are held to: the worst |got - ref| / tolerance over the rows (<= 1 passes).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "../../native/core/dtype.h"
#include "../../native/core/kl_divergence.h"
#include "../../native/core/parallel.h"

namespace harness {

// Per row: logsumexp, log-prob of the target and entropy of softmax(x / T).
struct LogprobRef {
  std::vector<double> logprob, logsumexp, entropy, targetLogit;  // targetLogit: x_t / T
};

inline LogprobRef referenceLogprobs(const infogain::LogitsView& v, const int32_t* targets, double invT,
                                    bool hasIgnore, int32_t ignore) {
  const size_t n = static_cast<size_t>(v.rows);
  LogprobRef ref{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
  infogain::parallelFor(v.rows, [&](int64_t r) {
    const size_t i = size_t(r);
    if (hasIgnore && targets[i] == ignore) return;  // all zero, as documented
    const void* row = v.row(r);
    double m = -INFINITY, s = 0, w = 0;
    for (int64_t j = 0; j < v.vocab; j++) m = std::fmax(m, infogain::loadAsFloat(row, v.dtype, j) * invT);
    for (int64_t j = 0; j < v.vocab; j++) {
      const double d = infogain::loadAsFloat(row, v.dtype, j) * invT - m, e = std::exp(d);
      s += e;
      if (e > 0) w += e * d;
    }
    ref.targetLogit[i] = infogain::loadAsFloat(row, v.dtype, targets[i]) * invT;
    ref.logsumexp[i] = m + std::log(s);
    ref.logprob[i] = ref.targetLogit[i] - ref.logsumexp[i];
    ref.entropy[i] = std::log(s) - w / s;
  });
  return ref;
}

// Per row pair, every direction at once (natural log); +inf where P > 0 = Q (or the reverse).
struct KLRef {
  std::vector<double> forward, reverse, symmetric, js;
  const std::vector<double>& of(infogain::KLDirection d) const {
    using infogain::KLDirection;
    return d == KLDirection::Forward ? forward : d == KLDirection::Reverse ? reverse : d == KLDirection::Symmetric ? symmetric : js;
  }
};

inline double logSumExpRow(const void* row, infogain::DType dt, int64_t vocab, double invT) {
  double m = -INFINITY, s = 0;
  for (int64_t j = 0; j < vocab; j++) m = std::fmax(m, infogain::loadAsFloat(row, dt, j) * invT);
  for (int64_t j = 0; j < vocab; j++) s += std::exp(infogain::loadAsFloat(row, dt, j) * invT - m);
  return m + std::log(s);
}

inline KLRef referenceKL(const infogain::LogitsView& p, const infogain::LogitsView& q, double invT) {
  const size_t n = static_cast<size_t>(p.rows);
  KLRef ref{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
  infogain::parallelFor(p.rows, [&](int64_t r) {
    const void *x = p.row(r), *y = q.row(r);
    const double lseP = logSumExpRow(x, p.dtype, p.vocab, invT), lseQ = logSumExpRow(y, q.dtype, q.vocab, invT);
    double fwd = 0, rev = 0, js = 0;
    for (int64_t j = 0; j < p.vocab; j++) {
      const double a = infogain::loadAsFloat(x, p.dtype, j) * invT - lseP;  // log P
      const double b = infogain::loadAsFloat(y, q.dtype, j) * invT - lseQ;  // log Q
      const double pa = std::exp(a), qb = std::exp(b), mid = 0.5 * (pa + qb);
      if (pa > 0) fwd += b == -INFINITY ? INFINITY : pa * (a - b);
      if (qb > 0) rev += a == -INFINITY ? INFINITY : qb * (b - a);
      if (pa > 0) js += 0.5 * pa * std::log(pa / mid);
      if (qb > 0) js += 0.5 * qb * std::log(qb / mid);
    }
    ref.forward[size_t(r)] = fwd;
    ref.reverse[size_t(r)] = rev;
    ref.symmetric[size_t(r)] = fwd + rev;
    ref.js[size_t(r)] = js;
  });
  return ref;
}

// The worst row of one output against its reference, in units of the tolerance
// atol + rtol * scale[row] (scale: |ref| when empty). An infinite reference must be matched
// exactly; NaN never passes. `skip[row]`, when given, leaves rows out.
struct Deviation {
  double worst = 0;    // <= 1 passes
  double absError = 0; // |got - ref| at the worst row
  int64_t row = -1;
  int64_t compared = 0, infinite = 0;  // rows compared; of those, rows whose reference is infinite
};

inline Deviation deviation(const float* got, const std::vector<double>& ref, double atol, double rtol,
                           const std::vector<double>* scale = nullptr, const std::vector<bool>* skip = nullptr) {
  Deviation d;
  for (size_t r = 0; r < ref.size(); r++) {
    if (skip && (*skip)[r]) continue;
    d.compared++;
    double ratio, err;
    if (std::isinf(ref[r])) {
      d.infinite++;
      err = got[r] == ref[r] ? 0.0 : INFINITY;
      ratio = err;
    } else {
      err = std::fabs(double(got[r]) - ref[r]);
      ratio = err / (atol + rtol * (scale ? (*scale)[r] : std::fabs(ref[r])));
      if (!(ratio == ratio)) ratio = INFINITY;  // NaN
    }
    if (ratio > d.worst || d.row < 0) {
      d.worst = ratio;
      d.absError = err;
      d.row = int64_t(r);
    }
  }
  return d;
}

inline Deviation worse(const Deviation& a, const Deviation& b) {
  Deviation w = b.worst > a.worst ? b : a;
  w.compared = a.compared + b.compared;
  w.infinite = a.infinite + b.infinite;
  return w;
}

}  // namespace harness
