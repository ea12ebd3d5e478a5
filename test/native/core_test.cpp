// native/core from C++ alone: tokenLogprobs against a float64 reference on every ISA the CPU has,
// every dtype, with -inf entries and both thread layouts. Exits non-zero on the first failure.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "../../native/core/cpu.h"
#include "../../native/core/logprobs.h"

using namespace infogain;

static int failures = 0;
#define CHECK(cond, ...)                    \
  do {                                      \
    if (!(cond)) {                          \
      std::printf("FAIL: " __VA_ARGS__);    \
      std::printf("\n");                    \
      failures++;                           \
    }                                       \
  } while (0)

static uint16_t toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

static void checkLogprobs(std::mt19937& rng, DType dtype, int64_t rows, int64_t vocab, float temperature) {
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<float> wide(static_cast<size_t>(rows * vocab));
  for (auto& x : wide) x = unit(rng) < 0.05f ? -INFINITY : normal(rng);
  for (int64_t r = 0; r < rows; r++) wide[size_t(r * vocab + rng() % vocab)] = normal(rng);  // one finite per row
  std::vector<uint16_t> half(wide.size());
  if (dtype == DType::BFloat16)
    for (size_t i = 0; i < wide.size(); i++) wide[i] = bf16ToFloat(half[i] = toBF16(wide[i]));
  std::vector<int32_t> targets(static_cast<size_t>(rows));
  for (auto& t : targets) t = int32_t(rng() % vocab);
  LogitsView view{dtype == DType::Float32 ? static_cast<const void*>(wide.data()) : half.data(), rows, vocab, dtype};
  const size_t n = static_cast<size_t>(rows);
  std::vector<float> lp(n, NAN), lse(n, NAN), ent(n, NAN);
  TokenLogprobsOptions opt;
  opt.temperature = temperature;
  Status st = tokenLogprobs(view, targets.data(), opt, {lp.data(), lse.data(), ent.data()});
  CHECK(st.ok(), "tokenLogprobs: %s", st.message.c_str());
  for (int64_t r = 0; r < rows; r++) {
    const float* x = wide.data() + r * vocab;
    double m = -INFINITY, s = 0, w = 0;
    for (int64_t j = 0; j < vocab; j++) m = std::fmax(m, x[j] / double(temperature));
    for (int64_t j = 0; j < vocab; j++) {
      double d = x[j] / double(temperature) - m, e = std::exp(d);
      s += e;
      if (e > 0) w += e * d;
    }
    double refLse = m + std::log(s), refLp = x[targets[size_t(r)]] / double(temperature) - refLse;
    double refH = std::log(s) - w / s, tol = 2e-5 + 1e-6 * (std::fabs(refLse) + std::fabs(m));
    CHECK(std::fabs(lse[size_t(r)] - refLse) <= tol, "%s %s vocab %ld row %ld lse %g vs %g", isaName(activeIsa()),
          dtypeName(dtype), long(vocab), long(r), lse[size_t(r)], refLse);
    CHECK(refLp == -INFINITY ? lp[size_t(r)] == -INFINITY : std::fabs(lp[size_t(r)] - refLp) <= tol,
          "%s logprob row %ld: %g vs %g", isaName(activeIsa()), long(r), lp[size_t(r)], refLp);
    CHECK(std::fabs(ent[size_t(r)] - refH) <= tol, "%s entropy row %ld: %g vs %g", isaName(activeIsa()), long(r),
          ent[size_t(r)], refH);
  }
}

int main() {
  std::mt19937 rng(std::random_device{}());
  for (int isa = 0; isa <= int(detectedIsa()); isa++) {
    setActiveIsa(Isa(isa));
    for (int threads : {1, 4}) {
      setThreadCount(threads);
      for (DType dtype : {DType::Float32, DType::BFloat16})
        for (int64_t vocab : {1, 7, 1000, 151936})
          for (float t : {0.5f, 1.0f}) checkLogprobs(rng, dtype, vocab > 1000 ? 3 : 17, vocab, t);
    }
  }
  // bad rows are reported, first one wins
  std::vector<float> x(40, 0.0f);
  x[25] = NAN;
  x[13] = INFINITY;
  std::vector<int32_t> t(4, 0);
  std::vector<float> a(4), b(4);
  Status st = tokenLogprobs({x.data(), 4, 10, DType::Float32}, t.data(), {}, {a.data(), b.data(), nullptr});
  CHECK(!st.ok() && st.index == 1 && st.code == codes::kNonFinite, "bad row: %s", st.message.c_str());
  std::printf("%s: %d failures\n", failures ? "FAILED" : "ok", failures);
  return failures ? 1 : 0;
}
