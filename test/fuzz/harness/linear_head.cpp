// linearLogprobs and linearKL (native/node/linear_head.cpp): hidden states and a head weight of any
// dtypes and shapes the binding lets through (data lengths rows * dim and vocab * dim; dims that may
// differ), either weight layout, an optional bias of any values, any softcap, temperature, direction
// code and targets.
#include "../../../native/core/linear_head.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

namespace {

// Every element finite and small (|x| <= 8 keeps every logit of dim <= 40 far from overflow).
bool plain(const uint8_t* data, size_t n, DType t) {
  for (size_t i = 0; i < n; i++) {
    const float x = loadAsFloat(data, t, int64_t(i));
    if (!(x >= -8.0f && x <= 8.0f)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  fuzz::pickIsa(src);
  const DType ht = DType(src.range<int>(0, 2)), wt = DType(src.range<int>(0, 2));
  const int64_t rows = src.count(8), vocab = src.count(150), dim = src.count(40);
  const int64_t weightDim = src.byte() < 245 ? dim : src.count(40);
  const bool transposed = src.flag(), kl = src.flag();
  fuzz::Input<uint8_t> p(size_t(rows * dim * dtypeSize(ht))), q(size_t(rows * dim * dtypeSize(ht)));
  fuzz::Input<uint8_t> w(size_t(vocab * weightDim * dtypeSize(wt)));
  src.logits(p, ht);
  if (kl) src.logits(q, ht);
  src.logits(w, wt);
  const bool withBias = src.flag();
  fuzz::Input<float> bias(withBias ? size_t(vocab) : 0);
  src.fill(bias, [&] { return src.byte() < 240 ? src.mostlyFinite() : src.value(); });
  fuzz::Input<int32_t> targets(rows);
  src.fill(targets, [&] { return src.index(vocab); });
  LinearKLOptions opt;
  opt.head.temperature = float(src.option(1.0));
  opt.head.softcap = float(src.option(0.0));
  opt.head.bias = withBias ? bias.data() : nullptr;
  opt.direction = KLDirection(src.range<int>(-1, 4));
  p.seal();
  q.seal();
  w.seal();
  bias.seal();
  targets.seal();

  const HiddenView hp{p.data(), rows, dim, ht}, hq{q.data(), rows, dim, ht};
  const HeadWeight weight{w.data(), vocab, weightDim, wt, transposed};
  // inputs no rule rejects: finite small values, a finite bias, a sane temperature and softcap
  bool biasPlain = true;
  for (size_t j = 0; j < bias.size(); j++) biasPlain &= bias[j] >= -8.0f && bias[j] <= 8.0f;
  const bool sane = vocab >= 1 && dim >= 1 && weightDim == dim && biasPlain && opt.head.temperature >= 1e-2f &&
                    opt.head.temperature <= 1e2f && (opt.head.softcap == 0.0f || (opt.head.softcap >= 1e-2f && opt.head.softcap <= 1e4f)) &&
                    plain(p.data(), p.size() / size_t(dtypeSize(ht)), ht) && plain(w.data(), w.size() / size_t(dtypeSize(wt)), wt);
  if (!kl) {
    bool targetsValid = true;
    for (int64_t r = 0; r < rows; r++) targetsValid &= targets[size_t(r)] >= 0 && targets[size_t(r)] < vocab;
    Status st = checkLinearLogprobs(hp, weight, targets.data(), opt.head);
    fuzz::checkStatus(st);
    FUZZ_CHECK(st.ok() || !(sane && targetsValid));
    if (st.ok()) {
      fuzz::FloatOut lp(rows), lse(rows), entropy(rows);
      st = linearLogprobs(hp, weight, targets.data(), opt.head, {lp.data(), lse.data(), entropy.data()});
      fuzz::checkStatus(st);
      FUZZ_CHECK(st.ok() || !sane);
      if (st.ok()) {
        FUZZ_CHECK(lp.written() && lse.written() && entropy.written() && lse.noNaN() && entropy.noNaN());
        for (int64_t r = 0; r < rows; r++) FUZZ_CHECK(!(lp[size_t(r)] > 1e-3f * (1 + std::fabs(lse[size_t(r)]))));
      }
    }
  } else {
    Status st = checkLinearKL(hp, hq, weight, opt);
    fuzz::checkStatus(st);
    const bool saneQ = plain(q.data(), q.size() / size_t(dtypeSize(ht)), ht);
    FUZZ_CHECK(st.ok() || !(sane && int(opt.direction) >= 0 && int(opt.direction) <= 3));
    if (st.ok()) {
      fuzz::FloatOut out(rows);
      st = linearKL(hp, hq, weight, opt, out.data());
      fuzz::checkStatus(st);
      FUZZ_CHECK(st.ok() || !(sane && saneQ));
      if (st.ok()) {
        FUZZ_CHECK(out.written() && out.noNaN());
        for (int64_t r = 0; r < rows; r++) FUZZ_CHECK(out[size_t(r)] >= 0.0f);
        if (opt.direction == KLDirection::JensenShannon)
          for (int64_t r = 0; r < rows; r++) FUZZ_CHECK(out[size_t(r)] <= 0.6931472f);
      }
    }
  }
  FUZZ_CHECK(p.unchanged() && q.unchanged() && w.unchanged() && bias.unchanged() && targets.unchanged());
  return 0;
}
