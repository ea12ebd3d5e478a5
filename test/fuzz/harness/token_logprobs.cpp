// tokenLogprobs (native/node/logprobs.cpp): logits of any dtype and shape the binding lets through
// (data length == rows * vocab, targets length == rows), any temperature and ignoreIndex; in race
// mode (fuzz.h) the logits change while the kernel runs.
#include "../../../native/core/logprobs.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  fuzz::pickIsa(src);
  const DType dtype = DType(src.range<int>(0, 2));
  const int64_t rows = src.count(8), vocab = src.count(150);
  fuzz::Input<uint8_t> logits(size_t(rows * vocab * dtypeSize(dtype)));
  src.logits(logits, dtype);
  fuzz::Input<int32_t> targets(rows);
  src.fill(targets, [&] { return src.index(vocab); });
  TokenLogprobsOptions opt;
  opt.temperature = float(src.number());
  opt.hasIgnoreIndex = src.flag();
  if (opt.hasIgnoreIndex) opt.ignoreIndex = src.flag() ? -100 : src.index(vocab);
  const bool wantEntropy = src.flag();
  fuzz::Race race;
  race.addLogits(logits, dtype);
  logits.seal();
  targets.seal();

  const LogitsView view{logits.data(), rows, vocab, dtype};
  Status st = checkTokenLogprobs(view, targets.data(), opt);
  fuzz::checkStatus(st);
  // valid targets, and rows and a temperature no kernel may reject: the call must succeed
  bool targetsValid = true;
  for (int64_t r = 0; r < rows; r++)
    targetsValid &= (opt.hasIgnoreIndex && targets[size_t(r)] == opt.ignoreIndex) || (targets[size_t(r)] >= 0 && targets[size_t(r)] < vocab);
  const bool mustSucceed = vocab >= 1 && targetsValid && fuzz::plainLogits(logits.data(), rows, vocab, dtype, opt.temperature);
  FUZZ_CHECK(st.ok() || !mustSucceed);
  fuzz::FloatOut logprobs(rows), lse(rows), entropy(rows);
  if (st.ok()) {
    st = race.run([&] {
      return tokenLogprobs(view, targets.data(), opt, {logprobs.data(), lse.data(), wantEntropy ? entropy.data() : nullptr});
    });
    fuzz::checkStatus(st);
    FUZZ_CHECK(st.ok() || !mustSucceed || race.on());
    if (st.ok() && !race.on()) {
      FUZZ_CHECK(logprobs.written() && lse.written() && logprobs.noNaN() && lse.noNaN());
      if (wantEntropy) FUZZ_CHECK(entropy.written() && entropy.noNaN());
#ifdef FUZZ_DEBUG
      for (int64_t r = 0; r < rows; r++) {
        std::fprintf(stderr, "row %ld target %d lp %g lse %g T %g dtype %d isa %d\n", long(r), targets[r], logprobs[r], lse[r], opt.temperature, int(dtype), int(activeIsa()));
        for (int64_t j = 0; j < vocab; j++) std::fprintf(stderr, " %a", loadAsFloat(logits.data(), dtype, r * vocab + j));
        std::fprintf(stderr, "\n");
      }
#endif
      for (int64_t r = 0; r < rows; r++) FUZZ_CHECK(!(logprobs[size_t(r)] > 1e-3f * (1 + std::fabs(lse[size_t(r)]))));
    }
  }
  FUZZ_CHECK(logits.unchanged() && targets.unchanged());
  return 0;
}
