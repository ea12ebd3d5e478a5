// topkKL (native/node/divergence.cpp): per side rows * k ids and log-probs, optional sampled
// log-probs, optional sampled ids (the binding requires them with sampled log-probs; the core
// checks it again), any direction code, optional spans; in race mode (fuzz.h) the log-probs
// change while the kernel runs.
#include "../../../native/core/topk_kl.h"
#include "../fuzz.h"
#include "spans_option.h"

using namespace infogain;
FUZZ_INIT

namespace {

struct Side {
  fuzz::Input<int32_t> ids;
  fuzz::Input<float> logprobs;
  fuzz::Input<float> sampled;
  bool hasSampled;

  Side(fuzz::Source& src, int64_t rows, int32_t k)
      : ids(size_t(rows * k)), logprobs(size_t(rows * k)), sampled(rows), hasSampled(src.byte() < 64) {
    for (int64_t r = 0; r < rows; r++) {
      const bool distinct = src.byte() < 220;
      const int32_t first = src.range<int32_t>(0, 40), step = src.range<int32_t>(1, 3);
      for (int32_t j = 0; j < k; j++) ids[size_t(r * k + j)] = distinct ? first + j * step : src.index(40);
    }
    // each probability below e^-2.1: up to 8 of them sum below 1 (else the mass check fires)
    src.fill(logprobs, [&] { return src.byte() < 230 ? -2.1f - float(src.range<int>(0, 640)) / 64.0f : src.value(); });
    src.fill(sampled, [&] { return src.logprob(); });
    ids.seal();
    logprobs.seal();
    sampled.seal();
  }
  TopkSide view() { return {ids.data(), logprobs.data(), hasSampled ? sampled.data() : nullptr}; }
  bool unchanged() const { return ids.unchanged() && logprobs.unchanged() && sampled.unchanged(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const int64_t rows = src.count(8);
  const int32_t k = src.byte() < 250 ? src.range<int32_t>(1, 8) : 0;
  Side p(src, rows, k), q(src, rows, k);
  fuzz::Input<int32_t> sampled(rows);
  src.fill(sampled, [&] { return src.index(50); });
  sampled.seal();
  const bool withSampled = (p.hasSampled || q.hasSampled) ? src.byte() < 250 : src.flag();
  const KLDirection direction = KLDirection(src.range<int>(-1, 4));
  fuzz::SpanOption spans(src, rows);
  fuzz::Race race;
  for (Side* s : {&p, &q}) {
    race.add(s->logprobs);
    race.add(s->sampled);
  }

  TopkInput in;
  in.p = p.view();
  in.q = q.view();
  in.rows = rows;
  in.k = k;
  in.sampled = withSampled ? sampled.data() : nullptr;
  if (spans.check()) {
    fuzz::FloatOut out(rows);
    Status st = race.run([&] { return topkKL(in, direction, out.data()); });
    fuzz::checkStatus(st);
    if (st.ok() && race.on()) spans.reduce(out.data());
    if (st.ok() && !race.on()) {
      FUZZ_CHECK(out.written() && out.noNaN());
      for (int64_t r = 0; r < rows; r++) FUZZ_CHECK(out[size_t(r)] >= 0.0f);
      spans.reduce(out.data());
    }
  }
  FUZZ_CHECK(p.unchanged() && q.unchanged() && sampled.unchanged());
  return 0;
}
