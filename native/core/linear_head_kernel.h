// The fused head's loops, written once over a vector type V (simd/vec_*.h) and a register block
// (MR rows x NV vectors), instantiated per ISA in linear_head_{scalar,avx2,avx512}.cpp. Every
// helper is a template or `static`, as in softmax_stats_kernel.h.
//
// A task owns a range of vocabulary tiles. Per tile it widens the weight's columns to float32 in
// the micro-kernel's layout (the tile stays in L2), then for every block of MR hidden rows (packed
// once per chunk, MR rows interleaved so one broadcast feeds NV FMAs) the micro-kernel keeps the
// MR x (NV * W) logits in registers over the whole dim, stores them to a small L1 buffer, and the
// epilogue folds each row of the tile into that row's running softmax lanes with the very loops
// tokenLogprobs and klDivergence run on materialized logits (addBlock, addBlockKL, blockJS).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "kl_divergence_kernel.h"
#include "linear_head.h"
#include "softmax_stats_kernel.h"

namespace infogain {
namespace kernel {

template <class V, int MR, int NV>
struct Head {
  using Vec = typename V::V;
  static constexpr int W = V::W, NR = NV * W;
  static constexpr int kAlign = NR > 4 * W ? NR : 4 * W;  // tiles: whole panels and whole softmax steps
  static_assert(kAlign % NR == 0 && kAlign % (4 * W) == 0, "NR and the softmax step must nest");

  // The largest per-row state of a task, in floats (KL's lanes).
  static constexpr int kLaneFloats = int(sizeof(KLLanes<V>) / 4);
  static_assert(sizeof(KLLanes<V>) >= sizeof(LaneStats<V>) && sizeof(KLLanes<V>) >= sizeof(Vec), "KL lanes are the largest");

  static HeadBlock block() { return {MR, NR, kAlign, kLaneFloats}; }

  // a * b + c: fused on the vector ISAs; a plain multiply-add on the scalar one, which is built
  // without FMA instructions (std::fma there is a slow library call)
  static Vec mulAdd(Vec a, Vec b, Vec c) {
    if constexpr (W == 1) return V::add(V::mul(a, b), c);
    else return V::fmadd(a, b, c);
  }

  // ---- packing ----------------------------------------------------------------------------------

  // n elements of a row in `dtype` from element `first`, widened to float32 into out.
  static void widen(const void* base, DType dtype, int64_t first, int64_t n, float* out) {
    int64_t k = 0;
    if (dtype == DType::Float32) {
      std::memcpy(out, static_cast<const float*>(base) + first, size_t(n) * 4);
      return;
    }
    const uint16_t* p = static_cast<const uint16_t*>(base) + first;
    if (dtype == DType::Float16)
      for (; k + W <= n; k += W) V::store(out + k, V::loadF16(p + k));
    else
      for (; k + W <= n; k += W) V::store(out + k, V::loadBF16(p + k));
    for (; k < n; k++) out[k] = loadAsFloat(base, dtype, first + k);
  }

  // Hidden rows [first, first + rows) as blocks of MR rows, element (k, i) of block b at
  // panel[(b * dim + k) * MR + i]; rows past the end of the last block are zero.
  static void packHidden(const HiddenView& h, int64_t first, int64_t rows, float* panel) {
    const int64_t dim = h.dim, blocks = (rows + MR - 1) / MR;
    float line[256];
    for (int64_t b = 0; b < blocks; b++) {
      float* dst = panel + b * dim * MR;
      for (int i = 0; i < MR; i++) {
        const int64_t r = b * MR + i;
        for (int64_t k0 = 0; k0 < dim; k0 += 256) {
          const int64_t n = dim - k0 < 256 ? dim - k0 : 256;
          if (r < rows) widen(h.data, h.dtype, (first + r) * dim + k0, n, line);
          else std::memset(line, 0, size_t(n) * 4);
          for (int64_t k = 0; k < n; k++) dst[(k0 + k) * MR + i] = line[k];
        }
      }
    }
  }

