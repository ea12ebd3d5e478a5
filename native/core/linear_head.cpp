#include "linear_head.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <ctime>
#include <vector>

#include "cpu.h"
#include "first_bad.h"
#include "parallel.h"
#include "simd/exp_poly.h"

namespace infogain {
namespace {

// ---- the active ISA's pieces ---------------------------------------------------------------------

struct HeadIsa {
  HeadBlock (*block)();
  void (*packHidden)(const HiddenView&, int64_t, int64_t, float*);
  void (*task)(const HeadTask&);
  double (*fmaChains)(int64_t);
};

HeadIsa activeHead() {
  switch (activeIsa()) {
    case Isa::Avx512: return {avx512::headBlock, avx512::packHidden, avx512::headTask, avx512::fmaChains};
    case Isa::Avx2: return {avx2::headBlock, avx2::packHidden, avx2::headTask, avx2::fmaChains};
    default: return {scalar::headBlock, scalar::packHidden, scalar::headTask, scalar::fmaChains};
  }
}

// ---- the plan: tiles, ranges, chunks -------------------------------------------------------------

constexpr int64_t kTileBytes = 1024 << 10;     // one packed weight tile: stays in L2 while every row block uses it
constexpr int64_t kRangeCols = 2048;          // vocabulary columns per range (results do not depend on threads)
constexpr int64_t kPanelBytes = 8 << 20;      // packed hidden rows of one chunk (both sides for KL)
constexpr int64_t kStatsBytes = 8 << 20;      // per-range partial stats of one chunk

struct Plan {
  HeadBlock block;
  int64_t tileCols, rangeCols, ranges, chunkRows;
};

Plan plan(const HeadBlock& b, int64_t vocab, int64_t dim, int sides, int64_t statBytes) {
  Plan p;
  p.block = b;
  int64_t tiles = kTileBytes / (4 * dim) / b.align;
  tiles = tiles < 1 ? 1 : tiles > 512 / b.align ? 512 / b.align : tiles;
  p.tileCols = tiles * b.align;
  p.rangeCols = kRangeCols > p.tileCols ? kRangeCols / p.tileCols * p.tileCols : p.tileCols;
  p.ranges = (vocab + p.rangeCols - 1) / p.rangeCols;
  int64_t rows = kPanelBytes / (4 * dim * sides);
  const int64_t byStats = kStatsBytes / (p.ranges * statBytes);
  rows = rows < byStats ? rows : byStats;
  p.chunkRows = rows < b.mr ? b.mr : rows / b.mr * b.mr;
  return p;
}

// 64-byte aligned float storage that a task can carve (std::vector<float> aligns to 16 at best).
struct AlignedFloats {
  std::vector<float> storage;
  float* data = nullptr;
  explicit AlignedFloats(int64_t n) : storage(size_t(n + 16)) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(storage.data());
    data = storage.data() + ((64 - a % 64) % 64) / 4;
  }
};

// One pass over a chunk: every (range, row group) item run by at most threadCount() workers, each
// with its own scratch, claiming items in order. `fill(task, range)` sets what the pass computes.
// The ISA is the caller's, chosen once per call: configure() meanwhile cannot mix two in one result.
template <class Fill>
void runPass(const HeadIsa& isa, const Plan& p, const HeadWeight& w, const LinearHeadOptions& opt, int64_t chunkRows, const float* panelP,
             const float* panelQ, Fill fill) {
  const int64_t mr = p.block.mr;
  const int64_t blocks = (chunkRows + mr - 1) / mr;
  const int64_t threads = threadCount();
  // enough items for every thread; row groups do not change results, only ranges would
  int64_t groups = (2 * threads + p.ranges - 1) / p.ranges;
  groups = groups < 1 ? 1 : groups > blocks ? blocks : groups;
  const int64_t groupRows = (blocks + groups - 1) / groups * mr;
  groups = (chunkRows + groupRows - 1) / groupRows;
  const int64_t items = p.ranges * groups;
  const int64_t workers = threads < items ? threads : items;
  const int64_t scratchFloats = headScratchFloats(w.dim, p.tileCols, groupRows, p.block);
  std::vector<AlignedFloats> scratch;
  scratch.reserve(size_t(workers));
  for (int64_t i = 0; i < workers; i++) scratch.emplace_back(scratchFloats);  // may throw: before any work
  std::atomic<int64_t> next{0};
  parallelFor(workers, [&](int64_t worker) {
    for (int64_t item; (item = next.fetch_add(1)) < items;) {
      const int64_t range = item / groups, group = item % groups;
      HeadTask t{};
      t.weight = &w;
      t.opt = &opt;
      t.dim = w.dim;
      t.tileCols = p.tileCols;
      t.colBegin = range * p.rangeCols;
      t.colEnd = t.colBegin + p.rangeCols < w.vocab ? t.colBegin + p.rangeCols : w.vocab;
      t.rowBegin = group * groupRows;
      t.rowEnd = t.rowBegin + groupRows < chunkRows ? t.rowBegin + groupRows : chunkRows;
      t.panelP = panelP;
      t.panelQ = panelQ;
      t.scratch = scratch[size_t(worker)].data;
      fill(t, range);
      isa.task(t);
    }
  });
}

// Packs chunk rows [first, first + rows) of h into panel, blocks of mr rows spread over the pool.
void packChunk(const HeadIsa& isa, const HiddenView& h, int64_t first, int64_t rows, int mr, float* panel) {
  const int64_t perTask = int64_t(mr) * 16, tasks = (rows + perTask - 1) / perTask;
  parallelFor(tasks, [&](int64_t t) {
    const int64_t begin = t * perTask, n = rows - begin < perTask ? rows - begin : perTask;
    isa.packHidden(h, first + begin, n, panel + begin * h.dim);
  });
}

// ---- errors ---------------------------------------------------------------------------------------

std::string at(int64_t i) { return std::to_string(i); }

// CPU time of the calling thread (what it ran, not what it waited for the core)
double threadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

bool badFloat(float x) { return std::isnan(x) || x == INFINITY; }

Status nonFinite(const char* argument, int64_t index, const std::string& message) {
  return rangeError(codes::kNonFinite, argument, index, message);
}

}  // namespace

