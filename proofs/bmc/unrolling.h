// File: the unrolled transition relation from one concrete state, grown one step at a
// time in one incremental Z3 solver.
//
// State 0 is the initial state as literals. Step k chooses one of the moves by a
// variable (step<k>.move); every move is built from state k with operands of its own,
// and the results are combined by ite over whole states and outcomes; state k+1 is a
// fresh copy of the state variables, equal to the chosen result. Before that equality is
// asserted, extend() asks whether the chosen result can hold a value its field's declared
// width cannot (the equality would silently rule such a behaviour out): it must not.
#pragma once

#include <z3++.h>

#include <cstddef>
#include <string>
#include <vector>

#include "bmc/incremental.h"
#include "bmc/move.h"
#include "bmc/terms.h"

namespace sgxref::proofs {

// One step of a counterexample: the move made, as an operation, and its outcome.
struct TraceStep {
  size_t move;
  test::Op op;
  Outcome<C> outcome;
};

class Unrolling {
 public:
  Unrolling(z3::context& ctx, const State<C>& initial, std::vector<Move> moves);

  const S& domain() const { return d_; }
  const std::vector<Move>& moves() const { return moves_; }
  // Steps unrolled so far; states 0..depth() exist.
  size_t depth() const { return steps_.size(); }
  const State<S>& state(size_t k) const { return states_.at(k); }
  // Step k (from state k to state k+1) made move `move`, named or by index.
  z3::expr made(size_t k, size_t move) const;
  z3::expr made(size_t k, const std::string& move) const;
  // The outcome of the move step k made.
  const Outcome<S>& outcome(size_t k) const { return steps_.at(k).outcome; }

  // Unrolls one more step. Returns the verdict on "the step can leave a field beyond its
  // declared width" (unsat is the only right answer).
  Verdict extend();

  // Whether `goal` can hold together with everything unrolled so far. The solver keeps
  // nothing of `goal` afterwards; a sat answer's model (checked against every assertion)
  // is kept for trace() and concrete_state().
  Verdict check(const z3::expr& goal);

  // After a sat check: the first `steps` moves of the model's run, as operations.
  std::vector<TraceStep> trace(size_t steps) const;
  // After a sat check: the model's state k.
  State<C> concrete_state(size_t k) const;

 private:
  struct Step {
    z3::expr choice;
    std::vector<std::vector<z3::expr>> operands;  // by move
    Outcome<S> outcome;
  };

  z3::context& ctx_;
  S d_;
  State<S> shape_;  // the declared widths
  std::vector<Move> moves_;
  IncrementalSolver solver_;
  std::vector<State<S>> states_;
  std::vector<Step> steps_;
};

}  // namespace sgxref::proofs