  // Weight columns [col, col + cols) as panels of NR columns, element (k, jj) of panel p at
  // tile[(p * dim + k) * NR + jj]; columns past the vocabulary are zero. `line` holds cols floats.
  static void packTile(const HeadWeight& w, int64_t col, int64_t cols, float* tile, float* line) {
    const int64_t dim = w.dim, valid = w.vocab - col < cols ? w.vocab - col : cols;
    if (w.transposed) {
      // [dim, vocab]: row k holds the tile's columns contiguously; one read of it per k. The rows
      // are a whole vocabulary apart, out of the prefetchers' reach: fetch a few rows ahead by hand.
      const char* base = static_cast<const char*>(w.data);
      const int64_t size = dtypeSize(w.dtype), rowBytes = valid * size;
      for (int64_t k = 0; k < dim; k++) {
        if (k + 8 < dim)
          for (int64_t b = 0; b < rowBytes; b += 64) __builtin_prefetch(base + ((k + 8) * w.vocab + col) * size + b);
        widen(w.data, w.dtype, k * w.vocab + col, valid, line);
        for (int64_t j = valid; j < cols; j++) line[j] = 0.0f;
        for (int64_t p = 0; p < cols / NR; p++) std::memcpy(tile + (p * dim + k) * NR, line + p * NR, NR * 4);
      }
      return;
    }
    // [vocab, dim]: W vocabulary rows x W columns of k at a time, transposed in registers
    switch (w.dtype) {
      case DType::Float32: return packRows(w, col, cols, tile, [](const void* p) { return V::loadF32(static_cast<const float*>(p)); });
      case DType::Float16: return packRows(w, col, cols, tile, [](const void* p) { return V::loadF16(static_cast<const uint16_t*>(p)); });
      default: return packRows(w, col, cols, tile, [](const void* p) { return V::loadBF16(static_cast<const uint16_t*>(p)); });
    }
  }

  template <class Load>
  static void packRows(const HeadWeight& w, int64_t col, int64_t cols, float* tile, Load load) {
    const int64_t dim = w.dim, whole = dim / W * W, size = dtypeSize(w.dtype);
    const char* base = static_cast<const char*>(w.data);
    for (int64_t j0 = col; j0 < col + cols; j0 += W) {
      const int64_t p = (j0 - col) / NR, jj = (j0 - col) % NR;
      float* dst = tile + p * dim * NR + jj;
      const int64_t valid = w.vocab - j0 < W ? (w.vocab - j0 > 0 ? w.vocab - j0 : 0) : W;
      Vec r[W];
      for (int64_t k0 = 0; k0 < whole; k0 += W) {
        for (int i = 0; i < W; i++) r[i] = i < valid ? load(base + ((j0 + i) * dim + k0) * size) : V::set1(0.0f);
        V::transpose(r);
        for (int kk = 0; kk < W; kk++) V::store(dst + (k0 + kk) * NR, r[kk]);
      }
      for (int64_t k = whole; k < dim; k++)
        for (int i = 0; i < W; i++) dst[k * NR + i] = i < valid ? w.at(j0 + i, k) : 0.0f;
    }
  }

  // ---- the micro-kernel -------------------------------------------------------------------------

