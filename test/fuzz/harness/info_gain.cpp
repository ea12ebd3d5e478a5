// infoGain (native/node/gains.cpp): turns (four span arrays of one length) over a sequence,
// optional rollout offsets, and per scored token either sampled log-probs of both contexts or
// two logits matrices (full-vocabulary KL), as the binding unpacks them; in race mode (fuzz.h)
// those change while the divergences are computed.
#include "../../../native/core/info_gain.h"
#include "../../../native/core/kl_divergence.h"
#include "../../../native/core/log_ratio.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  fuzz::pickIsa(src);
  const int64_t count = src.count(8);
  fuzz::Input<int32_t> as(count), ae(count), os(count), oe(count);
  int32_t at = 0;
  for (int64_t t = 0; t < count; t++) {  // in order most of the time
    as[size_t(t)] = at + src.range<int32_t>(0, 2);
    ae[size_t(t)] = as[size_t(t)] + src.range<int32_t>(src.byte() < 250 ? 1 : -1, 4);
    os[size_t(t)] = ae[size_t(t)] + src.range<int32_t>(0, 2);
    oe[size_t(t)] = os[size_t(t)] + src.range<int32_t>(0, 3);
    at = oe[size_t(t)];
  }
  if (count > 0 && src.byte() >= 230) {
    fuzz::Input<int32_t>* arrays[] = {&as, &ae, &os, &oe};
    (*arrays[src.range<int>(0, 3)])[size_t(src.range<int64_t>(0, count - 1))] = src.index(at + 1);
  }
  const int64_t length = src.byte() < 240 ? at + src.range<int32_t>(0, 2) : src.range<int32_t>(-1, at > 0 ? at + 1 : 1);
  const bool withRollouts = src.flag();
  const int64_t rolloutCount = withRollouts ? src.count(4) : 1;
  fuzz::Input<int32_t> rollouts(size_t(withRollouts ? rolloutCount + 1 : 0));
  if (withRollouts) src.offsets(rollouts, rolloutCount, count);
  const bool full = src.flag();
  as.seal(), ae.seal(), os.seal(), oe.seal(), rollouts.seal();

  Turns turns;
  turns.actionStart = as.data();
  turns.actionEnd = ae.data();
  turns.obsStart = os.data();
  turns.obsEnd = oe.data();
  turns.count = count;
  turns.rollouts = withRollouts ? rollouts.data() : nullptr;
  turns.rolloutCount = rolloutCount;
  turns.length = length;
  Status st = checkTurns(turns);
  fuzz::checkStatus(st);
  if (st.ok()) {
    const int64_t scored = scoredTokenCount(turns);
    FUZZ_CHECK(scored >= 0 && scored <= length);
    fuzz::Buffer<float> divergence(scored);
    if (!full) {
      fuzz::Input<float> real(scored), masked(scored);
      src.fill(real, [&] { return src.logprob(); });
      src.fill(masked, [&] { return src.logprob(); });
      real.seal(), masked.seal();
      fuzz::Race race;
      race.add(real);
      race.add(masked);
      st = race.run([&] {  // what the binding's compute step does
        Status s = checkLogprobPairs(real.data(), masked.data(), scored, "logpReal", "logpMasked");
        fuzz::checkStatus(s);
        return s.ok() ? logRatio(real.data(), masked.data(), scored, LogRatioOptions{}, divergence.data()) : s;
      });
      fuzz::checkStatus(st);
      FUZZ_CHECK(real.unchanged() && masked.unchanged());
    } else {
      const DType rt = DType(src.range<int>(0, 2)), mt = DType(src.range<int>(0, 2));
      const int64_t vocab = src.count(40) + 1, maskedRows = src.byte() < 240 ? scored : src.count(8);
      fuzz::Input<uint8_t> real(size_t(scored * vocab * dtypeSize(rt))), masked(size_t(maskedRows * vocab * dtypeSize(mt)));
      src.logits(real, rt);
      src.logits(masked, mt);
      real.seal(), masked.seal();
      KLOptions kl;
      kl.pName = "real";
      kl.qName = "masked";
      kl.temperature = float(src.number());
      fuzz::Race race;
      race.addLogits(real, rt);
      race.addLogits(masked, mt);
      const LogitsView rv{real.data(), scored, vocab, rt}, mv{masked.data(), maskedRows, vocab, mt};
      st = checkKLDivergence(rv, mv, kl);
      fuzz::checkStatus(st);
      if (st.ok()) st = race.run([&] { return klDivergence(rv, mv, kl, divergence.data()); });
      fuzz::checkStatus(st);
      FUZZ_CHECK(real.unchanged() && masked.unchanged());
    }
    if (st.ok()) {
      fuzz::FloatOut gains(count), rewards(length);
      fuzz::MaskOut hasGain(count), hasReward(length);
      st = creditInfoGain(turns, divergence.data(), {gains.data(), hasGain.data(), rewards.data(), hasReward.data()});
      fuzz::checkStatus(st);
      FUZZ_CHECK(st.ok());  // the turns passed checkTurns
      FUZZ_CHECK(gains.written() && rewards.written() && hasGain.written() && hasReward.written());
    }
  }
  FUZZ_CHECK(as.unchanged() && ae.unchanged() && os.unchanged() && oe.unchanged() && rollouts.unchanged());
  return 0;
}
