// 'svarm': Stratified SVARM (Kolpaczki et al., AAAI 2024) over the paired design. With
// mu+(i, s) = mean of v(S) over |S| = s, i in S and mu-(i, s) the same over i not in S,
//   phi_i = (v(N) - v(empty)) / n + sum_{s=1}^{n-1} (mu+(i, s) - mu-(i, s)) / n,
// each mean estimated from the sampled coalitions of its cell (post-stratification by size and
// membership). A pair {S, N \ S} puts player i in exactly one of its two coalitions, so a group's
// cells fill up together; where one of player i's cells in a group is still empty, that group's
// share comes from the Horvitz-Thompson estimate over its pairs instead, with values centred on
// their size's mean (which changes nothing in expectation: the c_i(S) of one size sum to 0).
// Variance: stratified jackknife (delete one unit, or one of 64 parts of a large group); a group's
// share depends on its own units only.
#include <cmath>

#include "bits.h"
#include "pair_sample.h"
#include "shapley.h"

namespace infogain {
namespace {

constexpr size_t kParts = 64;  // replicates per group at most

class Svarm {
 public:
  explicit Svarm(const PairSample& s)
      : s_(s), n_(s.n), full_(fullMask(s.n)), w_(semivalueWeights(s.n, ShapleyIndex::Shapley)) {
    byGroup_.resize(s.groups->size());
    for (size_t u = 0; u < s.masks.size(); u++) byGroup_[size_t(s.group[u])].push_back(u);
  }

  void run(DesignEstimate* out) {
    const size_t G = byGroup_.size();
    std::vector<int64_t> counts(G);
    std::vector<double> share;
    out->phi.assign(size_t(n_), (s_.vFull - s_.vEmpty) / n_);
    out->units = int64_t(s_.masks.size());
    std::vector<std::vector<double>> reps(G);
    for (size_t g = 0; g < G; g++) {
      const std::vector<size_t>& units = byGroup_[g];
      counts[g] = int64_t(units.size());
      if (units.empty()) continue;
      groupShare(g, units, 0, 0, &share);
      for (int i = 0; i < n_; i++) out->phi[size_t(i)] += share[size_t(i)];
      const Group& Gr = (*s_.groups)[g];
      if (units.size() < 2 || (Gr.strata.size() == 1 && double(units.size()) >= Gr.population)) continue;
      // delete one unit, or for large groups one of kParts interleaved parts (work stays O(m n))
      const size_t parts = units.size() <= kParts ? units.size() : kParts;
      for (size_t k = 0; k < parts; k++) {
        groupShare(g, units, parts, k, &share);
        reps[g].insert(reps[g].end(), share.begin(), share.end());
      }
    }
    jackknifeErrors(*s_.groups, counts, reps, n_, out);
  }

 private:
  // Group g's share of phi from its units, leaving out units[k] with k % parts == part (none when
  // parts is 0).
  void groupShare(size_t g, const std::vector<size_t>& units, size_t parts, size_t part, std::vector<double>* share) {
    auto skipped = [&](size_t k) { return parts > 0 && k % parts == part; };
    const int n = n_;
    cellSum_.assign(size_t(n * (n + 1) * 2), 0.0);
    cellCount_.assign(size_t(n * (n + 1) * 2), 0);
    sizeSum_.assign(size_t(n + 1), 0.0);
    sizeCount_.assign(size_t(n + 1), 0);
    int64_t kept = 0;
    for (size_t k = 0; k < units.size(); k++) {
      if (skipped(k)) continue;
      kept++;
      for (int side = 0; side < 2; side++) {
        const uint32_t msk = mask(units[k], side);
        const int s = popcount32(msk);
        const double v = s_.values[2 * units[k] + size_t(side)];
        sizeSum_[size_t(s)] += v;
        sizeCount_[size_t(s)]++;
        for (int i = 0; i < n; i++) {
          cellSum_[cell(i, s, (msk >> i) & 1)] += v;
          cellCount_[cell(i, s, (msk >> i) & 1)]++;
        }
      }
    }
    std::vector<int> sizes;
    for (int h : (*s_.groups)[g].strata) {
      sizes.push_back(h + 1);
      if (2 * (h + 1) != n) sizes.push_back(n - h - 1);
    }
    share->assign(size_t(n), 0.0);
    for (int i = 0; i < n; i++) {
      bool filled = true;
      for (int s : sizes) filled = filled && cellCount_[cell(i, s, true)] > 0 && cellCount_[cell(i, s, false)] > 0;
      double& x = (*share)[size_t(i)];
      if (filled) {
        for (int s : sizes) x += (mean(cell(i, s, true)) - mean(cell(i, s, false))) / n;
        continue;
      }
      // Horvitz-Thompson over the pairs, values centred on their size's mean
      for (size_t k = 0; k < units.size(); k++) {
        if (skipped(k)) continue;
        const size_t u = units[k];
        const double e = expansionWeight((*s_.groups)[g], *s_.populations, s_.stratum[u], kept);
        for (int side = 0; side < 2; side++) {
          const uint32_t msk = mask(u, side);
          const int s = popcount32(msk);
          const double c = (msk >> i) & 1 ? w_[size_t(s - 1)] : -w_[size_t(s)];
          x += e * c * (s_.values[2 * u + size_t(side)] - sizeSum_[size_t(s)] / double(sizeCount_[size_t(s)]));
        }
      }
    }
  }

  uint32_t mask(size_t u, int side) const { return side ? full_ ^ s_.masks[u] : s_.masks[u]; }
  size_t cell(int i, int s, bool in) const { return size_t((i * (n_ + 1) + s) * 2 + (in ? 1 : 0)); }
  double mean(size_t c) const { return cellSum_[c] / double(cellCount_[c]); }

  const PairSample& s_;
  int n_;
  uint32_t full_;
  std::vector<double> w_;
  std::vector<std::vector<size_t>> byGroup_;
  std::vector<double> cellSum_, sizeSum_;
  std::vector<int64_t> cellCount_, sizeCount_;
};

}  // namespace

void svarmEstimate(const PairSample& sample, DesignEstimate* out) { Svarm(sample).run(out); }

}  // namespace infogain
