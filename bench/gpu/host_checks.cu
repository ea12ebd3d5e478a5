// What of the CUDA paths the CPU can check, no GPU needed: the host-side arithmetic (plan.h) and the
// softmax-statistics arithmetic of softmax_stats.cuh, compiled for the host and run as a block of
// the log-prob kernel runs it, against float64. Exits non-zero on the first failure.
//   build-native/bench/gpu/infogain_cuda_host_checks       (bench/gpu/run.sh runs it too)
#include <cmath>
#include <cstdio>
#include <vector>

#include "../../native/cuda/linear_head.cuh"
#include "../../native/cuda/plan.h"
#include "../../native/cuda/softmax_stats.cuh"
#include "inputs.h"

using namespace infogain::cuda;

static int failures = 0;
#define CHECK(cond, ...)                 \
  do {                                   \
    if (!(cond)) {                       \
      std::printf("FAIL: " __VA_ARGS__); \
      std::printf("\n");                 \
      failures++;                        \
    }                                    \
  } while (0)

static int64_t chunksOf(int64_t rows, int64_t perChunk) { return perChunk > 0 ? (rows + perChunk - 1) / perChunk : 0; }

static void checkPlan() {
  // splits: 0 rows (a division by zero once), 1 row, many rows, tiny and huge vocabularies
  for (int sms : {0, 1, 132}) {
    CHECK(tokenLogprobsSplits(0, 151936, sms) == 1, "splits of 0 rows (sms %d) = %d", sms, tokenLogprobsSplits(0, 151936, sms));
    CHECK(tokenLogprobsSplits(-3, 151936, sms) == 1, "splits of -3 rows");
  }
  for (int64_t vocab : {1, 7, 8192, 65536, 151936, 200000})
    for (int64_t rows : {1, 2, 5, 300, 1055, 1056, 70000}) {
      const int s = tokenLogprobsSplits(rows, vocab, 132);
      const int64_t cap = vocab / (kBlockThreads * 8 * 4) > 1 ? vocab / (kBlockThreads * 8 * 4) : 1;
      CHECK(s >= 1 && s <= cap, "splits(%ld, %ld) = %d outside [1, %ld]", long(rows), long(vocab), s, long(cap));
      CHECK(rows * s >= 132 * 8 || s == cap, "splits(%ld, %ld) = %d leave multiprocessors idle", long(rows), long(vocab), s);
      const int64_t per = (vocab + s - 1) / s;
      CHECK((s - 1) * per < vocab, "splits(%ld, %ld) = %d: the last slice is empty", long(rows), long(vocab), s);
    }
  // chunks: the widest row decides; the harness's multi-chunk cases are what they claim
  const HostMatrix bf16{nullptr, 151936 * 2}, f32{nullptr, 151936 * 4}, one{nullptr, 8};
  const HostMatrix pair[2] = {bf16, f32};
  CHECK(chunkRows(&bf16, 1, 0) == 0, "chunk rows of 0 rows");
  CHECK(chunksOf(300, chunkRows(&bf16, 1, 300)) == 2, "bf16 [300, 151936]: %ld chunks, the harness expects 2",
        long(chunksOf(300, chunkRows(&bf16, 1, 300))));
  CHECK(chunksOf(300, chunkRows(&f32, 1, 300)) == 3, "float32 [300, 151936]: %ld chunks, the harness expects 3",
        long(chunksOf(300, chunkRows(&f32, 1, 300))));
  CHECK(chunkRows(pair, 2, 300) == chunkRows(&f32, 1, 300), "two inputs: the wider row does not decide");
  CHECK(chunksOf(int64_t(1) << 25, chunkRows(&one, 1, int64_t(1) << 25)) == 4, "a 2^25 Shapley table: not 4 chunks");
  const HostMatrix huge{nullptr, kChunkBytes * 3};
  CHECK(chunkRows(&huge, 1, 5) == 1, "a row wider than a chunk: %ld rows per chunk", long(chunkRows(&huge, 1, 5)));
  for (int64_t rows : {1, 7, 219, 220, 221, 100000}) {
    const int64_t c = chunkRows(&bf16, 1, rows);
    CHECK(c >= 1 && c <= rows && c * bf16.rowBytes <= kChunkBytes, "chunk rows %ld of %ld bf16 rows", long(c), long(rows));
  }
  // Shapley blocks
  CHECK(shapleyBlocks(1, 132) == 1 && shapleyBlocks(2, 0) == 1, "Shapley blocks of tiny tables");
  CHECK(shapleyBlocks(int64_t(1) << 25, 132) == 132 * 8, "Shapley blocks of 2^25 values: %d", shapleyBlocks(int64_t(1) << 25, 132));
  CHECK(shapleyBlocks(1000, 132) == 4, "Shapley blocks of 1000 values: %d", shapleyBlocks(1000, 132));
  // slots: the stream's four and the op's four never meet
  std::vector<int> seen(kSlots, 0);
  for (int k = 0; k < 2; k++)
    for (int b = 0; b < 2; b++) seen[size_t(streamSlot(k, b))]++;
  for (int k = 0; k < kStreamSlots; k++) CHECK(inputSlot(k) == streamSlot(k / 2, k % 2), "input slot %d is not a stream slot", k);
  for (int k = 0; k < kOpSlots; k++) {
    CHECK(opSlot(k) >= 0 && opSlot(k) < kSlots, "op slot %d out of range", k);
    if (opSlot(k) >= 0 && opSlot(k) < kSlots) seen[size_t(opSlot(k))]++;
  }
  for (int k = 0; k < kSlots; k++) CHECK(seen[size_t(k)] == 1, "slot %d used %d times", k, seen[size_t(k)]);
}

