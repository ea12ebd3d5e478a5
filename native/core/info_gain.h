// InfoPO's turn-level information gain: how much the feedback of turn t changed the next action.
// Per turn t with non-empty feedback that is not the last of its rollout, the tokens of action
// t+1 are scored twice (real context, and the context with observation t masked); with d_j the
// per-token divergence of token j (sampled log-ratio, or full-vocabulary KL),
//   IG_t = mean over the tokens j of action t+1 of d_j
// and IG_t / len(action t) is credited to every token of action t. Other turns get nothing, which
// the presence masks say (no zero sentinel).
#pragma once
#include <cstdint>

#include "status.h"

namespace infogain {

// Turns as explicit token spans into a sequence of `length` tokens (rollouts packed one after
// another): turn t has action [actionStart, actionEnd) and observation [obsStart, obsEnd).
struct Turns {
  const int32_t* actionStart = nullptr;
  const int32_t* actionEnd = nullptr;
  const int32_t* obsStart = nullptr;
  const int32_t* obsEnd = nullptr;
  int64_t count = 0;
  const int32_t* rollouts = nullptr;  // [rolloutCount + 1] turn offsets; nullptr: all turns are one rollout
  int64_t rolloutCount = 1;
  int64_t length = 0;

  int64_t actionLength(int64_t t) const { return int64_t(actionEnd[t]) - actionStart[t]; }
};

// Turns in order and inside the sequence: for every t,
//   obsEnd[t-1] <= actionStart[t] < actionEnd[t] <= obsStart[t] <= obsEnd[t] <= length,
// and rollouts (when given) valid offsets. RangeError naming the array and the first bad turn.
Status checkTurns(const Turns& turns);

// Calls fn(t) for every turn that earns a gain, in order.
template <class Fn>
void forEachGainTurn(const Turns& turns, Fn fn) {
  for (int64_t r = 0; r < turns.rolloutCount; r++) {
    const int64_t first = turns.rollouts ? turns.rollouts[r] : 0;
    const int64_t last = turns.rollouts ? turns.rollouts[r + 1] : turns.count;
    for (int64_t t = first; t + 1 < last; t++)
      if (turns.obsEnd[t] > turns.obsStart[t]) fn(t);
  }
}

// The scored tokens: the tokens of action t+1 for every gain turn t, in turn order.
int64_t scoredTokenCount(const Turns& turns);

struct InfoGainOutput {
  float* gains;        // [turns] IG_t, 0 where none
  uint8_t* hasGain;    // [turns]
  float* rewards;      // [length] IG_t / len(action t) on action t's tokens, 0 elsewhere
  uint8_t* hasReward;  // [length]
};

// Validates the turns, then aggregates the per-token divergences of the scored tokens
// (`divergences`, [scoredTokenCount]) into gains and rewards (float64 sums).
Status creditInfoGain(const Turns& turns, const float* divergences, const InfoGainOutput& out);

}  // namespace infogain
