// phaseEntropyRewards (native/node/phase_entropy.cpp): packed per-token entropies with response
// offsets, the delimiter given as spans or searched for in token ids, correctness, alpha, beta.
#include "../../../native/core/phase_entropy.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const int64_t length = src.count(64), responses = src.count(8);
  fuzz::Input<float> entropies(static_cast<size_t>(length));
  src.fill(entropies, [&] { return src.byte() < 240 ? float(src.range<int32_t>(0, 256)) / 64.0f : src.value(); });
  fuzz::Input<int32_t> offsets(size_t(responses + 1));
  src.offsets(offsets, responses, length);
  const bool given = src.flag();
  fuzz::Input<int32_t> spans(size_t(given ? 2 * responses : 0)), tokens(size_t(given ? 0 : length));
  const int64_t delimiterLength = given ? 0 : (src.byte() < 250 ? 1 + src.count(3) : 0);
  fuzz::Input<int32_t> delimiter(static_cast<size_t>(delimiterLength));
  if (given) {
    src.spans(spans, responses, length);  // perturbed or not inside a response, now and then
  } else {
    src.fill(tokens, [&] { return src.range<int32_t>(0, 3); });
    src.fill(delimiter, [&] { return src.range<int32_t>(0, 3); });
  }
  fuzz::Input<float> correctness(static_cast<size_t>(responses));
  src.fill(correctness, [&] { return src.byte() < 240 ? float(src.range<int32_t>(0, 1)) : src.value(); });
  entropies.seal(), offsets.seal(), spans.seal(), tokens.seal(), delimiter.seal(), correctness.seal();

  PhaseEntropyInput in;
  in.entropies = entropies.data();
  in.length = length;
  in.offsets = offsets.data();
  in.responses = responses;
  in.delimitersGiven = given;
  in.delimiters = spans.data();
  in.tokens = tokens.data();
  in.delimiter = delimiter.data();
  in.delimiterLength = delimiterLength;
  in.correctness = correctness.data();
  in.alpha = src.option(0.5);
  in.beta = src.option(0.0);
  fuzz::FloatOut think(responses), answer(responses), rewards(responses);
  fuzz::Out<int32_t> thinkTokens(responses), answerTokens(responses), start(responses);
  Status st = phaseEntropyRewards(in, {think.data(), answer.data(), thinkTokens.data(), answerTokens.data(), start.data(), rewards.data()});
  fuzz::checkStatus(st);
  if (st.ok()) {
    FUZZ_CHECK(think.written() && answer.written() && rewards.written() && thinkTokens.written() && answerTokens.written() && start.written());
    FUZZ_CHECK(think.noNaN() && answer.noNaN());
    // alpha * H and beta * H may overflow to opposite infinities only with weights beyond 1e6
    if (std::fabs(in.alpha) <= 1e6 && std::fabs(in.beta) <= 1e6) FUZZ_CHECK(rewards.noNaN());
    for (int64_t r = 0; r < responses; r++)
      FUZZ_CHECK(thinkTokens[size_t(r)] >= 0 && answerTokens[size_t(r)] >= 0 &&
                 thinkTokens[size_t(r)] + answerTokens[size_t(r)] <= offsets[size_t(r + 1)] - offsets[size_t(r)]);
  }
  FUZZ_CHECK(entropies.unchanged() && offsets.unchanged() && spans.unchanged() && tokens.unchanged());
  FUZZ_CHECK(delimiter.unchanged() && correctness.unchanged());
  return 0;
}
