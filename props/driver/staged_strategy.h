// File: a hand-written schedule for a controlled run (sched::Controlled): stages, each
// naming a thread to prefer until it stands at the n-th pass of a named point (or until
// it ends). When the preferred thread cannot run (it blocked on a lock, or spins in a
// yield) the lowest other runnable thread goes. Past the last stage, the lowest runnable
// thread. Thread ids are Controlled's: 0 the run's main, then the sched::Threads in the
// order they were made. The tests that use it place one thread inside another's window.
#pragma once

#include <string>
#include <vector>

#include "sched/strategy.h"

namespace sgxref::testlib {

struct Stage {
  int thread;
  std::string until_point;  // "": for the rest of the run
  int nth = 1;
};

class StagedStrategy : public sched::Strategy {
 public:
  explicit StagedStrategy(std::vector<Stage> stages) : stages_(std::move(stages)) {}

  // Whether every stage was reached (a test asserts it, so a changed flow that no longer
  // passes the named points fails loudly instead of testing nothing).
  bool all_reached() const {
    return next_ >= stages_.size() ||
           (next_ + 1 == stages_.size() && stages_.back().until_point.empty());
  }

  sched::Pick pick(const sched::Decision& d) override {
    while (next_ < stages_.size()) {
      const Stage& s = stages_[next_];
      if (!s.until_point.empty() && d.current == s.thread && d.current_can_continue &&
          point_of(d, s.thread) == s.until_point && ++seen_ == s.nth) {
        ++next_;
        seen_ = 0;
        continue;
      }
      const bool spinning = d.current == s.thread && d.current_yielded;
      if (!spinning && standing(d, s.thread)) return {s.thread, ""};
      return {lowest_other(d, s.thread), ""};
    }
    return {d.runnable.front().thread, ""};
  }

 private:
  static bool standing(const sched::Decision& d, int t) {
    for (const sched::Candidate& c : d.runnable) {
      if (c.thread == t) return true;
    }
    return false;
  }
  static std::string point_of(const sched::Decision& d, int t) {
    for (const sched::Candidate& c : d.runnable) {
      if (c.thread == t) return c.point != nullptr ? c.point : "";
    }
    return "";
  }
  static int lowest_other(const sched::Decision& d, int t) {
    for (const sched::Candidate& c : d.runnable) {
      if (c.thread != t) return c.thread;
    }
    return d.runnable.front().thread;
  }

  std::vector<Stage> stages_;
  size_t next_ = 0;
  int seen_ = 0;
};

}  // namespace sgxref::testlib
