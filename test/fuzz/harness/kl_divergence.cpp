// klDivergence (native/node/divergence.cpp): two logits matrices whose shapes and dtypes may
// differ, any direction code and temperature, optional spans reduced after the kernel; in race
// mode (fuzz.h) the logits change while the kernel runs.
#include "../../../native/core/kl_divergence.h"
#include "../../../native/core/spans.h"
#include "../fuzz.h"
#include "spans_option.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  fuzz::pickIsa(src);
  const DType pt = DType(src.range<int>(0, 2)), qt = DType(src.range<int>(0, 2));
  const int64_t rows = src.count(8), vocab = src.count(150);
  const bool sameShape = src.byte() < 240;
  const int64_t qRows = sameShape ? rows : src.count(8), qVocab = sameShape ? vocab : src.count(150);
  fuzz::Input<uint8_t> p(size_t(rows * vocab * dtypeSize(pt))), q(size_t(qRows * qVocab * dtypeSize(qt)));
  src.logits(p, pt);
  src.logits(q, qt);
  KLOptions opt;
  opt.direction = KLDirection(src.range<int>(-1, 4));
  opt.temperature = float(src.number());
  fuzz::SpanOption spans(src, rows);
  fuzz::Race race;
  race.addLogits(p, pt);
  race.addLogits(q, qt);
  p.seal();
  q.seal();

  const LogitsView pv{p.data(), rows, vocab, pt}, qv{q.data(), qRows, qVocab, qt};
  Status st = checkKLDivergence(pv, qv, opt);
  fuzz::checkStatus(st);
  if (st.ok() && spans.check()) {
    fuzz::FloatOut out(rows);
    st = race.run([&] { return klDivergence(pv, qv, opt, out.data()); });
    fuzz::checkStatus(st);
    FUZZ_CHECK(st.ok() || race.on() ||
               !(fuzz::plainLogits(p.data(), rows, vocab, pt, opt.temperature) &&
                 fuzz::plainLogits(q.data(), rows, vocab, qt, opt.temperature)));
    if (st.ok() && race.on()) spans.reduce(out.data());
    if (st.ok() && !race.on()) {
      FUZZ_CHECK(out.written() && out.noNaN());
      for (int64_t r = 0; r < rows; r++) FUZZ_CHECK(out[size_t(r)] >= 0.0f);
      if (opt.direction == KLDirection::JensenShannon)
        for (int64_t r = 0; r < rows; r++) FUZZ_CHECK(out[size_t(r)] <= 0.6931472f);
      spans.reduce(out.data());
    }
  }
  FUZZ_CHECK(p.unchanged() && q.unchanged());
  return 0;
}
