#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sched/strategy.h"

namespace sgxref::sched {
namespace {

const Candidate* find(const Decision& d, int thread) {
  for (const Candidate& c : d.runnable) {
    if (c.thread == thread) return &c;
  }
  return nullptr;
}

class Replay final : public Strategy {
 public:
  Replay(Schedule plan, const std::vector<std::string>& also_listed) : plan_(std::move(plan)) {
    for (const Step& s : plan_) listed_.insert(s.point);
    listed_.insert(also_listed.begin(), also_listed.end());
  }

  Pick pick(const Decision& d) override {
    const Candidate* current = d.current_can_continue ? find(d, d.current) : nullptr;
    if (next_ == plan_.size()) return past_the_plan(d, current);
    if (current != nullptr && !listed(current->point)) return {current->thread, {}};
    const Step& want = plan_[next_];
    const Candidate* chosen = find(d, want.thread);
    if (chosen == nullptr) {
      // When the current thread cannot go on, one standing at an unlisted point may run
      // on, as it may free or spawn the listed thread.
      if (current == nullptr) {
        for (const Candidate& c : d.runnable) {
          if (!listed(c.point)) return {c.thread, {}};
        }
      }
      return {-1, at() + "thread " + std::to_string(want.thread) + " cannot run"};
    }
    if (chosen->point != want.point && listed(chosen->point)) {
      return {-1, at() + "thread " + std::to_string(want.thread) + " is at " + chosen->point};
    }
    // Otherwise it is at its listed point, or runs on through unlisted ones to reach it.
    if (chosen->point == want.point) ++next_;
    return {chosen->thread, {}};
  }

  std::string unfinished() const override {
    return next_ == plan_.size() ? std::string() : at() + "the run ended first";
  }

 private:
  bool listed(const char* point) const { return listed_.count(point) != 0; }

  // The current thread runs on, then the lowest id; one spinning on another thread's
  // progress (yielded) lets the lowest other go first, so the run still ends.
  static Pick past_the_plan(const Decision& d, const Candidate* current) {
    if (current != nullptr && d.current_yielded) {
      for (const Candidate& c : d.runnable) {
        if (c.thread != current->thread) return {c.thread, {}};
      }
    }
    return {current ? current->thread : d.runnable.front().thread, {}};
  }

  std::string at() const {
    const Step& want = plan_[next_];
    return "step " + std::to_string(next_) + " (" + std::to_string(want.thread) + '@' + want.point +
           "): ";
  }

  Schedule plan_;
  std::set<std::string, std::less<>> listed_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<Strategy> replay(Schedule plan, const std::vector<std::string>& also_listed) {
  return std::make_unique<Replay>(std::move(plan), also_listed);
}

}  // namespace sgxref::sched
