#include "kl_divergence.h"

#include <cmath>
#include <string>
#include <vector>

#include "cpu.h"
#include "first_bad.h"
#include "logprobs.h"
#include "row_parallel.h"
#include "simd/exp_poly.h"

namespace infogain {

KLStats klStats(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
                bool both) {
  switch (activeIsa()) {
    case Isa::Avx512: return avx512::klStats(p, pt, q, qt, begin, end, invTemperature, both);
    case Isa::Avx2: return avx2::klStats(p, pt, q, qt, begin, end, invTemperature, both);
    default: return scalar::klStats(p, pt, q, qt, begin, end, invTemperature, both);
  }
}

float jsSum(const void* p, DType pt, const void* q, DType qt, int64_t begin, int64_t end, float invTemperature,
            const JSRow& row) {
  switch (activeIsa()) {
    case Isa::Avx512: return avx512::jsSum(p, pt, q, qt, begin, end, invTemperature, row);
    case Isa::Avx2: return avx2::jsSum(p, pt, q, qt, begin, end, invTemperature, row);
    default: return scalar::jsSum(p, pt, q, qt, begin, end, invTemperature, row);
  }
}

Status checkKLDivergence(const LogitsView& p, const LogitsView& q, const KLOptions& opt) {
  const std::string pName(opt.pName), qName(opt.qName);
  if (p.rows < 0) return rangeError(codes::kRange, pName + ".rows", -1, pName + ".rows must be >= 0");
  if (p.vocab < 1) return rangeError(codes::kRange, pName + ".vocab", -1, pName + ".vocab must be >= 1");
  if (q.rows != p.rows || q.vocab != p.vocab)
    return rangeError(codes::kShape, qName, -1,
                      qName + " is [" + std::to_string(q.rows) + ", " + std::to_string(q.vocab) + "] but " + pName +
                          " is [" + std::to_string(p.rows) + ", " + std::to_string(p.vocab) + "]");
  if (!(opt.temperature > 0.0f) || !std::isfinite(opt.temperature))
    return rangeError(codes::kRange, "temperature", -1, "temperature must be a finite number > 0");
  if (int32_t(opt.direction) < 0 || int32_t(opt.direction) > 3)
    return rangeError(codes::kRange, "direction", -1, "direction is not a direction code");
  return Status::Ok();
}

Status describeBadPair(const LogitsView& p, const LogitsView& q, int64_t row, bool pAtFault, const KLOptions& opt) {
  return describeBadRow(pAtFault ? opt.pName : opt.qName, pAtFault ? p : q, row, 1.0f / opt.temperature);
}

namespace {

// Stats of every row pair (both = also the reverse cross term); finish(row, stats) per row.
template <class Finish>
void rowStats(const LogitsView& p, const LogitsView& q, float invT, bool both, Finish finish) {
  reduceRows<KLStats>(
      p.rows, p.vocab,
      [&](int64_t r, int64_t begin, int64_t end) {
        return klStats(p.row(r), p.dtype, q.row(r), q.dtype, begin, end, invT, both);
      },
      [&](const KLStats& a, const KLStats& b) { return mergeKL(a, b, invT); }, finish);
}

}  // namespace

Status klDivergence(const LogitsView& pIn, const LogitsView& qIn, const KLOptions& opt, float* out) {
  Status st = checkKLDivergence(pIn, qIn, opt);
  if (!st.ok()) return st;
  // KL(Q||P) is the forward kernel with the roles swapped
  const bool swap = opt.direction == KLDirection::Reverse;
  const LogitsView& p = swap ? qIn : pIn;
  const LogitsView& q = swap ? pIn : qIn;
  const float invT = 1.0f / opt.temperature;
  FirstBad firstBad(p.rows);

  if (opt.direction != KLDirection::JensenShannon) {
    const bool symmetric = opt.direction == KLDirection::Symmetric;
    rowStats(p, q, invT, symmetric, [&](int64_t r, const KLStats& s) {
      if (s.bad()) return firstBad.report(r);
      out[r] = symmetric ? symmetricKL(s) : forwardKL(s);
    });
  } else {
    // pass 1: both normalizers; pass 2: the terms, which need them
    std::vector<JSRow> rows(size_t(p.rows));
    rowStats(p, q, invT, false, [&](int64_t r, const KLStats& s) {
      if (s.bad()) return firstBad.report(r);
      rows[size_t(r)] = jsRow(s);
    });
    if (firstBad.get() == p.rows)
      reduceRows<float>(
          p.rows, p.vocab,
          [&](int64_t r, int64_t begin, int64_t end) {
            return jsSum(p.row(r), p.dtype, q.row(r), q.dtype, begin, end, invT, rows[size_t(r)]);
          },
          [](float a, float b) { return a + b; },
          [&](int64_t r, float sum) { out[r] = clampJS(0.5f * exp2c::kLn2 * sum); });
  }
  const int64_t bad = firstBad.get();
  if (bad == p.rows) return Status::Ok();
  const KLStats s = klStats(p.row(bad), p.dtype, q.row(bad), q.dtype, 0, p.vocab, invT, false);
  const KLSide& first = swap ? s.q : s.p;  // the side that is pIn
  return describeBadPair(pIn, qIn, bad, first.bad || !first.anyFinite(), opt);
}

}  // namespace infogain
