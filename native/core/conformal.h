// C-IP (Conformal Information Pursuit, arXiv 2507.03279) measures uncertainty by the size of
// split-conformal prediction sets instead of entropy. With the nonconformity score
// s(x, y) = 1 - p(y | x), p = softmax(logits / T) over a row's candidates:
//   conformalScores      s(x_i, y_i) of labelled calibration rows;
//   conformalQuantile    qhat from calibration scores at miscoverage alpha;
//   predictionSetSizes   |C(x)| = |{y : s(x, y) <= qhat}| per row; per step the mean size (or the
//                        authors' code's Fano bound on H(Y | X)), and its reduction step to step.
// Scores and the set test use one formula, so a calibration row's own label is in its set exactly
// when its score is <= qhat.
#pragma once
#include <cstdint>

#include "dtype.h"
#include "status.h"

namespace infogain {

// The candidates of each row: ragged float32 logits (a few answers per row; -inf allowed), or a
// dense logits matrix (the whole vocabulary, any dtype) when candidates == nullptr.
struct CandidateRows {
  const float* candidateLogits = nullptr;  // [length]
  int64_t length = 0;
  const int32_t* candidates = nullptr;  // [rows + 1] offsets into candidateLogits; none empty
  int64_t rows = 0;                     // ragged rows (dense: logits.rows)
  LogitsView logits;
  double temperature = 1.0;

  bool dense() const { return candidates == nullptr; }
  int64_t rowCount() const { return dense() ? logits.rows : rows; }
};

// scores[i] = 1 - p(labels[i] | row i); labels index a row's candidates (ragged) or the vocabulary.
Status conformalScores(const CandidateRows& rows, const int32_t* labels, double* scores);

enum class QuantileMethod : int32_t {
  Conformal = 0,  // the k-th smallest score, k = ceil((n + 1)(1 - alpha)); +inf when k > n
  Empirical = 1,  // numpy.quantile(scores, 1 - alpha, method='higher'), as the C-IP code calls it
};

// conformalQuantile's checks of everything but the scores (alpha, method, groups): O(groupCount), so
// the binding runs them before an async call is queued.
Status checkConformalQuantile(int64_t n, const int32_t* groups, int64_t groupCount, double alpha, QuantileMethod method);

// qhat[g] for each group of scores (groups: [groupCount + 1] offsets; nullptr: one group).
// alpha in (0, 1); scores finite. An empty group gets +inf (Conformal) or is an error (Empirical).
Status conformalQuantile(const double* scores, int64_t n, const int32_t* groups, int64_t groupCount, double alpha,
                         QuantileMethod method, double* qhat);

enum class SetUncertainty : int32_t {
  Size = 0,  // mean |C| over the step's rows
  Fano = 1,  // h(alpha) + (1 - alpha) E[log2 |C| | covered] + alpha E[log2(K - |C|) | not covered], bits
};

struct PredictionSetInput {
  CandidateRows rows;
  const int32_t* labels = nullptr;  // [rows] when hasLabels; Fano needs them
  bool hasLabels = false;
  const double* qhat = nullptr;     // one value, or one per row when qhatPerRow
  bool qhatPerRow = false;
  const int32_t* steps = nullptr;  // [stepCount + 1] offsets into the rows; nullptr: one row per step
  int64_t stepCount = 0;
  const int32_t* rollouts = nullptr;  // [rolloutCount + 1] offsets into the steps; nullptr: one rollout
  int64_t rolloutCount = 1;
  SetUncertainty uncertainty = SetUncertainty::Size;
  double alpha = 0.1;  // Fano only
};

struct PredictionSetOutput {
  int32_t* sizes;       // [rows]
  uint8_t* covered;     // [rows] label in its set; nullptr without labels (then not written)
  float* uncertainty;   // [stepCount]
  float* gains;         // [stepCount] uncertainty[s - 1] - uncertainty[s]; 0 at a rollout's first step
  uint8_t* hasGain;     // [stepCount]
};

Status predictionSetSizes(const PredictionSetInput& in, const PredictionSetOutput& out);

// How many of row[0, n) (dtype), times invT in float32, are >= lo and >= hi: the count pass of a
// logits row's set. Dispatches to the active ISA (cpu.h); per-ISA entry points in conformal_*.cpp.
void countAtLeast(const void* row, DType dtype, int64_t n, float invT, float lo, float hi, int64_t* atLeastLo, int64_t* atLeastHi);
namespace scalar { void countAtLeast(const void*, DType, int64_t, float, float, float, int64_t*, int64_t*); }
namespace avx2 { void countAtLeast(const void*, DType, int64_t, float, float, float, int64_t*, int64_t*); }
namespace avx512 { void countAtLeast(const void*, DType, int64_t, float, float, float, int64_t*, int64_t*); }

}  // namespace infogain
