// The fused head in the GPU harness: linearLogprobs and linearKL, CUDA and CPU, against float64
// references on random heads (every dtype pairing, both weight layouts, bias with -inf, softcap,
// vocab 1, dim 1, several launches of rows, |logits| ~ 1e4), statuses equal to the CPU's; then the
// fused log-prob kernel timed against the materializing variant (logits kernel + tokenLogprobs'
// reduction) on the issue's shape, in GFLOP/s.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../../native/core/linear_head.h"
#include "../../native/cuda/cuda.h"
#include "../../native/cuda/linear_head.cuh"
#include "../../native/cuda/logprobs.cuh"
#include "harness.cuh"
#include "inputs.h"
#include "reference.h"
#include "sections.h"

using namespace infogain;

namespace harness {
namespace {

struct HeadCase {
  const char* what;
  DType hiddenType, weightType;
  int64_t rows, vocab, dim;
  bool transposed = false;
  bool bias = false;       // N(0, 1) with 5% -inf
  float softcap = 0.0f;
  float offset = 0.0f;     // added to every hidden value (large logits)
  float temperature = 0.9f;
};

struct HeadInputs {
  std::vector<uint8_t> hidden, hiddenQ, weight;
  std::vector<float> bias;
  std::vector<int32_t> targets;
};

HeadInputs randomHead(const HeadCase& c, uint64_t seed) {
  HeadInputs in;
  in.hidden.resize(size_t(c.rows * c.dim * dtypeSize(c.hiddenType)));
  in.hiddenQ.resize(in.hidden.size());
  in.weight.resize(size_t(c.vocab * c.dim * dtypeSize(c.weightType)));
  const double wStd = 3.0 / std::sqrt(double(c.dim));
  parallelFor(c.rows, [&](int64_t r) {
    Rng rng(seed, uint64_t(r));
    for (int64_t k = 0; k < c.dim; k++) {
      const float x = float(c.offset + rng.normal());
      store(in.hidden, c.hiddenType, r * c.dim + k, x);
      store(in.hiddenQ, c.hiddenType, r * c.dim + k, float(x + 0.3 * rng.normal()));
    }
  });
  parallelFor(c.vocab, [&](int64_t j) {
    Rng rng(seed + 1, uint64_t(j));
    for (int64_t k = 0; k < c.dim; k++)
      store(in.weight, c.weightType, c.transposed ? k * c.vocab + j : j * c.dim + k, float(wStd * rng.normal()));
  });
  if (c.bias) {
    Rng rng(seed + 2, 0);
    in.bias.resize(size_t(c.vocab));
    for (float& b : in.bias) b = rng.uniform() < 0.05 ? -INFINITY : float(rng.normal());
    in.bias[0] = 0.0f;  // one finite entry at least
  }
  in.targets = randomTargets(seed + 3, c.rows, c.vocab);
  return in;
}

// float64 logits of one row, and the largest sum_k |h w| (+ |bias|) over the row
double rowLogits(const HiddenView& h, const HeadWeight& w, const LinearHeadOptions& opt, int64_t r, std::vector<double>& z) {
  double worst = 0;
  for (int64_t j = 0; j < w.vocab; j++) {
    double s = 0, a = 0;
    for (int64_t k = 0; k < h.dim; k++) {
      const double p = double(loadAsFloat(h.data, h.dtype, r * h.dim + k)) * double(w.at(j, k));
      s += p;
      a += std::fabs(p);
    }
    if (opt.bias) {
      s += opt.bias[j];
      a += std::isfinite(opt.bias[j]) ? std::fabs(opt.bias[j]) : 0.0;
    }
    if (opt.softcap > 0) s = opt.softcap * std::tanh(s / opt.softcap);
    z[size_t(j)] = s;
    worst = std::fmax(worst, a);
  }
  return worst;
}

// The tolerance of tokenLogprobs plus the float32 accumulation of the logits (as the Node suite's
// test/helpers/linear-head-reference.mjs): 2 (4 u sum|h w| + 4 u softcap) / T.
double slack(double magnitude, const LinearHeadOptions& opt) {
  const double u = std::ldexp(1.0, -24);
  return 2.0 * (4.0 * u * magnitude + (opt.softcap > 0 ? 4.0 * u * opt.softcap : 0.0)) / opt.temperature;
}

struct HeadRef {
  LogprobRef lp;
  std::vector<double> tol, lseTol;
};

HeadRef referenceHead(const HiddenView& h, const HeadWeight& w, const int32_t* targets, const LinearHeadOptions& opt) {
  const size_t n = size_t(h.rows);
  HeadRef ref{{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)},
              std::vector<double>(n), std::vector<double>(n)};
  const double invT = 1.0 / opt.temperature;
  parallelFor(h.rows, [&](int64_t r) {
    std::vector<double> z(static_cast<size_t>(w.vocab));
    const double extra = slack(rowLogits(h, w, opt, r, z), opt);
    double m = -INFINITY, s = 0, ws = 0;
    for (double x : z) m = std::fmax(m, x * invT);
    for (double x : z) {
      const double d = x * invT - m, e = std::exp(d);
      s += e;
      if (e > 0) ws += e * d;
    }
    const size_t i = size_t(r);
    ref.lp.targetLogit[i] = z[size_t(targets[i])] * invT;
    ref.lp.logsumexp[i] = m + std::log(s);
    ref.lp.logprob[i] = ref.lp.targetLogit[i] - ref.lp.logsumexp[i];
    ref.lp.entropy[i] = std::log(s) - ws / s;
    ref.lseTol[i] = 2e-5 + 1e-6 * std::fabs(ref.lp.logsumexp[i]) + extra;
    ref.tol[i] = ref.lseTol[i] + 1e-6 * std::fabs(ref.lp.targetLogit[i]);
  });
  return ref;
}

// Every direction's float64 KL between the two heads' rows, and the tolerance per row.
struct HeadKLRef {
  std::vector<double> values[4], tol;
};

HeadKLRef referenceHeadKL(const HiddenView& p, const HiddenView& q, const HeadWeight& w, const LinearHeadOptions& opt) {
  const size_t n = size_t(p.rows);
  HeadKLRef ref;
  for (auto& v : ref.values) v.resize(n);
  ref.tol.resize(n);
  const double invT = 1.0 / opt.temperature;
  parallelFor(p.rows, [&](int64_t r) {
    std::vector<double> a(static_cast<size_t>(w.vocab)), b(a.size());
    const double extra = slack(rowLogits(p, w, opt, r, a), opt) + slack(rowLogits(q, w, opt, r, b), opt);
    auto lse = [&](const std::vector<double>& z) {
      double m = -INFINITY, s = 0;
      for (double x : z) m = std::fmax(m, x * invT);
      for (double x : z) s += std::exp(x * invT - m);
      return m + std::log(s);
    };
    const double la = lse(a), lb = lse(b);
    double fwd = 0, rev = 0, js = 0;
    for (size_t j = 0; j < a.size(); j++) {
      const double x = a[j] * invT - la, y = b[j] * invT - lb, px = std::exp(x), qy = std::exp(y), mid = 0.5 * (px + qy);
      if (px > 0) fwd += y == -INFINITY ? INFINITY : px * (x - y);
      if (qy > 0) rev += x == -INFINITY ? INFINITY : qy * (y - x);
      if (px > 0) js += 0.5 * px * std::log(px / mid);
      if (qy > 0) js += 0.5 * qy * std::log(qy / mid);
    }
    const size_t i = size_t(r);
    ref.values[0][i] = fwd;
    ref.values[1][i] = rev;
    ref.values[2][i] = fwd + rev;
    ref.values[3][i] = js;
    ref.tol[i] = 2e-5 + 2 * extra;
  });
  return ref;
}

// worst |got - ref| / tol over the rows (the relative part 1e-6 |ref| added here for KL)
Deviation headDeviation(const float* got, const std::vector<double>& ref, const std::vector<double>& tol, double rtol) {
  std::vector<double> scale(ref.size());
  for (size_t i = 0; i < ref.size(); i++) scale[i] = tol[i] + rtol * (std::isfinite(ref[i]) ? std::fabs(ref[i]) : 0.0);
  return deviation(got, ref, 0.0, 1.0, &scale);
}

struct Tally {
  int cases = 0, failed = 0;
  double cpuWorst = 0, gpuWorst = 0;
  void add(const std::string& what, const Status& cpuSt, const Deviation& cpu, bool device, const Status& gpuSt,
           const Deviation& gpu) {
    cases++;
    const bool cpuBad = !cpuSt.ok() || !(cpu.worst <= 1.0), gpuBad = device && (!gpuSt.ok() || !(gpu.worst <= 1.0));
    if (cpuSt.ok()) cpuWorst = std::fmax(cpuWorst, cpu.worst);
    if (device && gpuSt.ok()) gpuWorst = std::fmax(gpuWorst, gpu.worst);
    std::printf("  %s: CPU %s", what.c_str(), cpuSt.ok() ? fmt("%.3g", cpu.worst).c_str() : cpuSt.message.c_str());
    if (device) std::printf(", CUDA %s", gpuSt.ok() ? fmt("%.3g", gpu.worst).c_str() : gpuSt.message.c_str());
    std::printf(" of tolerance%s%s\n", cpuBad ? "  CPU OVER TOLERANCE" : "", gpuBad ? "  FAIL" : "");
    if (cpuBad) report().cpuFailures++;
    if (gpuBad) {
      failed++;
      report().failures++;
    }
  }
  void row(const char* name, bool device) const {
    report().table.push_back({name, fmt("%.0f cases", cases), "", "",
                              fmt("CPU %.2g", cpuWorst) + (device ? fmt(", CUDA %.2g of tol", gpuWorst) : std::string(" of tol")),
                              !device ? "CUDA not run (no device)" : failed ? "FAILED" : "ok"});
  }
};

std::string shapeOf(const HeadCase& c) {
  return std::string(dtypeName(c.hiddenType)) + " x " + dtypeName(c.weightType) + fmt(" [%.0f, ", double(c.rows)) +
         fmt("%.0f, ", double(c.vocab)) + fmt("%.0f]", double(c.dim)) + (c.transposed ? " transposed" : "") + " " + c.what;
}

void runLogprobsCase(Tally& t, const HeadCase& c, uint64_t seed, bool device) {
  const HeadInputs in = randomHead(c, seed);
  const HiddenView h{in.hidden.data(), c.rows, c.dim, c.hiddenType};
  const HeadWeight w{in.weight.data(), c.vocab, c.dim, c.weightType, c.transposed};
  LinearHeadOptions opt;
  opt.temperature = c.temperature;
  opt.softcap = c.softcap;
  opt.bias = c.bias ? in.bias.data() : nullptr;
  const HeadRef ref = referenceHead(h, w, in.targets.data(), opt);
  const size_t n = size_t(c.rows);
  auto run = [&](bool gpu, Status* st) {
    std::vector<float> lp(n, NAN), lse(n, NAN), ent(n, NAN);
    const TokenLogprobsOutput out{lp.data(), lse.data(), ent.data()};
    *st = gpu ? cuda::linearLogprobs(h, w, in.targets.data(), opt, out) : linearLogprobs(h, w, in.targets.data(), opt, out);
    return worse(worse(headDeviation(lp.data(), ref.lp.logprob, ref.tol, 0), headDeviation(lse.data(), ref.lp.logsumexp, ref.lseTol, 0)),
                 headDeviation(ent.data(), ref.lp.entropy, ref.tol, 0));
  };
  Status cpuSt, gpuSt;
  const Deviation cpu = run(false, &cpuSt);
  const Deviation gpu = device ? run(true, &gpuSt) : Deviation{};
  t.add(shapeOf(c), cpuSt, cpu, device, gpuSt, gpu);
}

const char* kDirectionNames[] = {"forward", "reverse", "symmetric", "js"};

void runKLCase(Tally& t, const HeadCase& c, uint64_t seed, bool device) {
  const HeadInputs in = randomHead(c, seed);
  const HiddenView p{in.hidden.data(), c.rows, c.dim, c.hiddenType}, q{in.hiddenQ.data(), c.rows, c.dim, c.hiddenType};
  const HeadWeight w{in.weight.data(), c.vocab, c.dim, c.weightType, c.transposed};
  LinearKLOptions opt;
  opt.head.temperature = c.temperature;
  opt.head.softcap = c.softcap;
  opt.head.bias = c.bias ? in.bias.data() : nullptr;
  const HeadKLRef ref = referenceHeadKL(p, q, w, opt.head);
  for (int d = 0; d < 4; d++) {
    opt.direction = KLDirection(d);
    std::vector<float> out(size_t(c.rows), NAN);
    const Status cpuSt = linearKL(p, q, w, opt, out.data());
    const Deviation cpu = headDeviation(out.data(), ref.values[d], ref.tol, 1e-6);
    Status gpuSt;
    Deviation gpu;
    if (device) {
      std::fill(out.begin(), out.end(), NAN);
      gpuSt = cuda::linearKL(p, q, w, opt, out.data());
      gpu = headDeviation(out.data(), ref.values[d], ref.tol, 1e-6);
    }
    t.add(shapeOf(c) + " " + kDirectionNames[d], cpuSt, cpu, device, gpuSt, gpu);
  }
}

bool sameStatus(const Status& a, const Status& b) {
  return !a.ok() && a.code == b.code && a.argument == b.argument && a.index == b.index;
}

}  // namespace