Status checkLinearHead(const HiddenView& hidden, const HeadWeight& weight, const LinearHeadOptions& opt,
                       const char* hiddenName) {
  const std::string h(hiddenName);
  if (hidden.rows < 0) return rangeError(codes::kRange, h + ".rows", -1, h + ".rows must be >= 0");
  if (hidden.dim < 1) return rangeError(codes::kRange, h + ".dim", -1, h + ".dim must be >= 1");
  if (weight.vocab < 1) return rangeError(codes::kRange, "weight.vocab", -1, "weight.vocab must be >= 1");
  if (weight.dim != hidden.dim)
    return rangeError(codes::kShape, "weight.dim", -1,
                      "weight.dim = " + at(weight.dim) + " differs from " + h + ".dim = " + at(hidden.dim));
  if (!(opt.temperature > 0.0f) || !std::isfinite(opt.temperature))
    return rangeError(codes::kRange, "temperature", -1, "temperature must be a finite number > 0");
  if (!(opt.softcap >= 0.0f) || !std::isfinite(opt.softcap))
    return rangeError(codes::kRange, "softcap", -1, "softcap must be a finite number >= 0 (0: none)");
  if (opt.bias)
    for (int64_t j = 0; j < weight.vocab; j++) {
      const float b = opt.bias[j];
      if (badFloat(b))
        return nonFinite("bias", j, "bias[" + at(j) + "] is " + (std::isnan(b) ? "NaN" : "+Infinity") +
                                        " (-Infinity masks an entry; NaN and +Infinity are not logits)");
    }
  return Status::Ok();
}

Status checkLinearLogprobs(const HiddenView& hidden, const HeadWeight& weight, const int32_t* targets,
                           const LinearHeadOptions& opt) {
  Status st = checkLinearHead(hidden, weight, opt);
  if (!st.ok()) return st;
  for (int64_t r = 0; r < hidden.rows; r++) {
    const int32_t t = targets[r];
    if (t < 0 || t >= weight.vocab)
      return rangeError(codes::kRange, "targets", r,
                        "targets[" + at(r) + "] = " + at(t) + " is outside [0, " + at(weight.vocab) + ")");
  }
  return Status::Ok();
}

Status checkLinearKL(const HiddenView& p, const HiddenView& q, const HeadWeight& weight, const LinearKLOptions& opt) {
  Status st = checkLinearHead(p, weight, opt.head, "hiddenP");
  if (!st.ok()) return st;
  if (q.rows != p.rows || q.dim != p.dim)
    return rangeError(codes::kShape, "hiddenQ", -1,
                      "hiddenQ is [" + at(q.rows) + ", " + at(q.dim) + "] but hiddenP is [" + at(p.rows) + ", " +
                          at(p.dim) + "]");
  if (int32_t(opt.direction) < 0 || int32_t(opt.direction) > 3)
    return rangeError(codes::kRange, "direction", -1, "direction is not a direction code");
  return Status::Ok();
}

