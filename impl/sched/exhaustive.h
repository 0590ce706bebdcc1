// File: exhaustive exploration: every schedule of a test with at most a bound of
// preemptions, depth first, each run on a test built afresh.
#pragma once

#include <functional>
#include <optional>

#include "sched/controlled.h"
#include "sched/schedule.h"

namespace sgxref::sched {

struct Exploration {
  int schedules = 0;               // runs made
  bool capped = false;             // stopped at the cap with schedules left to run
  std::optional<Outcome> failure;  // the first run that did not complete or failed its check
};

// Runs `test` once for every schedule with at most `preemptions` preemptions (a switch
// away from a thread that could go on; switching when a thread blocks or ends is free,
// and a thread spinning at a sched::yield waits while another can run), depth first, until every one has run, one fails, or `cap` have run. `test` builds its
// world (machine, driver, threads) afresh, calls s.run() once and returns whether its
// check held. The test must be deterministic given its schedule, as a run that cannot
// retrace a prefix it took before is reported as a divergence.
Exploration exhaustive(int preemptions, int cap, const std::function<bool(Controlled& s)>& test);

}  // namespace sgxref::sched
