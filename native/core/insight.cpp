// InSight: the mutual information between a prompt's Beta(a, b) success rate p and the outcomes of
// k rollouts, I = H(outcomes) - k E_p[H_b(p)], scored at the mean belief.
#include <cmath>
#include <string>

#include "reward_shaping.h"
#include "special_functions.h"
#include "token_layout.h"

namespace infogain {

// E_p[H_b(p)] for p ~ Beta(a, b): psi(a+b+1) - mu psi(a+1) - (1-mu) psi(b+1).
static double expectedBinaryEntropy(double a, double b) {
  const double mu = a / (a + b), nu = b / (a + b);
  return digamma(a + b + 1) - mu * digamma(a + 1) - nu * digamma(b + 1);
}

// Entropy of k exchangeable Beta-Bernoulli outcomes: -sum_j C(k, j) P_j ln P_j, where
// P_j = B(a + j, b + k - j) / B(a, b) is the probability of one sequence with j successes.
static double outcomesEntropy(double a, double b, int64_t k) {
  if (k == 1) {
    const double mu = a / (a + b), nu = b / (a + b);
    return -mu * std::log(mu) - nu * std::log(nu);
  }
  double logP = 0;  // ln P_0 = sum_i ln((b + i) / (a + b + i))
  for (int64_t i = 0; i < k; i++) logP += std::log((b + double(i)) / (a + b + double(i)));
  double logC = 0, h = 0;
  for (int64_t j = 0; j <= k; j++) {
    h -= std::exp(logC + logP) * logP;
    if (j == k) break;
    logP += std::log((a + double(j)) / (b + double(k - j - 1)));  // P_{j+1} / P_j
    logC += std::log(double(k - j) / double(j + 1));               // C(k, j+1) / C(k, j)
  }
  return h;
}

Status insightScores(const float* alpha, const float* beta, const float* weights, int64_t n, const InsightOptions& o,
                     float* scores, float* mutualInformation, float* mean) {
  if (o.rollouts < 1 || o.rollouts > 65536)
    return rangeError(codes::kRange, "rollouts", -1, "rollouts must be an integer in [1, 65536]");
  if (n < 1) return rangeError(codes::kShape, "alpha", -1, "alpha is empty");
  const std::pair<const char*, const float*> params[] = {{"alpha", alpha}, {"beta", beta}};
  for (auto& [name, v] : params)
    for (int64_t i = 0; i < n; i++)
      if (!(v[i] > 0) || !std::isfinite(v[i]))
        return rangeError(codes::kRange, name, i, std::string(name) + "[" + std::to_string(i) + "] must be finite and > 0");
  if (weights) {
    Status st = checkFinite(weights, n, "weights");
    if (!st.ok()) return st;
  }
  for (int64_t i = 0; i < n; i++) {
    const double a = alpha[i], b = beta[i];
    double mi = outcomesEntropy(a, b, o.rollouts) - double(o.rollouts) * expectedBinaryEntropy(a, b);
    if (mi < 0) mi = 0;  // >= 0 up to rounding
    mutualInformation[i] = float(mi);
    mean[i] = float(a / (a + b));
    scores[i] = float((weights ? double(weights[i]) : 1.0) * mi);
  }
  return Status::Ok();
}

}  // namespace infogain
