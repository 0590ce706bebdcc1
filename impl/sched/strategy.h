// File: the strategies of a controlled run. At every decision (a thread reached a
// point, blocked or ended) a strategy picks which runnable thread goes on. Each is
// deterministic: the same seed or plan and the same test give the same schedule.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sched/schedule.h"

namespace sgxref::sched {

struct Candidate {
  int thread;
  const char* point;  // where it stands (see Step)
};

struct Decision {
  int current;                      // the thread that reached it; -1 when the run starts
  bool current_can_continue;        // false if it blocked or ended
  bool current_yielded = false;     // it spins waiting for another thread (sched::yield)
  std::vector<Candidate> runnable;  // ascending ids, never empty; includes `current`
                                    // iff current_can_continue
};

struct Pick {
  int thread;
  std::string divergence;  // non-empty: the strategy cannot follow its plan; the run ends
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual Pick pick(const Decision& d) = 0;
  // Asked when every thread has ended: what part of the plan was never followed ("" if
  // none). Only a replay has a plan.
  virtual std::string unfinished() const { return {}; }
};

// A uniformly random runnable thread at every decision.
std::unique_ptr<Strategy> random(uint64_t seed);

// Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
// ASPLOS 2010): each thread gets a random priority when first seen, the highest-priority
// runnable thread runs, and at depth-1 decisions drawn uniformly from [1, steps] the
// running thread drops below every other. For a bug of depth `depth` among n threads
// and `steps` decisions, one run finds it with probability at least
// 1 / (n * steps^(depth-1)). `steps` is the expected length of a run (the algorithm
// needs it up front; a recorded schedule's size is a good value).
std::unique_ptr<Strategy> pct(uint64_t seed, int depth, int steps);

// Follows `plan`. A point is listed if some step of the plan names it; every pass of a
// thread through a listed point must be the plan's next step, while at unlisted points
// the current thread runs on (and when it cannot, the lowest thread standing at an
// unlisted point). So a recorded schedule replays step for step, and a checker's
// counterexample may list only the points it knows. When the listed thread cannot run
// and nobody else may run on, or it reaches another listed point than its step says, the
// run ends with a divergence; so does a run that ends before the plan does. Past the
// plan's end the current thread runs on, then the lowest id (a current thread that spins
// on another's progress lets the lowest other go first). Points in `also_listed` are
// listed although no step names them, so a plan that does not pass one there diverges
// if the run does (a checker's counterexample lists its whole vocabulary this way).
std::unique_ptr<Strategy> replay(Schedule plan, const std::vector<std::string>& also_listed = {});

}  // namespace sgxref::sched
