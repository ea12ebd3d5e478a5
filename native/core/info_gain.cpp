#include "info_gain.h"

#include <string>

#include "spans.h"

namespace infogain {

Status checkTurns(const Turns& turns) {
  if (turns.length < 0) return rangeError(codes::kRange, "length", -1, "length must be >= 0");
  if (turns.rollouts) {
    Status st = checkOffsets(turns.rollouts, turns.rolloutCount, turns.count, "rollouts");
    if (!st.ok()) return st;
  }
  auto fail = [](const char* name, int64_t t, const std::string& why) {
    return rangeError(codes::kRange, name, t, std::string(name) + "[" + std::to_string(t) + "] " + why);
  };
  for (int64_t t = 0; t < turns.count; t++) {
    const int64_t as = turns.actionStart[t], ae = turns.actionEnd[t], os = turns.obsStart[t], oe = turns.obsEnd[t];
    const int64_t previous = t > 0 ? turns.obsEnd[t - 1] : 0;
    if (as < previous)
      return fail("actionStart", t, t > 0 ? "= " + std::to_string(as) + " is before the end of turn " + std::to_string(t - 1) +
                                                " (" + std::to_string(previous) + "): turns must be in order and not overlap"
                                          : "= " + std::to_string(as) + " is negative");
    if (ae <= as) return fail("actionEnd", t, "= " + std::to_string(ae) + " leaves action " + std::to_string(t) + " empty");
    if (os < ae) return fail("obsStart", t, "= " + std::to_string(os) + " is inside action " + std::to_string(t));
    if (oe < os) return fail("obsEnd", t, "= " + std::to_string(oe) + " is before obsStart " + std::to_string(os));
    if (oe > turns.length)
      return fail("obsEnd", t, "= " + std::to_string(oe) + " is past the sequence length " + std::to_string(turns.length));
  }
  return Status::Ok();
}

int64_t scoredTokenCount(const Turns& turns) {
  int64_t n = 0;
  forEachGainTurn(turns, [&](int64_t t) { n += turns.actionLength(t + 1); });
  return n;
}

Status creditInfoGain(const Turns& turns, const float* divergences, const InfoGainOutput& out) {
  Status st = checkTurns(turns);
  if (!st.ok()) return st;
  for (int64_t t = 0; t < turns.count; t++) {
    out.gains[t] = 0.0f;
    out.hasGain[t] = 0;
  }
  for (int64_t j = 0; j < turns.length; j++) {
    out.rewards[j] = 0.0f;
    out.hasReward[j] = 0;
  }
  int64_t next = 0;  // first scored token of the current gain turn
  forEachGainTurn(turns, [&](int64_t t) {
    const int64_t n = turns.actionLength(t + 1);
    double sum = 0.0;
    for (int64_t j = 0; j < n; j++) sum += divergences[next + j];
    next += n;
    const double gain = sum / double(n);
    out.gains[t] = float(gain);
    out.hasGain[t] = 1;
    const float perToken = float(gain / double(turns.actionLength(t)));
    for (int64_t j = turns.actionStart[t]; j < turns.actionEnd[t]; j++) {
      out.rewards[j] = perToken;
      out.hasReward[j] = 1;
    }
  });
  return Status::Ok();
}

}  // namespace infogain
