// File: the one incremental Z3 solver an unrolling grows in. Assertions only accumulate;
// each question is asked behind an activation literal of its own, assumed for that query
// and then retired for good, so the solver keeps what it learnt and nothing of the
// question.
#pragma once

#include <z3++.h>

#include <cstddef>
#include <stdexcept>

namespace sgxref::proofs {

// The solver gave up on a query (its time limit, or any other reason it gives).
struct SolverGaveUp : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A solver's answer to one query and the wall time it took.
struct Verdict {
  z3::check_result result;
  double seconds;
};

class IncrementalSolver {
 public:
  explicit IncrementalSolver(z3::context& ctx);

  void add(const z3::expr& e) { solver_.add(e); }

  // Whether `goal` can hold together with everything asserted. A sat answer's model,
  // checked against every assertion, is kept for model(). Throws SolverGaveUp when the
  // solver gives up.
  Verdict check(const z3::expr& goal);
  const z3::model& model() const { return last_model_; }

 private:
  z3::context& ctx_;
  z3::solver solver_;
  z3::model last_model_;
  size_t asked_ = 0;
};

}  // namespace sgxref::proofs