Status describeBadHeadRow(const char* hiddenName, const HiddenView& hidden, const HeadWeight& weight,
                          const LinearHeadOptions& opt, int64_t row) {
  const std::string h(hiddenName), where = h + " row " + at(row);
  const int64_t dim = hidden.dim;
  std::vector<float> x(static_cast<size_t>(dim));
  for (int64_t k = 0; k < dim; k++) {
    x[size_t(k)] = loadAsFloat(hidden.data, hidden.dtype, row * dim + k);
    if (!std::isfinite(x[size_t(k)]))
      return nonFinite(hiddenName, row, where + " holds " + (std::isnan(x[size_t(k)]) ? "NaN" : "an infinity") +
                                            " at column " + at(k));
  }
  // the logits one by one, as a float32 matmul would make them
  const float invT = 1.0f / opt.temperature;
  bool anyFinite = false;
  for (int64_t j = 0; j < weight.vocab; j++) {
    float z = 0.0f;
    for (int64_t k = 0; k < dim; k++) z = std::fma(x[size_t(k)], weight.at(j, k), z);
    if (opt.bias) z += opt.bias[j];
    if (opt.softcap > 0.0f) z = opt.softcap * std::tanh(z / opt.softcap);
    if (badFloat(z)) {
      for (int64_t k = 0; k < dim; k++)
        if (!std::isfinite(weight.at(j, k)))
          return nonFinite("weight", j, "weight row " + at(j) + " (vocabulary entry " + at(j) + ") holds " +
                                            (std::isnan(weight.at(j, k)) ? "NaN" : "an infinity") + " at column " +
                                            at(k) + "; " + where + " meets it");
      return nonFinite(hiddenName, row, where + ": its logit for vocabulary entry " + at(j) + " is " +
                                            (std::isnan(z) ? "NaN" : "+Infinity") + " (the dot product overflows float32)");
    }
    if (z > -INFINITY && !std::isfinite(z * invT * 1.4426950408889634f))
      return nonFinite(hiddenName, row, where + ": its logit for vocabulary entry " + at(j) +
                                            " overflows float32 once divided by the temperature");
    anyFinite = anyFinite || z > -INFINITY;
  }
  if (!anyFinite) return nonFinite(hiddenName, row, where + " has no finite logit (every logit is -Infinity)");
  // the kernel's sums overflowed where this order of summation did not
  return nonFinite(hiddenName, row, where + ": its logits overflow float32");
}

Status linearLogprobs(const HiddenView& hidden, const HeadWeight& weight, const int32_t* targets,
                      const LinearHeadOptions& opt, const TokenLogprobsOutput& out) {
  Status st = checkLinearLogprobs(hidden, weight, targets, opt);
  if (!st.ok() || hidden.rows == 0) return st;
  const HeadIsa isa = activeHead();
  const Plan p = plan(isa.block(), weight.vocab, weight.dim, 1, sizeof(SoftmaxStats));
  const int64_t chunk = hidden.rows < p.chunkRows ? hidden.rows : p.chunkRows;
  const int mr = p.block.mr;
  AlignedFloats panel((chunk + mr - 1) / mr * mr * weight.dim);
  std::vector<SoftmaxStats> stats(size_t(p.ranges * chunk));
  std::vector<float> targetLogit(static_cast<size_t>(chunk));

  for (int64_t first = 0; first < hidden.rows; first += chunk) {
    const int64_t n = hidden.rows - first < chunk ? hidden.rows - first : chunk;
    packChunk(isa, hidden, first, n, mr, panel.data);
    std::fill(targetLogit.begin(), targetLogit.end(), NAN);  // a target that moved under us stays NaN
    runPass(isa, p, weight, opt, n, panel.data, nullptr, [&](HeadTask& t, int64_t range) {
      t.stats = stats.data() + range * chunk;
      t.targets = targets + first;
      t.targetLogit = targetLogit.data();
    });
    FirstBad firstBad(n);
    for (int64_t i = 0; i < n; i++) {
      SoftmaxStats s = stats[size_t(i)];
      for (int64_t r = 1; r < p.ranges; r++) s = mergeStats(s, stats[size_t(r * chunk + i)]);
      if (s.bad || !s.anyFinite()) {
        firstBad.report(i);
        break;
      }
      // as tokenLogprobs: (x_t - m) keeps the log-prob's precision at |logits| ~ 1e4
      const float logS = std::log(s.s);
      out.logprobs[first + i] = s.logprob(targetLogit[size_t(i)]);
      out.logsumexp[first + i] = s.scaledMax() + logS;
      if (out.entropy) out.entropy[first + i] = std::fmax(logS - s.w / s.s, 0.0f);
    }
    if (firstBad.get() < n) return describeBadHeadRow("hidden", hidden, weight, opt, first + firstBad.get());
  }
  return Status::Ok();
}

