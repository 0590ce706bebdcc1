// File: a system's runs unrolled step by step in one incremental solver, the scheduler
// symbolic. Step k has a variable step<k>.thread naming the thread that moves; it must
// name a ready thread, or the idle choice (one past the last thread) when none is ready,
// so the unrolling never runs out of behaviours. World k+1 is a fresh copy of the
// world's variables equal to the chosen thread's step from world k.
#pragma once

#include <z3++.h>

#include <cstddef>
#include <string>
#include <vector>

#include "bmc/incremental.h"
#include "flows/system.h"

namespace sgxref::proofs::flows {

// One step of a counterexample: the thread that moved (threads.size(): none could) and
// the scheduling point its step ended at ("" when it ended at none and ran on).
struct FlowStep {
  size_t thread;
  std::string point;
};

class FlowUnrolling {
 public:
  FlowUnrolling(z3::context& ctx, const System& sys);

  const S& domain() const { return d_; }
  const System& system() const { return sys_; }
  size_t depth() const { return choices_.size(); }
  const World<S>& world(size_t k) const { return worlds_.at(k); }

  // Unrolls one more step. Returns the verdict on "the step can leave a field beyond its
  // declared width" (unsat is the only right answer).
  Verdict extend();
  Verdict check(const z3::expr& goal) { return solver_.check(goal); }
  // Adds a fact every run satisfies (a property check found unsat).
  void assume(const z3::expr& fact) { solver_.add(fact); }

  // After a sat check: the first `steps` steps of the model's run, and its world k.
  std::vector<FlowStep> trace(size_t steps) const;
  World<C> concrete_world(size_t k) const;

 private:
  const System& sys_;
  z3::context& ctx_;
  S d_;
  World<S> shape_;  // the declared widths
  IncrementalSolver solver_;
  std::vector<World<S>> worlds_;
  std::vector<z3::expr> choices_;
};

}  // namespace sgxref::proofs::flows
