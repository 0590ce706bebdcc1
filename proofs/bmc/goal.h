// File: what a bounded run asks at every depth, and the run itself.
//
// A goal is a formula over the unrolling at depth k (states 0..k, steps 0..k-1): "state k
// breaks invariant P" for a safety question (SAFE up to the bound when no depth is sat),
// or "state k / step k-1 does X" for a vacuity witness (the moves can do X at all). Each
// goal is asked at depths 0, 1, ... until it is sat or the bound is reached; the first sat
// depth is the shortest counterexample or witness, and its trace is kept.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bmc/unrolling.h"

namespace sgxref::proofs {

struct Goal {
  std::string name;
  std::function<z3::expr(const Unrolling&, size_t depth)> at;
};

using StatePredicate = std::function<S::Bool(const S&, const State<S>&)>;
// What step k did, read from states k and k+1, the move it made and its outcome.
using StepPredicate = std::function<z3::expr(const Unrolling&, size_t step)>;

// State `depth` breaks `p`.
Goal breaks(std::string name, StatePredicate p);
// State `depth` satisfies `p`.
Goal reaches(std::string name, StatePredicate p);
// The step into state `depth` satisfies `p` (never at depth 0).
Goal steps_to(std::string name, StepPredicate p);

struct GoalRun {
  std::string name;
  std::vector<Verdict> by_depth;   // index: depth
  std::optional<size_t> found_at;  // the first sat depth
  std::vector<TraceStep> trace;    // the steps to it
  State<C> last{};                 // the state it ends in

  bool unsat_up_to(size_t bound) const;
};

struct BmcRun {
  size_t bound = 0;
  std::vector<GoalRun> goals;
  std::vector<Verdict> overflow;      // by step: a value beyond its declared width
  std::vector<double> build_seconds;  // by step: building its terms and asserting them

  const GoalRun& goal(const std::string& name) const;
};

// Unrolls `u` to `bound` steps, asking every goal not yet sat at each depth.
BmcRun run_bmc(Unrolling& u, const std::vector<Goal>& goals, size_t bound);

// One row per depth: each goal's verdict and solver time, then the overflow check's.
std::ostream& operator<<(std::ostream& os, const BmcRun& run);

}  // namespace sgxref::proofs
