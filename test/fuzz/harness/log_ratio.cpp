// logRatio (native/node/divergence.cpp): two log-prob arrays of one length, any estimator code,
// clamp, optional spans; in race mode (fuzz.h) the log-probs change while the kernel runs.
#include "../../../native/core/log_ratio.h"
#include "../fuzz.h"
#include "spans_option.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const int64_t n = src.count(64);
  fuzz::Input<float> a(n), b(n);
  src.fill(a, [&] { return src.logprob(); });
  src.fill(b, [&] { return src.logprob(); });
  LogRatioOptions opt;
  opt.estimator = Estimator(src.range<int>(-1, 4));
  opt.clamp = src.flag();
  fuzz::SpanOption spans(src, n);
  fuzz::Race race;
  race.add(a);
  race.add(b);
  a.seal();
  b.seal();

  if (spans.check()) {
    fuzz::FloatOut out(n);
    Status st = race.run([&] { return logRatio(a.data(), b.data(), n, opt, out.data()); });
    fuzz::checkStatus(st);
    if (st.ok() && race.on()) spans.reduce(out.data());
    if (st.ok() && !race.on()) {
      FUZZ_CHECK(out.written() && out.noNaN());
      if (opt.estimator != Estimator::K1)
        for (int64_t i = 0; i < n; i++) FUZZ_CHECK(out[size_t(i)] >= 0.0f || (opt.clamp && opt.estimator == Estimator::K3));
      spans.reduce(out.data());
    }
  }
  FUZZ_CHECK(a.unchanged() && b.unchanged());
  return 0;
}
