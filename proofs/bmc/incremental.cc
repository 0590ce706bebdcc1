#include "bmc/incremental.h"

#include <chrono>
#include <stdexcept>
#include <string>

namespace sgxref::proofs {

namespace {

// QF_BV: Z3's bit-blasting SAT solver, incremental under assumptions (the general
// solver falls back to its SMT core once used incrementally: about 70 times slower here).
constexpr const char* kLogic = "QF_BV";

}  // namespace

IncrementalSolver::IncrementalSolver(z3::context& ctx)
    : ctx_(ctx), solver_(ctx, kLogic), last_model_(ctx) {
  // SIGINT stays the caller's. Z3 takes it for the length of a query and lets it go when
  // the query ends: a Ctrl-C landing after the answer but before then is lost, the check
  // running on. The caller stops a check through the context (flows/check.h's stop).
  z3::params p(ctx);
  p.set("ctrl_c", false);
  solver_.set(p);
}

Verdict IncrementalSolver::check(const z3::expr& goal) {
  const auto start = std::chrono::steady_clock::now();
  const z3::expr on = ctx_.bool_const(("goal" + std::to_string(asked_++)).c_str());
  solver_.add(z3::implies(on, goal));
  z3::expr_vector assumed(ctx_);
  assumed.push_back(on);
  const z3::check_result r = solver_.check(assumed);
  if (r == z3::sat) {
    last_model_ = solver_.get_model();
    // A counterexample is only as good as its model: Z3 4.8.12's incremental SAT solver
    // has returned models that break its assertions (with push/pop, and as QF_FD).
    if (!last_model_.eval(z3::mk_and(solver_.assertions()) && on, true).is_true())
      throw std::runtime_error("the solver's model does not satisfy its assertions");
  }
  solver_.add(!on);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (r == z3::unknown) throw SolverGaveUp("solver gave up: " + solver_.reason_unknown());
  return {r, took.count()};
}

}  // namespace sgxref::proofs