void checkLinearHead(bool device) {
  using D = DType;
  Tally lp, kl;
  uint64_t seed = 900;
  const HeadCase cases[] = {
      {"", D::Float32, D::Float32, 37, 5000, 64},
      {"", D::BFloat16, D::BFloat16, 64, 151936, 96, true},
      {"bias with -inf, softcap 30", D::Float16, D::BFloat16, 130, 32000, 48, false, true, 30.0f},
      {"", D::Float32, D::Float16, 70, 7, 5},
      {"vocab 1", D::BFloat16, D::Float32, 5, 1, 3},
      {"dim 1", D::Float32, D::Float32, 200, 300, 1, true},
      {"several launches of rows", D::Float32, D::BFloat16, 4000, 151936, 4},
      {"more row tiles than gridDim.y takes", D::Float32, D::Float32, 4300000, 1, 1},
      {"|logits| ~ 1e4", D::Float32, D::Float32, 40, 3000, 16, false, false, 0.0f, 300.0f, 0.3f},
  };
  for (const HeadCase& c : cases) runLogprobsCase(lp, c, seed += 10, device);
  lp.row("linearLogprobs vs float64", device);
  const HeadCase klCases[] = {
      {"", D::Float32, D::BFloat16, 40, 151936, 32},
      {"bias with -inf", D::Float16, D::Float32, 70, 300, 16, true, true},
      {"", D::BFloat16, D::BFloat16, 600, 2000, 24},
  };
  for (const HeadCase& c : klCases) runKLCase(kl, c, seed += 10, device);
  kl.row("linearKL vs float64", device);

  if (!device) return;
  // statuses: the same argument and index as the CPU's
  const int before = report().failures;
  std::vector<float> h(6 * 8, 0.5f), w(10 * 8, 0.25f), none(10, -INFINITY);
  const std::vector<int32_t> t(6, 1);
  std::vector<float> a(6), b(6), c(6);
  auto both = [&](const char* what, const LinearHeadOptions& opt) {
    const HiddenView hv{h.data(), 6, 8, D::Float32};
    const HeadWeight wv{w.data(), 10, 8, D::Float32, false};
    const Status cpu = linearLogprobs(hv, wv, t.data(), opt, {a.data(), b.data(), c.data()});
    const Status gpu = cuda::linearLogprobs(hv, wv, t.data(), opt, {a.data(), b.data(), c.data()});
    const bool ok = sameStatus(cpu, gpu);
    std::printf("  %s: CPU %s [%s, %ld] / CUDA %s [%s, %ld]%s\n", what, cpu.code.c_str(), cpu.argument.c_str(), long(cpu.index),
                gpu.code.c_str(), gpu.argument.c_str(), long(gpu.index), ok ? "" : "  FAIL");
    if (!ok) report().failures++;
  };
  h[3 * 8 + 2] = NAN;
  both("NaN in hidden row 3", {});
  h[3 * 8 + 2] = 0.5f;
  w[7 * 8 + 5] = INFINITY;
  both("+inf in weight row 7", {});
  w[7 * 8 + 5] = 0.25f;
  LinearHeadOptions masked;
  masked.bias = none.data();
  both("a bias masking every entry", masked);
  float dummy = NAN;
  const Status z = cuda::linearLogprobs({h.data(), 0, 8, D::Float32}, {w.data(), 10, 8, D::Float32, false}, t.data(), {},
                                        {&dummy, &dummy, &dummy});
  std::printf("  zero rows: '%s'%s\n", z.message.c_str(), z.ok() ? "" : "  FAIL");
  if (!z.ok()) report().failures++;
  report().table.push_back({"linear head statuses, zero rows", "", "", "", "", report().failures > before ? "FAILED" : "same as CPU"});
}