  // c[i * ldc + j] = sum_k a[k * MR + i] * b[k * NR + j] for i < M, j < NR: M x NV accumulators in
  // registers for the whole dim, one broadcast of a per row and step, NV loads of b per step.
  template <int M>
  static void micro(const float* a, const float* b, int64_t dim, float* c, int64_t ldc) {
    Vec acc[M][NV];
#pragma GCC unroll 16
    for (int i = 0; i < M; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = V::set1(0.0f);
    for (int64_t k = 0; k < dim; k++, a += MR, b += NR) {
      Vec bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) bv[v] = V::loadF32(b + v * W);
#pragma GCC unroll 16
      for (int i = 0; i < M; i++) {
        const Vec ai = V::set1(a[i]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[i][v] = mulAdd(ai, bv[v], acc[i][v]);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < M; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) V::store(c + i * ldc + v * W, acc[i][v]);
  }

  using Micro = void (*)(const float*, const float*, int64_t, float*, int64_t);
  template <int... I>
  static Micro microFor(int m, std::integer_sequence<int, I...>) {
    static constexpr Micro table[] = {&micro<I + 1>...};
    return table[m - 1];
  }

  // The logits of rows [r0, r0 + m) of a packed panel against the packed tile: c is [m, tileCols].
  static void logitsTile(const float* panel, int64_t r0, int m, const float* tile, int64_t dim, int64_t tileCols,
                         float* c) {
    const Micro fn = microFor(m, std::make_integer_sequence<int, MR>());
    const float* a = panel + (r0 / MR) * dim * MR;
    for (int64_t p = 0; p < tileCols / NR; p++) fn(a, tile + p * dim * NR, dim, c + p * NR, tileCols);
  }

  // bias, softcap, and -inf past the vocabulary, on one row of a logits tile (in place)
  static void transform(float* x, int64_t tileCols, int64_t cols, const float* bias, float softcap) {
    if (bias)
      for (int64_t j = 0; j < tileCols; j += W) V::store(x + j, V::add(V::loadF32(x + j), V::loadF32(bias + j)));
    if (softcap > 0.0f) {
      // cap tanh(z / cap) = cap - 2 cap / (1 + e^(2z / cap)): exact limits (+-cap, -cap at z = -inf),
      // absolute error a few ulp of cap
      const Vec k = V::set1(2.0f * exp2c::kLog2e / softcap), cap = V::set1(softcap), twoCap = V::set1(2.0f * softcap);
      const Vec one = V::set1(1.0f);
      for (int64_t j = 0; j < tileCols; j += W) {
        const Vec e = V::exp2(V::mul(V::loadF32(x + j), k));
        V::store(x + j, V::sub(cap, V::div(twoCap, V::add(one, e))));
      }
    }
    for (int64_t j = cols; j < tileCols; j++) x[j] = -INFINITY;
  }

  // ---- one task ----------------------------------------------------------------------------------

  // Runs the task: per tile, pack the weight, make every row block's logits, fold them in.
  template <class Rows>
  static void forEachTile(const HeadTask& t, Rows rows) {
    const int64_t dim = t.dim, tc = t.tileCols;
    float* tile = t.scratch;
    float* line = tile + tc * dim;
    float* bias = line + tc;
    float* cp = bias + tc;
    float* cq = cp + MR * tc;
    for (int64_t col = t.colBegin; col < t.colEnd; col += tc) {
      const int64_t cols = t.weight->vocab - col < tc ? t.weight->vocab - col : tc;
      packTile(*t.weight, col, tc, tile, line);
      if (t.opt->bias)
        for (int64_t j = 0; j < tc; j++) bias[j] = j < cols ? t.opt->bias[col + j] : 0.0f;
      for (int64_t r0 = t.rowBegin; r0 < t.rowEnd; r0 += MR) {
        const int m = int(t.rowEnd - r0 < MR ? t.rowEnd - r0 : MR);
        logitsTile(t.panelP, r0, m, tile, dim, tc, cp);
        if (t.panelQ) logitsTile(t.panelQ, r0, m, tile, dim, tc, cq);
        for (int i = 0; i < m; i++) {
          transform(cp + i * tc, tc, cols, t.opt->bias ? bias : nullptr, t.opt->softcap);
          if (t.panelQ) transform(cq + i * tc, tc, cols, t.opt->bias ? bias : nullptr, t.opt->softcap);
          rows(r0 + i, col, cols, cp + i * tc, cq + i * tc);
        }
      }
    }
  }

  static void run(const HeadTask& t) {
    // the per-row lanes live after the tile buffers, 64-byte aligned (headScratchFloats)
    char* lanesBase = reinterpret_cast<char*>(t.scratch + headTileFloats(t.dim, t.tileCols, MR));
    lanesBase += (64 - reinterpret_cast<uintptr_t>(lanesBase) % 64) % 64;
    const int64_t n = t.rowEnd - t.rowBegin;
    const float invT = 1.0f / t.opt->temperature;
    const Vec c = V::set1(invT * exp2c::kLog2e);
    const int64_t tc = t.tileCols;

    if (t.stats) {
      LaneStats<V>* lanes = reinterpret_cast<LaneStats<V>*>(lanesBase);
      for (int64_t i = 0; i < n; i++) new (&lanes[i]) LaneStats<V>();
      forEachTile(t, [&](int64_t r, int64_t col, int64_t cols, const float* x, const float*) {
        addBlock<V, LoadF32>(x, int(tc), c, lanes[r - t.rowBegin]);
        const int64_t target = int64_t(t.targets[r]);  // read once, checked here
        if (target >= col && target < col + cols) t.targetLogit[r] = x[target - col];
      });
      for (int64_t i = 0; i < n; i++) t.stats[t.rowBegin + i] = reduceLanes<V>(lanes[i], invT);
    } else if (t.klStats) {
      KLLanes<V>* lanes = reinterpret_cast<KLLanes<V>*>(lanesBase);
      for (int64_t i = 0; i < n; i++) new (&lanes[i]) KLLanes<V>();
      if (t.klBoth)
        forEachTile(t, [&](int64_t r, int64_t, int64_t, const float* x, const float* y) {
          addBlockKL<V, LoadF32, LoadF32, true>(x, y, int(tc), c, lanes[r - t.rowBegin]);
        });
      else
        forEachTile(t, [&](int64_t r, int64_t, int64_t, const float* x, const float* y) {
          addBlockKL<V, LoadF32, LoadF32, false>(x, y, int(tc), c, lanes[r - t.rowBegin]);
        });
      for (int64_t i = 0; i < n; i++) t.klStats[t.rowBegin + i] = reduceKLLanes<V>(lanes[i], invT);
    } else {
      Vec* totals = reinterpret_cast<Vec*>(lanesBase);
      for (int64_t i = 0; i < n; i++) totals[i] = V::set1(0.0f);
      forEachTile(t, [&](int64_t r, int64_t, int64_t, const float* x, const float* y) {
        Vec& total = totals[r - t.rowBegin];
        total = V::add(total, blockJS<V, LoadF32, LoadF32>(x, y, int(tc), c, t.jsRows[r]));
      });
      for (int64_t i = 0; i < n; i++) {
        float lanes[W];
        V::store(lanes, totals[i]);
        float sum = 0.0f;
        for (int l = 0; l < W; l++) sum += lanes[l];
        t.jsSums[t.rowBegin + i] = sum;
      }
    }
  }

  // ---- the peak ------------------------------------------------------------------------------------

  // MR x NV independent FMA chains on registers, `iterations` times: the micro-kernel's arithmetic
  // without its loads. Returns the FLOPs done (the sum of the chains keeps them alive).
  static double fmaChains(int64_t iterations) {
    Vec acc[MR][NV];
    for (int i = 0; i < MR; i++)
      for (int v = 0; v < NV; v++) acc[i][v] = V::set1(float(i * NV + v));
    const Vec a = V::set1(0.999999f), b = V::set1(1e-7f);
    for (int64_t it = 0; it < iterations; it++) {
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[i][v] = mulAdd(acc[i][v], a, b);
    }
    Vec sum = V::set1(0.0f);
    for (int i = 0; i < MR; i++)
      for (int v = 0; v < NV; v++) sum = V::add(sum, acc[i][v]);
    float lanes[W];
    V::store(lanes, sum);
    volatile float sink = lanes[0];
    (void)sink;
    return 2.0 * double(iterations) * MR * NV * W;
  }
};

}  // namespace kernel
}  // namespace infogain
