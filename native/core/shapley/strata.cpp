#include "strata.h"

#include <algorithm>
#include <cmath>

namespace infogain {

std::vector<Group> allocateUnits(const std::vector<double>& populations, const std::vector<double>& weights,
                                 int64_t units, int minUnitsPerGroup, bool forceFirst) {
  const int H = int(populations.size());
  std::vector<Group> groups;
  std::vector<char> done(size_t(H), 0);
  double left = double(units);
  auto enumerate = [&](int h) {
    Group g;
    g.strata = {h};
    g.selectProb = {1.0};
    g.population = populations[size_t(h)];
    g.planned = int64_t(populations[size_t(h)]);
    g.enumerated = true;
    groups.push_back(g);
    done[size_t(h)] = 1;
    left -= populations[size_t(h)];
  };
  for (int h = 0; h < H; h++)
    if (populations[size_t(h)] <= 0) done[size_t(h)] = 1;
  if (forceFirst && H > 0 && !done[0] && populations[0] + minUnitsPerGroup <= left) enumerate(0);
  // border trick: a stratum whose share covers it is enumerated; repeat, as that frees units
  for (bool changed = true; changed;) {
    changed = false;
    double total = 0;
    for (int h = 0; h < H; h++)
      if (!done[size_t(h)]) total += weights[size_t(h)];
    if (!(total > 0)) break;
    for (int h = 0; h < H; h++) {
      if (done[size_t(h)] || weights[size_t(h)] <= 0) continue;
      if (left * weights[size_t(h)] / total >= populations[size_t(h)] && populations[size_t(h)] <= left) {
        enumerate(h);
        changed = true;
        break;
      }
    }
  }
  // the rest: consecutive strata merged until each group's share reaches minUnitsPerGroup
  double total = 0;
  for (int h = 0; h < H; h++)
    if (!done[size_t(h)]) total += weights[size_t(h)];
  const size_t firstSampled = groups.size();
  if (left >= 1 && total > 0) {
    std::vector<double> share;
    Group cur;
    double curShare = 0;
    for (int h = 0; h < H; h++) {
      if (done[size_t(h)] || weights[size_t(h)] <= 0) continue;
      cur.strata.push_back(h);
      cur.selectProb.push_back(weights[size_t(h)]);
      cur.population += populations[size_t(h)];
      curShare += left * weights[size_t(h)] / total;
      if (curShare >= minUnitsPerGroup) {
        groups.push_back(cur);
        share.push_back(curShare);
        cur = Group();
        curShare = 0;
      }
    }
    if (!cur.strata.empty()) {
      if (groups.size() > firstSampled) {  // too small alone: joins the last group
        Group& last = groups.back();
        for (size_t k = 0; k < cur.strata.size(); k++) {
          last.strata.push_back(cur.strata[k]);
          last.selectProb.push_back(cur.selectProb[k]);
        }
        last.population += cur.population;
        share.back() += curShare;
      } else {
        groups.push_back(cur);
        share.push_back(curShare);
      }
    }
    // integer plans by largest remainder, summing to floor(left)
    int64_t want = int64_t(std::floor(left + 1e-9)), given = 0;
    std::vector<std::pair<double, size_t>> rem;
    for (size_t k = 0; k < share.size(); k++) {
      Group& g = groups[firstSampled + k];
      g.planned = int64_t(std::floor(share[k]));
      given += g.planned;
      rem.push_back({share[k] - std::floor(share[k]), k});
    }
    std::sort(rem.begin(), rem.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (size_t k = 0; k < rem.size() && given < want; k++, given++) groups[firstSampled + rem[k].second].planned++;
    for (size_t k = firstSampled; k < groups.size(); k++) {
      Group& g = groups[k];
      double sum = 0;
      for (double p : g.selectProb) sum += p;
      for (double& p : g.selectProb) p /= sum;
      if (double(g.planned) > g.population) g.planned = int64_t(g.population);
    }
  }
  return groups;
}

int pickStratum(const Group& g, Xoshiro256& rng) {
  int k = 0;
  if (g.strata.size() > 1) {
    double x = rng.uniform();
    while (k + 1 < int(g.strata.size()) && x >= g.selectProb[size_t(k)]) x -= g.selectProb[size_t(k++)];
  }
  return k;
}

GroupSchedule::GroupSchedule(const std::vector<Group>& groups) : groups_(groups), taken_(groups.size(), 0) {}

int GroupSchedule::next() {
  int best = -1;
  double bestDue = INFINITY;
  for (size_t g = 0; g < groups_.size(); g++) {
    const Group& G = groups_[g];
    if (double(taken_[g]) >= G.population) continue;
    double plan = G.planned > 0 ? double(G.planned) : 0.5;  // unplanned groups come after planned ones
    double due = (double(taken_[g]) + 0.5) / plan;
    if (due < bestDue) {
      bestDue = due;
      best = int(g);
    }
  }
  if (best >= 0) taken_[size_t(best)]++;
  return best;
}

void GroupSchedule::undo(int group) { taken_[size_t(group)]--; }

double expansionWeight(const Group& g, const std::vector<double>& populations, int k, int64_t m) {
  if (m <= 0) return 0;
  if (g.strata.size() == 1) return populations[size_t(g.strata[0])] / double(m);
  return populations[size_t(g.strata[size_t(k)])] / (g.selectProb[size_t(k)] * double(m));
}

GroupTotals::GroupTotals(const std::vector<Group>& groups, const std::vector<double>& populations, int players)
    : groups_(groups), populations_(populations), n_(players), z_(groups.size()) {}

void GroupTotals::add(int g, int k, const double* y) {
  const Group& G = groups_[size_t(g)];
  const double scale = G.strata.size() == 1 ? populations_[size_t(G.strata[0])]
                                            : populations_[size_t(G.strata[size_t(k)])] / G.selectProb[size_t(k)];
  std::vector<double>& z = z_[size_t(g)];
  for (int i = 0; i < n_; i++) z.push_back(y[i] * scale);
}

void GroupTotals::finish(double* total, double* variance, double* df) const {
  std::vector<double> dfDen(size_t(n_), 0.0);
  for (int i = 0; i < n_; i++) total[i] = variance[i] = 0;
  for (size_t g = 0; g < groups_.size(); g++) {
    const std::vector<double>& z = z_[g];
    const int64_t m = int64_t(z.size()) / (n_ > 0 ? n_ : 1);
    const double N = groups_[g].population;
    const bool single = groups_[g].strata.size() == 1;
    if (m == 0) {
      for (int i = 0; i < n_; i++) variance[i] = INFINITY;  // nothing seen of this group
      continue;
    }
    const bool complete = single && double(m) >= N;
    const double fpc = single ? std::max(0.0, 1.0 - double(m) / N) : 1.0;
    for (int i = 0; i < n_; i++) {
      double mean = 0;
      for (int64_t u = 0; u < m; u++) mean += z[size_t(u * n_ + i)];
      mean /= double(m);
      total[i] += mean;
      if (complete) continue;
      if (m < 2) {
        variance[i] = INFINITY;
        continue;
      }
      double ss = 0;
      for (int64_t u = 0; u < m; u++) {
        double d = z[size_t(u * n_ + i)] - mean;
        ss += d * d;
      }
      const double v = fpc * ss / double(m - 1) / double(m);
      variance[i] += v;
      dfDen[size_t(i)] += v * v / double(m - 1);
    }
  }
  for (int i = 0; i < n_; i++)
    df[i] = dfDen[size_t(i)] > 0 ? variance[i] * variance[i] / dfDen[size_t(i)] : INFINITY;
}

}  // namespace infogain
