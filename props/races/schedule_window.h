// File: where in a recorded schedule a thread passed a scheduling point, so that a race
// scenario can show which of its explored schedules reached the racy interleaving
// rather than only that none of them failed.
#pragma once

#include <cstddef>
#include <string>

#include "sched/schedule.h"

namespace sgxref::races {

inline constexpr size_t kNever = ~size_t(0);

// The decision at which `thread` ran on from `point` for the `nth` time (0: the first),
// or kNever.
inline size_t passed(const sched::Schedule& s, int thread, const std::string& point,
                     int nth = 0) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i].thread == thread && s[i].point == point && nth-- == 0) return i;
  }
  return kNever;
}

// Whether every index is known and they are in strictly increasing order.
template <typename... I>
bool in_order(size_t first, I... rest) {
  size_t prev = first;
  bool ok = first != kNever;
  ((ok = ok && rest != kNever && prev < rest, prev = rest), ...);
  return ok;
}

}  // namespace sgxref::races
