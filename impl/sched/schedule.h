// File: what a controlled run did (its schedule) and how it ended (its outcome). A
// schedule is enough to run the same test again step for step (sched::replay).
#pragma once

#include <string>
#include <vector>

namespace sgxref::sched {

// One decision of a run: `thread` ran on from `point`, the place it stood: a scheduling
// point, the name of what it had been blocked on, or "start".
struct Step {
  int thread;
  std::string point;
  bool operator==(const Step&) const = default;
};

using Schedule = std::vector<Step>;

// "0@start 1@start 1@q.lock ...": thread ids, as replay() takes them.
std::string to_string(const Schedule& schedule);

struct Outcome {
  enum class End {
    kCompleted,    // every thread ended
    kDeadlock,     // threads remained and all were blocked (a lost wake-up is one too)
    kDivergence,   // replay: the run could not follow its schedule
    kThrew,        // a thread's body threw
    kCheckFailed,  // exhaustive(): the run completed but the test's check did not hold
  };
  End end = End::kCompleted;
  std::string why;                   // what went wrong; empty when completed
  Schedule schedule;                 // every decision, up to the end
  std::vector<std::string> threads;  // thread names by id

  bool completed() const { return end == End::kCompleted; }
  // One paragraph for a test failure: how the run ended, why, threads, schedule.
  std::string report() const;
};

}  // namespace sgxref::sched
