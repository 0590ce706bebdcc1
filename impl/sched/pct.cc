#include <algorithm>
#include <stdexcept>

#include "sched/rng.h"
#include "sched/strategy.h"

namespace sgxref::sched {
namespace {

class Pct final : public Strategy {
 public:
  Pct(uint64_t seed, int depth, int steps) : rng_(seed), depth_(uint64_t(depth)) {
    if (depth < 1 || steps < 1) throw std::invalid_argument("pct: depth and steps must be >= 1");
    const size_t changes = std::min(size_t(depth - 1), size_t(steps));
    while (change_at_.size() < changes) {
      const uint64_t k = 1 + rng_.below(uint64_t(steps));
      if (std::find(change_at_.begin(), change_at_.end(), k) == change_at_.end()) {
        change_at_.push_back(k);
      }
    }
  }

  Pick pick(const Decision& d) override {
    ++step_;
    // A thread's priority is drawn when it is first seen; ids are seen in the same order
    // in every run of the same test, so the draws are too.
    for (const Candidate& c : d.runnable) {
      if (size_t(c.thread) >= priority_.size()) {
        priority_.resize(size_t(c.thread) + 1, 0);
        seen_.resize(size_t(c.thread) + 1, false);
      }
      if (!seen_[size_t(c.thread)]) {
        seen_[size_t(c.thread)] = true;
        priority_[size_t(c.thread)] = int64_t(depth_ + rng_.below(uint64_t(1) << 62));
      }
    }
    const auto change = std::find(change_at_.begin(), change_at_.end(), step_);
    if (change != change_at_.end() && d.current >= 0) {
      // The i-th change point (from 1) gives priority i, below every initial priority.
      priority_[size_t(d.current)] = int64_t(change - change_at_.begin()) + 1;
    }
    if (d.current_yielded && d.current >= 0) {
      // A spinning thread waits for another: below everyone, or it would spin forever
      // (the fair variant of PCT; CHESS treats yields the same way).
      int64_t lowest = priority_[size_t(d.current)];
      for (const Candidate& c : d.runnable) lowest = std::min(lowest, priority_[size_t(c.thread)]);
      priority_[size_t(d.current)] = lowest - 1;
    }
    int best = d.runnable.front().thread;
    for (const Candidate& c : d.runnable) {
      if (priority_[size_t(c.thread)] > priority_[size_t(best)]) best = c.thread;
    }
    return {best, {}};
  }

 private:
  Rng rng_;
  uint64_t depth_;
  std::vector<uint64_t> change_at_;  // decision numbers, from 1
  std::vector<int64_t> priority_;  // by thread id
  std::vector<bool> seen_;         // whether a thread has its priority yet
  uint64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Strategy> pct(uint64_t seed, int depth, int steps) {
  return std::make_unique<Pct>(seed, depth, steps);
}

}  // namespace sgxref::sched
