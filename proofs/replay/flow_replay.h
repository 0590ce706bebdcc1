// File: a flow's run (a counterexample, or a schedule sampled from the flows) replayed
// on impl/driver through sched::replay, and judged there by the driver's own evidence.
//
// The plan. Each flow step is the region of its thread from the scheduling point where
// it stood to the point the step names, so the plan moves thread t + 1 of the run (0 is
// its main) on from its previous point, "start" at first. A step that ends at no point
// (it runs on) adds nothing: its region and the next are one. A thread whose flow ended
// at a point runs on from there to its end at once, as the flow's last step includes
// its return. Every point the flows name is listed, so a driver that passes one where
// the flow does not diverges.
//
// The verdict. The run must follow the plan to the end. The driver then breaks
//   D1 when it WARNed;
//   D3 when the ioctl's `count` disagrees with the EPCM: a page before it not changed
//      (read-only, or TRIM), or one after it changed (every evicted data page loaded
//      back after the run);
//   D4 when an enclave thread got SGX_NOT_TRACKED from EACCEPT of a page before `count`
//      in an entry the flow made after the ioctl returned (the replay keeps the flow's
//      order, so the flow says which entries those are);
// and the ioctl's return value and `count` must be the flow's when the flow returned;
// the EAUG fault's outcome (the hole mapped, or SIGBUS) the flow's when it ended. With
// no ioctl, `count` is 0 and D3 asks that the data pages stay as built.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "flows/check.h"
#include "flows/layout.h"
#include "flows/variant.h"
#include "replay/replay_machine.h"
#include "sched/schedule.h"

namespace sgxref::proofs::replay {

// The scheduling points a replay of `sys` lists: those every flow's steps may end at,
// and any other its instructions name. "eremove.end" is REMOVE_PAGES' alone: ksgxd's
// EREMOVE of the SECS it has written out is no point of its flow, and stays unlisted.
std::vector<std::string> flow_points(const flows::System& sys);

// What each thread of `sys` (built by flows::build_system over `l`) is on the driver.
std::vector<Role> roles_of(const flows::System& sys, const flows::Layout& l);

// The plan for `steps` with `worlds` (flows::rerun's).
sched::Schedule plan_of(const flows::System& sys, const std::vector<flows::FlowStep>& steps,
                        const std::vector<flows::World<C>>& worlds);

struct ReplayResult {
  sched::Schedule plan;
  DriverOutcome driver;
  bool followed = false;  // the run kept to the plan and every thread ended
  std::vector<std::string> broken;      // the properties the driver broke, by name
  std::vector<std::string> mismatches;  // the driver's answers that differ from the flow's

  // The driver followed with the flow's answers and broke `property` (a counterexample
  // replayed; the run goes on past its end, so other breaks may come with it).
  bool shows(const std::string& property) const {
    return followed && mismatches.empty() &&
           std::find(broken.begin(), broken.end(), property) != broken.end();
  }
  // The driver followed with the flow's answers and broke nothing (a safe run replayed).
  bool clean() const { return followed && mismatches.empty() && broken.empty(); }
  // One paragraph: how the run ended and what the driver did.
  std::string report() const;
};

// Replays `steps` of `sys` (flow `v` over `l`) on a fresh driver; `states`: note the
// driver's state after each step of the plan.
ReplayResult replay_on_driver(const flows::System& sys, const flows::Layout& l,
                              const flows::Variant& v, const std::vector<flows::FlowStep>& steps,
                              bool states = false);

// flows::random_run's schedules of `sys` for seeds 1 .. `seeds` (at most `max_steps`
// steps each), each replayed on a fresh driver; by seed.
std::vector<ReplayResult> replay_random_runs(const flows::System& sys, const flows::Layout& l,
                                             const flows::Variant& v, uint64_t seeds, size_t max_steps);

}  // namespace sgxref::proofs::replay