// One row through the kernel's arithmetic: kBlockThreads "threads" take 4-element vectors in the
// kernel's stride, their stats merge pairwise, then finishRow. `scaleFirst` replays the old
// arithmetic (logits divided by T before the max is subtracted) to show the case can fail.
static RowOutputs emulateRow(const std::vector<float>& x, int32_t target, float invT, bool scaleFirst) {
  const float inScale = scaleFirst ? invT : 1.0f, mathT = scaleFirst ? 1.0f : invT;
  const int64_t vectors = int64_t(x.size()) / 4;
  std::vector<Stats> threads(kBlockThreads, emptyStats());
  for (int t = 0; t < kBlockThreads; t++)
    for (int64_t v = t; v < vectors; v += kBlockThreads) {
      const float group[4] = {x[size_t(4 * v)] * inScale, x[size_t(4 * v + 1)] * inScale, x[size_t(4 * v + 2)] * inScale,
                              x[size_t(4 * v + 3)] * inScale};
      addValues<4>(threads[size_t(t)], group, mathT);
    }
  for (size_t width = threads.size() / 2; width >= 1; width /= 2)
    for (size_t t = 0; t < width; t++) threads[t] = mergeStats(threads[t], threads[t + width], mathT);
  return finishRow(threads[0], x[size_t(target)] * inScale, mathT);
}

