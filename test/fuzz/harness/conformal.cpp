// conformalScores, conformalQuantile, predictionSetSizes (native/node/conformal.cpp): ragged
// candidate logits with offsets or a dense logits matrix of any dtype, labels, per-row or single
// qhat, optional step and rollout offsets, both uncertainty codes and stray ones.
#include "../../../native/core/conformal.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  fuzz::pickIsa(src);
  const int which = src.range<int>(0, 2);  // scores, quantile, sets
  if (which == 1) {
    const int64_t n = src.count(40), groupCount = src.count(5);
    fuzz::Input<double> scores(static_cast<size_t>(n));
    src.fill(scores, [&] { return src.byte() < 230 ? double(src.range<int32_t>(0, 64)) / 64.0 : src.number(); });
    const bool withGroups = src.flag();
    fuzz::Input<int32_t> groups(size_t(withGroups ? groupCount + 1 : 0));
    if (withGroups) src.offsets(groups, groupCount, n);
    scores.seal(), groups.seal();
    const int64_t outCount = withGroups ? groupCount : 1;
    fuzz::DoubleOut qhat(outCount);
    const double alpha = src.byte() < 230 ? double(src.range<int32_t>(1, 63)) / 64.0 : src.number();
    const QuantileMethod method = QuantileMethod(src.byte() < 250 ? src.range<int>(0, 1) : src.range<int>(-1, 3));
    Status st = conformalQuantile(scores.data(), n, withGroups ? groups.data() : nullptr, outCount, alpha, method, qhat.data());
    fuzz::checkStatus(st);
    if (st.ok()) FUZZ_CHECK(qhat.written() && qhat.noNaN());
    FUZZ_CHECK(scores.unchanged() && groups.unchanged());
    return 0;
  }

  CandidateRows rows;
  rows.temperature = src.option(1.0);
  const bool dense = src.flag();
  const DType dtype = DType(src.range<int>(0, 2));
  const int64_t denseRows = src.count(6), vocab = src.count(40);
  fuzz::Input<uint8_t> matrix(size_t(dense ? denseRows * vocab * dtypeSize(dtype) : 0));
  const int64_t length = dense ? 0 : src.count(64), raggedRows = dense ? 0 : src.count(10);
  fuzz::Input<float> logits(static_cast<size_t>(length));
  fuzz::Input<int32_t> candidates(size_t(dense ? 0 : raggedRows + 1));
  if (dense) {
    src.logits(matrix, dtype);
    rows.logits = {matrix.data(), denseRows, vocab, dtype};
  } else {
    src.fill(logits, [&] { return src.byte() < 20 ? -__builtin_inff() : src.mostlyFinite(); });
    src.offsets(candidates, raggedRows, length);
    rows.candidateLogits = logits.data();
    rows.length = length;
    rows.candidates = candidates.data();
    rows.rows = raggedRows;
  }
  const int64_t n = rows.rowCount();
  fuzz::Input<int32_t> labels(static_cast<size_t>(n));
  src.fill(labels, [&] { return src.index(dense ? vocab : 3); });
  if (which == 0) {
    matrix.seal(), logits.seal(), candidates.seal(), labels.seal();
    fuzz::DoubleOut scores(n);
    Status st = conformalScores(rows, labels.data(), scores.data());
    fuzz::checkStatus(st);
    if (st.ok()) FUZZ_CHECK(scores.written() && scores.noNaN());
    FUZZ_CHECK(matrix.unchanged() && logits.unchanged() && candidates.unchanged() && labels.unchanged());
    return 0;
  }

  PredictionSetInput in;
  in.rows = rows;
  in.hasLabels = src.flag();
  in.labels = labels.data();
  in.qhatPerRow = src.flag();
  fuzz::Input<double> qhat(size_t(in.qhatPerRow ? n : 1));
  src.fill(qhat, [&] { return src.byte() < 230 ? double(src.range<int32_t>(-8, 72)) / 64.0 : src.number(); });
  in.qhat = qhat.data();
  const bool withSteps = src.flag(), withRollouts = src.flag();
  in.stepCount = withSteps ? src.count(6) : n;
  fuzz::Input<int32_t> steps(size_t(withSteps ? in.stepCount + 1 : 0));
  if (withSteps) src.offsets(steps, in.stepCount, n);
  in.rolloutCount = withRollouts ? src.count(4) : 1;
  fuzz::Input<int32_t> rollouts(size_t(withRollouts ? in.rolloutCount + 1 : 0));
  if (withRollouts) src.offsets(rollouts, in.rolloutCount, in.stepCount);
  in.steps = withSteps ? steps.data() : nullptr;
  in.rollouts = withRollouts ? rollouts.data() : nullptr;
  in.uncertainty = SetUncertainty(src.byte() < 250 ? src.range<int>(0, 1) : src.range<int>(-1, 3));
  in.alpha = src.byte() < 230 ? double(src.range<int32_t>(1, 63)) / 64.0 : src.number();
  matrix.seal(), logits.seal(), candidates.seal(), labels.seal(), qhat.seal(), steps.seal(), rollouts.seal();

  fuzz::Out<int32_t> sizes(n);
  fuzz::MaskOut covered(n), hasGain(in.stepCount);
  fuzz::FloatOut uncertainty(in.stepCount), gains(in.stepCount);
  Status st = predictionSetSizes(in, {sizes.data(), in.hasLabels ? covered.data() : nullptr, uncertainty.data(), gains.data(), hasGain.data()});
  fuzz::checkStatus(st);
  if (st.ok()) {
    FUZZ_CHECK(sizes.written() && uncertainty.written() && gains.written() && hasGain.written());
    if (in.hasLabels) FUZZ_CHECK(covered.written());
    for (int64_t r = 0; r < n; r++) {
      const int64_t k = dense ? vocab : candidates[size_t(r + 1)] - candidates[size_t(r)];
      FUZZ_CHECK(sizes[size_t(r)] >= 0 && sizes[size_t(r)] <= k);
    }
    FUZZ_CHECK(uncertainty.noNaN() && gains.noNaN());
  }
  FUZZ_CHECK(matrix.unchanged() && logits.unchanged() && candidates.unchanged() && labels.unchanged());
  FUZZ_CHECK(qhat.unchanged() && steps.unchanged() && rollouts.unchanged());
  return 0;
}
