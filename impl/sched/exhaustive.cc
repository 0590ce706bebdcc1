#include "sched/exhaustive.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sgxref::sched {
namespace {

// Follows a prefix of choices, then lets the current thread run on (or, when it
// cannot, the lowest id); remembers the alternatives at every decision so that the next
// prefix is the deepest untried one within the preemption bound.
class DepthFirst final : public Strategy {
 public:
  DepthFirst(int bound, std::vector<int> prefix) : bound_(bound), prefix_(std::move(prefix)) {}

  Pick pick(const Decision& d) override {
    Node n;
    // A thread at a sched::yield spins waiting for another; run on, it would only fail
    // the same check again, and with the preemption bound spent it would spin forever.
    // So while another thread can run, the spinner is no option and switching is free.
    const bool spins = d.current_yielded && d.runnable.size() > 1;
    n.preemptable = d.current_can_continue && !spins;
    n.preemptions = trail_.empty() ? 0 : trail_.back().preemptions_after();
    if (n.preemptable) n.options.push_back(d.current);
    for (const Candidate& c : d.runnable) {
      const bool listed_or_spinning = (n.preemptable || spins) && c.thread == d.current;
      if (!listed_or_spinning) n.options.push_back(c.thread);
    }
    if (trail_.size() < prefix_.size()) {
      const int want = prefix_[trail_.size()];
      while (n.chosen < n.options.size() && n.options[n.chosen] != want) ++n.chosen;
      if (n.chosen == n.options.size()) {
        return {-1, "decision " + std::to_string(trail_.size()) + ": thread " +
                        std::to_string(want) + " cannot run as before; is the test deterministic?"};
      }
    }
    trail_.push_back(n);
    return {n.options[n.chosen], {}};
  }

  // The choices of the next schedule in depth-first order, or nullopt if none is left.
  std::optional<std::vector<int>> next() const {
    for (size_t i = trail_.size(); i-- > 0;) {
      const Node& n = trail_[i];
      if (n.chosen + 1 == n.options.size()) continue;
      if (n.preemptable && n.preemptions + 1 > bound_) continue;
      std::vector<int> prefix;
      for (size_t j = 0; j < i; ++j) prefix.push_back(trail_[j].options[trail_[j].chosen]);
      prefix.push_back(n.options[n.chosen + 1]);
      return prefix;
    }
    return std::nullopt;
  }

 private:
  struct Node {
    std::vector<int> options;  // the current thread first when it can go on, then by id
    size_t chosen = 0;
    bool preemptable = false;  // every option but the first is a preemption
    int preemptions = 0;       // before this decision
    int preemptions_after() const { return preemptions + (preemptable && chosen > 0 ? 1 : 0); }
  };

  int bound_;
  std::vector<int> prefix_;
  std::vector<Node> trail_;
};

}  // namespace

Exploration exhaustive(int preemptions, int cap, const std::function<bool(Controlled& s)>& test) {
  Exploration e;
  std::vector<int> prefix;
  for (;;) {
    auto owned = std::make_unique<DepthFirst>(preemptions, std::move(prefix));
    const DepthFirst& strategy = *owned;
    Controlled s(std::move(owned));
    const bool held = test(s);
    ++e.schedules;
    if (!s.outcome().completed() || !held) {
      e.failure = s.outcome();
      if (e.failure->completed()) e.failure->end = Outcome::End::kCheckFailed;
      return e;
    }
    std::optional<std::vector<int>> next = strategy.next();
    if (!next) return e;
    if (e.schedules >= cap) {
      e.capped = true;
      return e;
    }
    prefix = std::move(*next);
  }
}

}  // namespace sgxref::sched