Status linearKL(const HiddenView& pIn, const HiddenView& qIn, const HeadWeight& weight, const LinearKLOptions& opt,
                float* out) {
  Status st = checkLinearKL(pIn, qIn, weight, opt);
  if (!st.ok() || pIn.rows == 0) return st;
  // KL(Q||P) is the forward kernel with the roles swapped, as in klDivergence
  const bool swap = opt.direction == KLDirection::Reverse;
  const HiddenView& p = swap ? qIn : pIn;
  const HiddenView& q = swap ? pIn : qIn;
  const bool js = opt.direction == KLDirection::JensenShannon, both = opt.direction == KLDirection::Symmetric;
  const HeadIsa isa = activeHead();
  const Plan pl = plan(isa.block(), weight.vocab, weight.dim, 2, sizeof(KLStats));
  const int64_t chunk = p.rows < pl.chunkRows ? p.rows : pl.chunkRows;
  const int mr = pl.block.mr;
  const int64_t panelFloats = (chunk + mr - 1) / mr * mr * weight.dim;
  AlignedFloats panelP(panelFloats), panelQ(panelFloats);
  std::vector<KLStats> stats(size_t(pl.ranges * chunk));
  std::vector<JSRow> jsRows(js ? size_t(chunk) : 0);
  std::vector<float> jsSums(js ? size_t(pl.ranges * chunk) : 0);

  for (int64_t first = 0; first < p.rows; first += chunk) {
    const int64_t n = p.rows - first < chunk ? p.rows - first : chunk;
    packChunk(isa, p, first, n, mr, panelP.data);
    packChunk(isa, q, first, n, mr, panelQ.data);
    runPass(isa, pl, weight, opt.head, n, panelP.data, panelQ.data, [&](HeadTask& t, int64_t range) {
      t.klStats = stats.data() + range * chunk;
      t.klBoth = both;
    });
    int64_t bad = n;
    bool pAtFault = true;
    const float invT = 1.0f / opt.head.temperature;
    for (int64_t i = 0; i < n && bad == n; i++) {
      KLStats s = stats[size_t(i)];
      for (int64_t r = 1; r < pl.ranges; r++) s = mergeKL(s, stats[size_t(r * chunk + i)], invT);
      if (s.bad()) {
        bad = i;
        const KLSide& first = swap ? s.q : s.p;  // the side that is hiddenP
        pAtFault = first.bad || !first.anyFinite();
        break;
      }
      if (js) jsRows[size_t(i)] = jsRow(s);
      else out[first + i] = both ? symmetricKL(s) : forwardKL(s);
    }
    if (bad < n)
      return describeBadHeadRow(pAtFault ? "hiddenP" : "hiddenQ", pAtFault ? pIn : qIn, weight, opt.head, first + bad);
    if (!js) continue;
    // pass 2: the Jensen-Shannon terms, which need both normalizers (the matmul runs again)
    runPass(isa, pl, weight, opt.head, n, panelP.data, panelQ.data, [&](HeadTask& t, int64_t range) {
      t.jsRows = jsRows.data();
      t.jsSums = jsSums.data() + range * chunk;
    });
    for (int64_t i = 0; i < n; i++) {
      float sum = 0.0f;
      for (int64_t r = 0; r < pl.ranges; r++) sum += jsSums[size_t(r * chunk + i)];
      out[first + i] = clampJS(0.5f * exp2c::kLn2 * sum);
    }
  }
  return Status::Ok();
}

FmaPeak fmaPeak(double seconds) {
  const HeadIsa isa = activeHead();
  const int64_t threads = threadCount();
  // calibrate one thread's iterations for the time asked, then run them on every thread at once
  int64_t iterations = 1 << 14;
  for (;;) {
    const double t0 = threadCpuSeconds();
    isa.fmaChains(iterations);
    const double s = threadCpuSeconds() - t0;
    if (s > 0.02 || iterations > (int64_t(1) << 40)) {
      iterations = int64_t(double(iterations) * (seconds > 0 ? seconds : 0.2) / (s > 0 ? s : 1e-9)) + 1;
      break;
    }
    iterations *= 4;
  }
  std::vector<double> flops(static_cast<size_t>(threads)), cpu(static_cast<size_t>(threads));
  const auto t0 = std::chrono::steady_clock::now();
  parallelFor(threads, [&](int64_t i) {
    const double c0 = threadCpuSeconds();
    flops[size_t(i)] = isa.fmaChains(iterations);
    cpu[size_t(i)] = threadCpuSeconds() - c0;
  });
  FmaPeak p;
  p.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int64_t i = 0; i < threads; i++) {
    p.flops += flops[size_t(i)];
    p.cpuSeconds += cpu[size_t(i)];
  }
  return p;
}

}  // namespace infogain