void timeLinearHead(cudaStream_t s, bool quick) {
  const int64_t rows = quick ? 1024 : 4096, vocab = 151936, dim = 896;
  const double flops = 2.0 * double(rows) * double(vocab) * double(dim);
  void *hidden, *weight;
  CK(cudaMalloc(&hidden, size_t(rows * dim) * 2));
  CK(cudaMalloc(&weight, size_t(vocab * dim) * 2));
  fill(hidden, size_t(rows * dim) * 2, 41, true);
  fill(weight, size_t(vocab * dim) * 2, 43, true);
  const int64_t tiles = cuda::headVocabTiles(vocab);
  int32_t* targets;
  float *work, *target, *out, *logits;
  uint8_t* flags;
  const int64_t chunk = 512;  // the materializing variant: 512 rows of logits (311 MB) at a time
  CK(cudaMalloc(&targets, size_t(rows) * 4));
  CK(cudaMemset(targets, 0, size_t(rows) * 4));
  CK(cudaMalloc(&work, size_t(rows * tiles) * 16));
  CK(cudaMalloc(&target, size_t(rows) * 4));
  CK(cudaMalloc(&out, size_t(rows) * 12));
  CK(cudaMalloc(&flags, size_t(rows)));
  CK(cudaMalloc(&logits, size_t(chunk * vocab) * 4));
  const int splits = cuda::tokenLogprobsSplits(chunk, vocab, cuda::deviceInfo().multiprocessors);
  float* lpWork;
  CK(cudaMalloc(&lpWork, size_t(chunk * splits) * 16));
  cuda::HeadDevice h{hidden, DType::BFloat16, rows, dim, weight, DType::BFloat16, vocab, false, nullptr, 0.0f, 1.0f};

  CK(cudaMemset(out, 0xff, size_t(rows) * 12));
  const double fused = medianMs(s, 1, 5, [&](int) {
    CK(cuda::launchHeadStats(h, targets, reinterpret_cast<float4*>(work), target, s));
    CK(cuda::launchHeadFinish(rows, vocab, 1.0f, reinterpret_cast<float4*>(work), target, out, out + rows, out + 2 * rows,
                              flags, s));
  });
  std::vector<float> host(size_t(rows) * 3);
  CK(cudaMemcpy(host.data(), out, host.size() * 4, cudaMemcpyDeviceToHost));
  if (!std::all_of(host.begin(), host.end(), [](float f) { return std::isfinite(f); })) fail("linear head fused output not written");

  const double materialized = medianMs(s, 1, 5, [&](int) {
    for (int64_t first = 0; first < rows; first += chunk) {
      cuda::HeadDevice part = h;
      part.hidden = static_cast<const uint16_t*>(hidden) + first * dim;
      part.rows = rows - first < chunk ? rows - first : chunk;
      CK(cuda::launchHeadLogits(part, logits, s));
      const cuda::TokenLogprobsDevice io{targets, out, out + rows, out + 2 * rows, flags, reinterpret_cast<float4*>(lpWork)};
      CK(cuda::launchTokenLogprobs({logits, part.rows, vocab, DType::Float32}, {}, splits, io, s));
    }
  });
  const std::string shape = fmt("[%.0f, ", double(rows)) + fmt("%.0f, ", double(vocab)) + fmt("%.0f] bf16", double(dim));
  report().table.push_back({"linearLogprobs fused (SIMT float32), device", shape, fmt("%.2f ms", fused), fmt("%.1f TFLOP/s", flops / (fused * 1e9)),
                            fmt("%.2fx the materializing variant", materialized / fused), ""});
  report().table.push_back({"logits kernel + tokenLogprobs, device", shape + ", 512-row chunks", fmt("%.2f ms", materialized),
                            fmt("%.1f TFLOP/s", flops / (materialized * 1e9)), "", ""});
  std::printf("RESULT linear_fused_ms %.6g\nRESULT linear_materialized_ms %.6g\n", fused, materialized);
  for (void* p : {hidden, weight, static_cast<void*>(targets), static_cast<void*>(work), static_cast<void*>(target),
                  static_cast<void*>(out), static_cast<void*>(flags), static_cast<void*>(logits), static_cast<void*>(lpWork)})
    CK(cudaFree(p));
}

}  // namespace harness
