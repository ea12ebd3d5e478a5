// linearLogprobs(hidden, weight, targets, options) -> { logprobs, logsumexp, entropy? }
// linearKL(hiddenP, hiddenQ, weight, options) -> { values }
// fmaPeak(seconds) -> { flops, wallSeconds, cpuSeconds } (the benchmarks' compute ceiling)
#include "../core/linear_head.h"

#include <string>

#include "../cuda/cuda.h"
#include "args.h"
#include "backend.h"
#include "errors.h"
#include "families.h"
#include "logprobs_result.h"
#include "run.h"

namespace infogain {
namespace {

// A row-major matrix { data, <rowsKey>, dim, dtype } whose data holds rows * dim elements.
struct Matrix {
  const void* data;
  int64_t rows, dim;
  DType dtype;
  int64_t bytes() const { return rows * dim * dtypeSize(dtype); }
};

Matrix matrixArg(Napi::Env env, Napi::Value v, const char* name, const char* rowsKey) {
  if (!v.IsObject()) throwType(env, name, std::string(name) + " must be an object { data, " + rowsKey + ", dim, dtype }");
  Napi::Object o = v.As<Napi::Object>();
  Matrix m;
  m.rows = int64Prop(env, o, rowsKey, name);
  m.dim = int64Prop(env, o, "dim", name);
  const int64_t dtype = int64Prop(env, o, "dtype", name);
  if (dtype > 2) throwRange(env, codes::kRange, name, -1, std::string(name) + ".dtype is not a dtype code");
  m.dtype = DType(dtype);
  TypedView data = typedArg(env, o.Get("data"), name);
  if (data.type != (m.dtype == DType::Float32 ? napi_float32_array : napi_uint16_array))
    throwType(env, name, std::string(name) + ".data must be a " + (m.dtype == DType::Float32 ? "Float32Array" : "Uint16Array") +
                             " for " + dtypeName(m.dtype));
  if (m.dim > 0 && m.rows > INT64_MAX / m.dim) throwRange(env, codes::kRange, name, -1, std::string(name) + ": its size overflows");
  if (data.length != size_t(m.rows * m.dim))
    throwRange(env, codes::kShape, name, -1,
               std::string(name) + ".data has " + std::to_string(data.length) + " elements, expected " + rowsKey +
                   " * dim = " + std::to_string(m.rows * m.dim));
  m.data = data.data;
  return m;
}

HiddenView hiddenArg(Napi::Env env, Napi::Value v, const char* name) {
  const Matrix m = matrixArg(env, v, name, "rows");
  return {m.data, m.rows, m.dim, m.dtype};
}

HeadWeight weightArg(Napi::Env env, Napi::Value v) {
  const Matrix m = matrixArg(env, v, "weight", "vocab");
  return {m.data, m.rows, m.dim, m.dtype, boolProp(v.As<Napi::Object>(), "transposed", false)};
}

// temperature, softcap and bias (a Float32Array of vocab elements, or absent)
LinearHeadOptions headOptions(Napi::Env env, Napi::Object o, int64_t vocab) {
  LinearHeadOptions opt;
  opt.temperature = float(numberProp(o, "temperature", 1.0));
  opt.softcap = float(numberProp(o, "softcap", 0.0));
  Napi::Value bias = o.Get("bias");
  if (!bias.IsUndefined() && !bias.IsNull()) opt.bias = float32Arg(env, bias, "bias", vocab);
  return opt;
}

int64_t inputBytes(const HiddenView& h, const HeadWeight& w) {
  return h.rows * h.dim * dtypeSize(h.dtype) + w.vocab * w.dim * dtypeSize(w.dtype);
}

Napi::Value LinearLogprobs(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  const HiddenView hidden = hiddenArg(env, info[0], "hidden");
  const HeadWeight weight = weightArg(env, info[1]);
  const int32_t* targets = int32Arg(env, info[2], "targets", hidden.rows);
  Napi::Object o = optionsArg(env, info[3]);
  const LinearHeadOptions opt = headOptions(env, o, weight.vocab);
  const bool wantEntropy = boolProp(o, "entropy", false);
  const Backend backend = backendArg(env, o);
  Status st = checkLinearLogprobs(hidden, weight, targets, opt);
  if (!st.ok()) throwStatus(env, st);
  const bool cuda = useCuda(env, backend, inputBytes(hidden, weight));

  TokenLogprobsOutput out;
  Napi::Object result = logprobsResult(env, hidden.rows, wantEntropy, &out);
  return runKernel(
      env, async,
      [=] {
        return runOnBackend(
            backend, cuda, [&] { return cuda::linearLogprobs(hidden, weight, targets, opt, out); },
            [&] { return linearLogprobs(hidden, weight, targets, opt, out); });
      },
      result, {info[0], info[1], info[2], o, o.Get("bias")});
}

Napi::Value LinearKL(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  const HiddenView p = hiddenArg(env, info[0], "hiddenP");
  const HiddenView q = hiddenArg(env, info[1], "hiddenQ");
  const HeadWeight weight = weightArg(env, info[2]);
  Napi::Object o = optionsArg(env, info[3]);
  LinearKLOptions opt;
  opt.head = headOptions(env, o, weight.vocab);
  opt.direction = KLDirection(enumProp(env, o, "direction", int32_t(KLDirection::JensenShannon) + 1, 0));
  const Backend backend = backendArg(env, o);
  Status st = checkLinearKL(p, q, weight, opt);
  if (!st.ok()) throwStatus(env, st);
  const bool cuda = useCuda(env, backend, inputBytes(p, weight) + inputBytes(q, weight) - weight.vocab * weight.dim * dtypeSize(weight.dtype));

  Napi::Object result = Napi::Object::New(env);
  Napi::Float32Array values = poisonedFloat32(env, p.rows);
  result.Set("values", values);
  float* out = values.Data();
  return runKernel(
      env, async,
      [=] {
        return runOnBackend(
            backend, cuda, [&] { return cuda::linearKL(p, q, weight, opt, out); },
            [&] { return linearKL(p, q, weight, opt, out); });
      },
      result, {info[0], info[1], info[2], o, o.Get("bias")});
}

Napi::Value FmaPeakEntry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double seconds = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.2;
  if (!(seconds > 0 && seconds <= 60)) throwRange(env, codes::kRange, "seconds", -1, "seconds must be in (0, 60]");
  const FmaPeak p = fmaPeak(seconds);
  Napi::Object r = Napi::Object::New(env);
  r.Set("flops", p.flops);
  r.Set("wallSeconds", p.wallSeconds);
  r.Set("cpuSeconds", p.cpuSeconds);
  return r;
}

}  // namespace

void registerLinearHead(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "linearLogprobs", LinearLogprobs);
  exportKernel(env, exports, "linearKL", LinearKL);
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeakEntry, "fmaPeak"));
}

}  // namespace infogain
