// klDivergence(p, q, options), logRatio(logpA, logpB, options), topkKL(p, q, options)
//   -> { values, spanValues? }: one value per row (token), and per span when options.spans is given.
#include "../core/kl_divergence.h"
#include "../core/log_ratio.h"
#include "../core/spans.h"
#include "../core/topk_kl.h"
#include "../cuda/cuda.h"
#include "args.h"
#include "backend.h"
#include "errors.h"
#include "families.h"
#include "run.h"

namespace infogain {
namespace {

// How many codes each enum option has (the core checks them again).
constexpr int32_t kKLDirections = int32_t(KLDirection::JensenShannon) + 1;
constexpr int32_t kEstimators = int32_t(Estimator::Abs) + 1;

// options.spans (Int32Array of [start, end) pairs over `length` items) and options.reduce.
struct SpanOption {
  Spans spans;
  Reduce reduce = Reduce::Mean;
  bool present = false;
};

SpanOption spanOption(Napi::Env env, Napi::Object o, int64_t length) {
  SpanOption s;
  Napi::Value v = o.Get("spans");
  if (v.IsUndefined() || v.IsNull()) return s;
  s.spans = spansArg(env, v, "spans");
  s.reduce = enumProp(env, o, "reduce", 2, 0) == 1 ? Reduce::Sum : Reduce::Mean;
  s.present = true;
  Status st = checkSpans(s.spans, length, "spans", s.reduce == Reduce::Mean);
  if (!st.ok()) throwStatus(env, st);
  return s;
}

// The result object: values [length], and spanValues when spans were given. Returns the pointers.
Napi::Object resultWithSpans(Napi::Env env, int64_t length, const SpanOption& s, float** values, float** spanValues) {
  Napi::Object result = Napi::Object::New(env);
  Napi::Float32Array v = poisonedFloat32(env, length);
  result.Set("values", v);
  *values = v.Data();
  *spanValues = nullptr;
  if (s.present) {
    Napi::Float32Array sv = poisonedFloat32(env, s.spans.count);
    result.Set("spanValues", sv);
    *spanValues = sv.Data();
  }
  return result;
}

Status thenReduce(Status st, const float* values, const SpanOption& s, float* spanValues) {
  if (st.ok() && spanValues) reduceSpans(values, s.spans, s.reduce, spanValues);
  return st;
}

Napi::Value KlDivergence(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  LogitsView p = logitsArg(env, info[0], "p");
  LogitsView q = logitsArg(env, info[1], "q");
  Napi::Object o = optionsArg(env, info[2]);
  KLOptions opt;
  opt.direction = KLDirection(enumProp(env, o, "direction", kKLDirections, 0));
  opt.temperature = float(numberProp(o, "temperature", 1.0));
  Status st = checkKLDivergence(p, q, opt);
  if (!st.ok()) throwStatus(env, st);
  SpanOption spans = spanOption(env, o, p.rows);
  const Backend backend = backendArg(env, o);
  const bool cuda = useCuda(env, backend, p.bytes() + q.bytes());

  float *values, *spanValues;
  Napi::Object result = resultWithSpans(env, p.rows, spans, &values, &spanValues);
  return runKernel(
      env, async,
      [=] {
        Status s = runOnBackend(
            backend, cuda, [&] { return cuda::klDivergence(p, q, opt, values); },
            [&] { return klDivergence(p, q, opt, values); });
        return thenReduce(s, values, spans, spanValues);
      },
      result, {info[0], info[1], o});
}

Napi::Value LogRatio(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t n = 0;
  const float* a = float32Arg(env, info[0], "logpA", -1, &n);
  const float* b = float32Arg(env, info[1], "logpB", int64_t(n));
  Napi::Object o = optionsArg(env, info[2]);
  LogRatioOptions opt;
  opt.estimator = Estimator(enumProp(env, o, "estimator", kEstimators, 0));
  opt.clamp = boolProp(o, "clamp", false);
  SpanOption spans = spanOption(env, o, int64_t(n));

  float *values, *spanValues;
  Napi::Object result = resultWithSpans(env, int64_t(n), spans, &values, &spanValues);
  return runKernel(
      env, async, [=] { return thenReduce(logRatio(a, b, int64_t(n), opt, values), values, spans, spanValues); }, result,
      {info[0], info[1], o});
}

// { ids, logprobs, k, sampledLogprobs? } with ids and logprobs of rows * k elements.
TopkSide topkSideArg(Napi::Env env, Napi::Value v, const char* name, int64_t* rows, int64_t* k) {
  if (!v.IsObject()) throwType(env, name, std::string(name) + " must be an object { ids, logprobs, k }");
  Napi::Object o = v.As<Napi::Object>();
  const std::string prefix(name);
  int64_t sideK = int64Prop(env, o, "k", name);
  if (sideK < 1 || sideK > INT32_MAX) throwRange(env, codes::kRange, name, -1, prefix + ".k must be in [1, 2^31)");
  if (*k >= 0 && sideK != *k)
    throwRange(env, codes::kShape, name, -1, prefix + ".k = " + std::to_string(sideK) + " differs from p.k = " + std::to_string(*k));
  *k = sideK;
  TopkSide side;
  size_t n = 0;
  const std::string ids = prefix + ".ids", lps = prefix + ".logprobs", sampled = prefix + ".sampledLogprobs";
  side.ids = int32Arg(env, o.Get("ids"), ids.c_str(), *rows >= 0 ? *rows * sideK : -1, &n);
  if (n % size_t(sideK)) throwRange(env, codes::kShape, ids.c_str(), -1, ids + " must hold rows * k ids");
  *rows = int64_t(n) / sideK;
  side.logprobs = float32Arg(env, o.Get("logprobs"), lps.c_str(), int64_t(n));
  Napi::Value s = o.Get("sampledLogprobs");
  if (!s.IsUndefined() && !s.IsNull()) side.sampledLogprobs = float32Arg(env, s, sampled.c_str(), *rows);
  return side;
}

Napi::Value TopkKL(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  TopkInput in;
  int64_t rows = -1, k = -1;
  in.p = topkSideArg(env, info[0], "p", &rows, &k);
  in.q = topkSideArg(env, info[1], "q", &rows, &k);
  in.rows = rows;
  in.k = int32_t(k);
  Napi::Object o = optionsArg(env, info[2]);
  Napi::Value sampled = o.Get("sampled");
  if (!sampled.IsUndefined() && !sampled.IsNull()) in.sampled = int32Arg(env, sampled, "sampled", rows);
  if ((in.p.sampledLogprobs || in.q.sampledLogprobs) && !in.sampled)
    throwType(env, "sampled", "options.sampled (the sampled token ids) is required with sampledLogprobs");
  KLDirection direction = KLDirection(enumProp(env, o, "direction", kKLDirections, 0));
  SpanOption spans = spanOption(env, o, rows);

  float *values, *spanValues;
  Napi::Object result = resultWithSpans(env, rows, spans, &values, &spanValues);
  return runKernel(
      env, async, [=] { return thenReduce(topkKL(in, direction, values), values, spans, spanValues); }, result,
      {info[0], info[1], o});
}

}  // namespace

void registerDivergence(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "klDivergence", KlDivergence);
  exportKernel(env, exports, "logRatio", LogRatio);
  exportKernel(env, exports, "topkKL", TopkKL);
}

}  // namespace infogain