static void checkStatsArithmetic() {
  const int64_t vocab = 32768;
  const float temperature = 0.7f, invT = 1.0f / temperature;
  double worstNew = 0, worstOld = 0;
  for (float offset : {0.0f, 1e4f, -1e4f}) {
    for (uint64_t row = 0; row < 16; row++) {
      harness::Rng rng(77, row);
      std::vector<float> x(static_cast<size_t>(vocab));
      for (auto& v : x) v = rng.uniform() < 0.05 ? -INFINITY : float(offset + 4.0 * rng.normal());
      x[row] = float(offset);  // one finite entry
      const int32_t target = int32_t(row * 7);
      double m = -INFINITY, s = 0, w = 0;
      const double t = 1.0 / double(temperature);
      for (float v : x) m = std::fmax(m, v * t);
      for (float v : x) {
        const double d = v * t - m, e = std::exp(d);
        s += e;
        if (e > 0) w += e * d;
      }
      const double lse = m + std::log(s), h = std::log(s) - w / s, lp = x[size_t(target)] * t - lse;
      const double hTol = 1e-5 + 1e-6 * std::fabs(h), tol = 2e-5 + 1e-6 * (std::fabs(lse) + std::fabs(x[size_t(target)] * t));
      const RowOutputs now = emulateRow(x, target, invT, false), old = emulateRow(x, target, invT, true);
      CHECK(!now.bad, "offset %g row %ld flagged bad", offset, long(row));
      CHECK(std::fabs(now.entropy - h) <= hTol, "offset %g row %ld: entropy %.9g vs %.9g", offset, long(row), now.entropy, h);
      CHECK(std::fabs(now.logsumexp - lse) <= 2e-5 + 1e-6 * std::fabs(lse), "offset %g row %ld: logsumexp %.9g vs %.9g", offset,
            long(row), now.logsumexp, lse);
      CHECK(std::fabs(now.logprob - lp) <= tol, "offset %g row %ld: logprob %.9g vs %.9g", offset, long(row), now.logprob, lp);
      if (offset != 0) {
        worstNew = std::fmax(worstNew, std::fabs(now.entropy - h));
        worstOld = std::fmax(worstOld, std::fabs(old.entropy - h));
      }
    }
  }
  std::printf("entropy at |logits| ~ 1e4, T = 0.7: worst error %.2g (raw max), %.2g (divided by T first)\n", worstNew, worstOld);
  CHECK(worstOld > 1e-5 + 1e-6 * 12, "the |logits| ~ 1e4 case no longer tells the two arithmetics apart (%.2g)", worstOld);
  // a max that leaves float32 once divided by T is bad, either way
  Stats hot = emptyStats(), cold = emptyStats();
  const float big[4] = {3e38f, 1.0f, 2.0f, 3.0f}, small[4] = {-3e38f, -3e38f, -3e38f, -3e38f};
  addValues<4>(hot, big, 1e3f);
  addValues<4>(cold, small, 1e3f);
  CHECK(finishRow(hot, 1.0f, 1e3f).bad, "max 3e38 / T=1e-3 not flagged");
  CHECK(finishRow(cold, -3e38f, 1e3f).bad, "max -3e38 / T=1e-3 not flagged");
}

// The fused head's launch arithmetic (linear_head.cuh): rows per launch are whole 64-row tiles (or
// all the rows), at least one tile, and their partial stats fit the budget whenever one tile does.
static void checkHeadPlan() {
  const int64_t budget = int64_t(64) << 20;
  for (int64_t vocab : {1, 127, 128, 129, 151936, 262144, 1 << 24})
    for (int64_t rows : {1, 63, 64, 65, 3000, 16384, 1 << 22}) {
      const int64_t tiles = headVocabTiles(vocab), n = headChunkRows(rows, vocab, 16, budget);
      CHECK(tiles * kHeadTileCols >= vocab && (tiles - 1) * kHeadTileCols < vocab, "tiles of vocab %ld: %ld", long(vocab), long(tiles));
      CHECK(n >= 1 && n <= rows, "headChunkRows(%ld, %ld) = %ld", long(rows), long(vocab), long(n));
      CHECK(n == rows || n % kHeadTileRows == 0, "headChunkRows(%ld, %ld) = %ld: not whole tiles", long(rows), long(vocab), long(n));
      CHECK(n * tiles * 16 <= budget || n <= kHeadTileRows, "headChunkRows(%ld, %ld) = %ld: over the budget", long(rows), long(vocab), long(n));
      CHECK((n + kHeadTileRows - 1) / kHeadTileRows <= 65535, "headChunkRows(%ld, %ld) = %ld: past gridDim.y", long(rows), long(vocab), long(n));
      const int64_t k = headLogitsChunkRows(rows, vocab, int64_t(128) << 20);
      CHECK(k >= 1 && k <= rows && (k + kHeadTileRows - 1) / kHeadTileRows <= 65535, "headLogitsChunkRows(%ld, %ld) = %ld", long(rows),
            long(vocab), long(k));
      CHECK(k * vocab * 8 <= (int64_t(128) << 20) || k == 1, "headLogitsChunkRows(%ld, %ld) = %ld: over the budget", long(rows), long(vocab), long(k));
    }
}

int main() {
  checkPlan();
  checkHeadPlan();
  checkStatsArithmetic();
  std::printf("%s: %d failures\n", failures ? "FAILED" : "ok", failures);
  return failures ? 1 : 0;
}
