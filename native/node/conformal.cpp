// conformalScores(input, options) -> { scores }, conformalQuantile(scores, options) -> { qhat },
// predictionSetSizes(input, options) -> { sizes, covered?, uncertainty, gains, hasGain }   (C-IP)
#include "../core/conformal.h"

#include <cmath>
#include <string>

#include "args.h"
#include "errors.h"
#include "families.h"
#include "run.h"

namespace infogain {
namespace {

// input.logits (a dense matrix), or input.candidateLogits with input.candidates (ragged rows).
CandidateRows rowsArg(Napi::Env env, Napi::Object o, Napi::Object options) {
  CandidateRows rows;
  rows.temperature = numberProp(options, "temperature", 1.0);
  Napi::Value logits = o.Get("logits");
  if (!logits.IsUndefined() && !logits.IsNull()) {
    rows.logits = logitsArg(env, logits, "logits");
    return rows;
  }
  size_t length = 0;
  rows.candidateLogits = float32Arg(env, o.Get("candidateLogits"), "candidateLogits", -1, &length);
  rows.length = int64_t(length);
  rows.candidates = offsetsArg(env, o.Get("candidates"), "candidates", -1, &rows.rows);
  if (!rows.candidates) throwType(env, "candidates", "candidates (an Int32Array of offsets) is required with candidateLogits");
  return rows;
}

Napi::Value ConformalScores(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object o = inputArg(env, info[0], "conformalScores");
  const CandidateRows rows = rowsArg(env, o, optionsArg(env, info[1]));
  const int32_t* labels = int32Arg(env, o.Get("labels"), "labels", rows.rowCount());
  Napi::Float64Array scores = poisonedFloat64(env, rows.rowCount());
  Napi::Object result = Napi::Object::New(env);
  result.Set("scores", scores);
  double* out = scores.Data();
  return runKernel(env, async, [=] { return conformalScores(rows, labels, out); }, result, {info[0]});
}

Napi::Value ConformalQuantile(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t length = 0;
  const double* s = float64Arg(env, info[0], "scores", -1, &length);
  const int64_t n = int64_t(length);
  Napi::Object opt = optionsArg(env, info[1]);
  int64_t groupCount = 0;
  const int32_t* groups = offsetsArg(env, opt.Get("groups"), "groups", 1, &groupCount);
  const double alpha = numberProp(opt, "alpha", NAN);
  const QuantileMethod method = QuantileMethod(enumProp(env, opt, "method", 2, -1));  // none given: the check names it
  Status checked = checkConformalQuantile(n, groups, groupCount, alpha, method);
  if (!checked.ok()) throwStatus(env, checked);
  Napi::Float64Array qhat = poisonedFloat64(env, groupCount);
  Napi::Object result = Napi::Object::New(env);
  result.Set("qhat", qhat);
  double* out = qhat.Data();
  return runKernel(env, async, [=] { return conformalQuantile(s, n, groups, groupCount, alpha, method, out); }, result,
                   {info[0], info[1]});
}

Napi::Value PredictionSetSizes(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Napi::Object o = inputArg(env, info[0], "predictionSetSizes");
  Napi::Object opt = optionsArg(env, info[1]);
  PredictionSetInput in;
  in.rows = rowsArg(env, o, opt);
  const int64_t rows = in.rows.rowCount();
  Napi::Value labels = o.Get("labels");
  if (!labels.IsUndefined() && !labels.IsNull()) {
    in.labels = int32Arg(env, labels, "labels", rows);
    in.hasLabels = true;
  }
  in.steps = offsetsArg(env, o.Get("steps"), "steps", rows, &in.stepCount);
  in.rollouts = offsetsArg(env, o.Get("rollouts"), "rollouts", 1, &in.rolloutCount);
  Napi::Value qhat = opt.Get("qhat");
  double single = NAN;  // one qhat for every row: the compute below points at its own copy
  if (qhat.IsNumber()) {
    single = qhat.As<Napi::Number>().DoubleValue();
  } else {
    TypedView q = typedArg(env, qhat, "qhat");
    if (q.type != napi_float64_array) throwType(env, "qhat", "qhat must be a number or a Float64Array");
    if (int64_t(q.length) != rows)
      throwRange(env, codes::kShape, "qhat", -1, "qhat has " + std::to_string(q.length) + " values, expected one per row: " + std::to_string(rows));
    in.qhat = static_cast<const double*>(q.data);
    in.qhatPerRow = true;
  }
  in.uncertainty = SetUncertainty(enumProp(env, opt, "uncertainty", 2, 0));
  in.alpha = numberProp(opt, "alpha", NAN);

  Napi::Object result = Napi::Object::New(env);
  Napi::Int32Array sizes = poisonedInt32(env, rows);
  Napi::Float32Array uncertainty = poisonedFloat32(env, in.stepCount), gains = poisonedFloat32(env, in.stepCount);
  Napi::Uint8Array hasGain = poisonedUint8(env, in.stepCount);
  result.Set("sizes", sizes);
  uint8_t* covered = nullptr;
  if (in.hasLabels) {
    Napi::Uint8Array c = poisonedUint8(env, rows);
    result.Set("covered", c);
    covered = c.Data();
  }
  result.Set("uncertainty", uncertainty);
  result.Set("gains", gains);
  result.Set("hasGain", hasGain);
  PredictionSetOutput out{sizes.Data(), covered, uncertainty.Data(), gains.Data(), hasGain.Data()};
  return runKernel(
      env, async,
      [=] {
        PredictionSetInput call = in;
        if (!call.qhatPerRow) call.qhat = &single;
        return predictionSetSizes(call, out);
      },
      result, {info[0], info[1]});
}

}  // namespace

void registerConformal(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "conformalScores", ConformalScores);
  exportKernel(env, exports, "conformalQuantile", ConformalQuantile);
  exportKernel(env, exports, "predictionSetSizes", PredictionSetSizes);
}

}  // namespace infogain
