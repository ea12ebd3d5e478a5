// The fused output head: token log-probs, logsumexp, entropy and full-vocabulary divergences straight
// from hidden states and the head weight, logits = hidden · weightᵀ (+ bias, softcap), without ever
// holding the [rows, vocab] logits: they exist a tile at a time in cache, and the online softmax
// statistics of tokenLogprobs / klDivergence (softmax_stats.h, kl_stats.h) are folded in as each
// tile is made. Outputs and bad-row semantics are those of tokenLogprobs / klDivergence applied to
// the logits a float32 matmul would produce.
#pragma once
#include <cstdint>

#include "dtype.h"
#include "kl_divergence.h"
#include "logprobs.h"
#include "status.h"

namespace infogain {

// Hidden states, row-major [rows, dim], borrowed from the caller.
struct HiddenView {
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t dim = 0;
  DType dtype = DType::Float32;
};

// The head weight: [vocab, dim] row-major (a Linear's weight, a tied embedding table), or with
// `transposed` [dim, vocab] row-major (the B operand of an ONNX MatMul). Borrowed from the caller.
struct HeadWeight {
  const void* data = nullptr;
  int64_t vocab = 0;
  int64_t dim = 0;
  DType dtype = DType::Float32;
  bool transposed = false;

  // element (vocab entry j, hidden column k), widened to float32
  float at(int64_t j, int64_t k) const { return loadAsFloat(data, dtype, transposed ? k * vocab + j : j * dim + k); }
};

struct LinearHeadOptions {
  float temperature = 1.0f;     // logits are divided by it, as in tokenLogprobs
  const float* bias = nullptr;  // [vocab] or nullptr: added to every row's logits; -inf masks an entry
  float softcap = 0.0f;         // > 0: logits = softcap * tanh(logits / softcap) (after the bias, before T)
};

struct LinearKLOptions {
  LinearHeadOptions head;
  KLDirection direction = KLDirection::Forward;
};

// Shapes (rows >= 0, dim >= 1, vocab >= 1, hidden.dim == weight.dim), temperature finite and > 0,
// softcap finite and >= 0, bias free of NaN and +Infinity. `hiddenName` names hidden in errors.
Status checkLinearHead(const HiddenView& hidden, const HeadWeight& weight, const LinearHeadOptions& opt,
                       const char* hiddenName = "hidden");
// checkLinearHead plus every target in [0, vocab).
Status checkLinearLogprobs(const HiddenView& hidden, const HeadWeight& weight, const int32_t* targets,
                           const LinearHeadOptions& opt);
// checkLinearHead for both (same rows), direction known.
Status checkLinearKL(const HiddenView& p, const HiddenView& q, const HeadWeight& weight, const LinearKLOptions& opt);

// Validates, then computes tokenLogprobs' outputs (out.entropy may be nullptr) on the CPU, all
// threads. A row whose logits hold NaN or +Infinity, or no finite entry, or whose largest logit
// overflows float32 once divided by T, is a RangeError (ERR_INFOGAIN_NONFINITE): the argument and
// index name the hidden row, or the weight row (or bias entry) that made it so.
Status linearLogprobs(const HiddenView& hidden, const HeadWeight& weight, const int32_t* targets,
                      const LinearHeadOptions& opt, const TokenLogprobsOutput& out);

// Validates, then computes klDivergence's value per row between softmax(head(p[r]) / T) and
// softmax(head(q[r]) / T) on the CPU. Bad rows as for linearLogprobs, naming hiddenP or hiddenQ.
Status linearKL(const HiddenView& p, const HiddenView& q, const HeadWeight& weight, const LinearKLOptions& opt,
                float* out);

// The error for row `row` of `hidden` found bad by a kernel (CPU or CUDA): recomputes that row's
// logits one by one and names the first culprit (a non-finite hidden or weight element, a logit that
// overflows, no finite logit, a max that overflows once divided by T).
Status describeBadHeadRow(const char* hiddenName, const HiddenView& hidden, const HeadWeight& weight,
                          const LinearHeadOptions& opt, int64_t row);

// The register-blocked FMA pattern of the active ISA's micro-kernel with no memory traffic: the
// peak the fused head is measured against. Runs every thread of the pool for about `seconds`.
// cpuSeconds sums the threads' CPU time, so flops / cpuSeconds is the peak per core even on a
// machine whose cores other processes share.
struct FmaPeak {
  double flops = 0, wallSeconds = 0, cpuSeconds = 0;
};
FmaPeak fmaPeak(double seconds);

// -- the pieces the ISA files provide (linear_head_kernel.h) -------------------------------------

// The register block of an ISA's micro-kernel: mr rows x nr vocabulary columns; tiles of the
// vocabulary are multiples of `align` columns (nr and the softmax loop's step); a task keeps
// `laneFloats` floats of state per row.
struct HeadBlock {
  int mr, nr, align, laneFloats;
};

// A task's scratch: the packed tile [tileCols, dim], one widened row of a [dim, vocab] weight
// [tileCols], the bias of the tile [tileCols], two logits tiles [mr, tileCols] (p and q), then
// 64-byte aligned per-row state.
inline int64_t headTileFloats(int64_t dim, int64_t tileCols, int mr) {
  return tileCols * dim + 2 * tileCols + 2 * int64_t(mr) * tileCols;
}
inline int64_t headScratchFloats(int64_t dim, int64_t tileCols, int64_t rows, const HeadBlock& b) {
  return headTileFloats(dim, tileCols, b.mr) + 16 + rows * b.laneFloats;
}

// One task of a pass: vocabulary columns [colBegin, colEnd) (whole tiles of `tileCols`) against
// rows [rowBegin, rowEnd) of the chunk, whose hidden rows are packed in `panelP` (and `panelQ`).
struct HeadTask {
  const HeadWeight* weight;
  const LinearHeadOptions* opt;
  int64_t dim, tileCols;
  int64_t colBegin, colEnd;
  int64_t rowBegin, rowEnd;       // chunk-relative
  const float* panelP;            // packHidden's layout, for the whole chunk
  const float* panelQ;            // KL only
  // outputs, indexed by chunk row
  SoftmaxStats* stats;            // log-probs: this range's stats per row
  const int32_t* targets;         // log-probs: the chunk's targets (read once per row, bounds-checked)
  float* targetLogit;             // log-probs: the target's logit, written by the range that holds it
  KLStats* klStats;               // KL: this range's stats per row
  bool klBoth;                    // KL: also the reverse cross term
  const JSRow* jsRows;            // JS pass: per row constants
  float* jsSums;                  // JS pass: this range's sum per row
  float* scratch;                 // headScratchFloats(dim, tileCols, rowEnd - rowBegin) floats, this task's alone
};

namespace scalar {
HeadBlock headBlock();
void packHidden(const HiddenView& h, int64_t first, int64_t rows, float* panel);
void headTask(const HeadTask& task);
double fmaChains(int64_t iterations);
}  // namespace scalar
namespace avx2 {
HeadBlock headBlock();
void packHidden(const HiddenView& h, int64_t first, int64_t rows, float* panel);
void headTask(const HeadTask& task);
double fmaChains(int64_t iterations);
}  // namespace avx2
namespace avx512 {
HeadBlock headBlock();
void packHidden(const HiddenView& h, int64_t first, int64_t rows, float* panel);
void headTask(const HeadTask& task);
double fmaChains(int64_t iterations);
}  // namespace avx512

}  // namespace infogain
