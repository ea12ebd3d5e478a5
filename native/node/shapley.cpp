// shapleyExact(values, options) -> Float64Array, and the ShapleyEstimator class
// (nextBatch / observe / estimate over native/core/shapley/shapley_estimator.h).
#include "../core/shapley/shapley.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../core/shapley/shapley_estimator.h"
#include "../cuda/cuda.h"
#include "args.h"
#include "backend.h"
#include "call_inputs.h"
#include "errors.h"
#include "families.h"
#include "run.h"

namespace infogain {
namespace {

Napi::Value ShapleyExact(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  size_t length = 0;
  const double* values = float64Arg(env, info[0], "values", -1, &length);
  Napi::Object o = optionsArg(env, info[1]);
  const double indexCode = numberProp(o, "index", 0);
  if (indexCode != 0 && indexCode != 1) throwRange(env, codes::kRange, "index", -1, "index must be 'shapley' or 'banzhaf'");
  const ShapleyIndex index = ShapleyIndex(int(indexCode));
  int n = 0;
  Status st = checkShapleyExact(int64_t(length), &n);
  if (!st.ok()) throwStatus(env, st);
  const Backend backend = backendArg(env, o);
  // 'auto' takes the GPU from n = 16 on (512 KiB of values); below, the copy costs more than the pass
  const bool cuda = backend == Backend::Auto ? n >= 16 && cuda::available() : useCuda(env, backend, 0);
  Napi::Float64Array phi = poisonedFloat64(env, int64_t(n));
  double* out = phi.Data();
  Napi::Object result = Napi::Object::New(env);
  result.Set("phi", phi);
  return runKernel(
      env, async,
      [=] {
        return runOnBackend(
            backend, cuda, [&] { return cuda::shapleyExact(values, int64_t(length), index, out); },
            [&] { return shapleyExact(values, int64_t(length), index, out); });
      },
      result, {info[0]});
}

class EstimatorWrap : public Napi::ObjectWrap<EstimatorWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "ShapleyEstimator",
                       {InstanceMethod("nextBatch", &EstimatorWrap::NextBatch), InstanceMethod("observe", &EstimatorWrap::Observe),
                        InstanceMethod("estimate", &EstimatorWrap::Estimate), InstanceMethod("pending", &EstimatorWrap::Pending),
                        InstanceMethod("done", &EstimatorWrap::Done), InstanceMethod("method", &EstimatorWrap::Method),
                        InstanceMethod("dispose", &EstimatorWrap::Dispose)});
  }

  explicit EstimatorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EstimatorWrap>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throwType(env, "options", "options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    EstimatorOptions opt;
    opt.players = intProp(env, o, "players");
    opt.method = ShapleyMethod(intProp(env, o, "method"));
    opt.budget = countProp(env, o, "budget");
    opt.seed = uint64_t(countProp(env, o, "seed"));
    opt.tolerance = numberProp(o, "tolerance", 0);
    opt.cache = boolProp(o, "cache", true);
    opt.sizes = SizeDistribution(intProp(env, o, "sizes"));
    opt.maxPermutations = intProp(env, o, "maxPermutations");
    opt.minPermutations = intProp(env, o, "minPermutations");
    opt.promedTolerance = numberProp(o, "promedTolerance", 1e-2);
    opt.truncation = numberProp(o, "truncation", 1e-2);
    Status st = catching([&] { return ShapleyEstimator::create(opt, &estimator_); });
    if (!st.ok()) throwStatus(env, st);
    account(env);
  }

  // Garbage collection: give back what was reported.
  void Finalize(Napi::Env env) override { release(env); }

 private:
  // The estimator's memory (it grows with the coalitions asked for) is reported to V8 as external
  // memory, so that dropped estimators are collected before they fill the machine: V8 cannot see
  // native allocations otherwise (test/RELIABILITY.md, finding 13.6).
  void account(Napi::Env env) {
    const int64_t now = estimator_ ? estimator_->memoryBytes() : 0;
    if (now != reported_) Napi::MemoryManagement::AdjustExternalMemory(env, now - reported_);
    reported_ = now;
  }

  void release(Napi::Env env) {
    estimator_.reset();
    account(env);
  }

  // The estimator, or ERR_INFOGAIN_DISPOSED once dispose() freed it.
  ShapleyEstimator& live(Napi::Env env) {
    if (!estimator_)
      throwStatus(env, runtimeError(codes::kDisposed, "this ShapleyEstimator was disposed; create a new one"));
    return *estimator_;
  }

  // An int option; past INT32_MAX a RangeError (int() would wrap 2^32 + 3 to 3).
  static int intProp(Napi::Env env, Napi::Object o, const char* key) {
    const int64_t v = countProp(env, o, key);
    if (v > INT32_MAX) throwRange(env, codes::kRange, key, -1, std::string(key) + " must be below 2^31");
    return int(v);
  }

  // A required non-negative integer option (args.h integerProp takes any integer and has a fallback).
  static int64_t countProp(Napi::Env env, Napi::Object o, const char* key) {
    Napi::Value v = o.Get(key);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0)
      throwRange(env, codes::kRange, key, -1, std::string(key) + " must be a non-negative integer");
    return int64_t(d);
  }

  Napi::Value NextBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const double max = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : NAN;
    if (!(max >= 0) || max != std::floor(max)) throwRange(env, codes::kRange, "max", -1, "max must be an integer >= 0");
    std::vector<uint32_t> masks;
    ShapleyEstimator& e = live(env);
    Status st = catching([&] { return e.nextBatch(max > 1e15 ? int64_t(1e15) : int64_t(max), &masks); });
    account(env);
    if (!st.ok()) throwStatus(env, st);
    Napi::Uint32Array out = Napi::Uint32Array::New(env, masks.size());
    for (size_t k = 0; k < masks.size(); k++) out[k] = masks[k];
    return out;
  }

  Napi::Value Observe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallInputs inputs(false);  // masks in a SharedArrayBuffer: checked and used as one copy
    size_t nm = 0, nv = 0;
    const uint32_t* masks = uint32Arg(env, info[0], "masks", -1, &nm);
    const double* values = float64Arg(env, info[1], "values", -1, &nv);
    if (nm != nv)
      throwRange(env, codes::kShape, "values", -1,
                 "values has " + std::to_string(nv) + " elements, masks has " + std::to_string(nm));
    ShapleyEstimator& e = live(env);
    Status st = catching([&] { return e.observe(masks, values, int64_t(nm)); });
    account(env);
    if (!st.ok()) throwStatus(env, st);
    return env.Undefined();
  }

  Napi::Value Estimate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ShapleyEstimate e;
    ShapleyEstimator& estimator = live(env);
    Status st = catching([&] { return estimator.estimate(&e); });
    if (!st.ok()) throwStatus(env, st);
    Napi::Float64Array phi = Napi::Float64Array::New(env, e.phi.size());
    Napi::Float64Array stderr_ = Napi::Float64Array::New(env, e.standardError.size());
    for (size_t i = 0; i < e.phi.size(); i++) {
      phi[i] = e.phi[i];
      stderr_[i] = e.standardError[i];
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("phi", phi);
    out.Set("stderr", stderr_);
    out.Set("evaluations", Napi::Number::New(env, double(e.evaluations)));
    out.Set("calls", Napi::Number::New(env, double(e.calls)));
    out.Set("units", Napi::Number::New(env, double(e.units)));
    out.Set("converged", Napi::Boolean::New(env, e.converged));
    out.Set("exact", Napi::Boolean::New(env, e.exact));
    out.Set("method", Napi::String::New(env, methodName(e.method)));
    return out;
  }

  Napi::Value Pending(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(live(info.Env()).pending()));
  }
  Napi::Value Done(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), live(info.Env()).done()); }
  Napi::Value Method(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), methodName(live(info.Env()).method()));
  }
  // Frees the estimator now; any later use is ERR_INFOGAIN_DISPOSED. Calling it again does nothing.
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    release(info.Env());
    return info.Env().Undefined();
  }

  std::unique_ptr<ShapleyEstimator> estimator_;
  int64_t reported_ = 0;  // bytes reported to V8 as external memory
};

}  // namespace

void registerShapley(Napi::Env env, Napi::Object exports) {
  exportKernel(env, exports, "shapleyExact", ShapleyExact);
  exports.Set("ShapleyEstimator", EstimatorWrap::define(env));
}

}  // namespace infogain
