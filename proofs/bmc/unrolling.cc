#include "bmc/unrolling.h"

#include <stdexcept>
#include <utility>

#include "bmc/lift.h"
#include "bmc/state_copy.h"

namespace sgxref::proofs {

Unrolling::Unrolling(z3::context& ctx, const State<C>& initial, std::vector<Move> moves)
    : ctx_(ctx),
      d_{&ctx},
      shape_(arch::initial_state(d_, initial.sz)),
      moves_(std::move(moves)),
      solver_(ctx) {
  if (moves_.empty()) throw std::invalid_argument("an unrolling needs at least one move");
  states_.push_back(lift(d_, initial));
}

z3::expr Unrolling::made(size_t k, size_t move) const {
  const z3::expr& choice = steps_.at(k).choice;
  return choice == ctx_.bv_val(uint64_t(move), choice.get_sort().bv_size());
}

z3::expr Unrolling::made(size_t k, const std::string& move) const {
  for (size_t m = 0; m < moves_.size(); ++m)
    if (moves_[m].name == move) return made(k, m);
  throw std::invalid_argument("no move named " + move);
}

Verdict Unrolling::extend() {
  const size_t k = depth();
  const std::string step = "step" + std::to_string(k);
  const unsigned bits = arch::bits_for(moves_.size() - 1);
  Step st{ctx_.bv_const((step + ".move").c_str(), bits), {}, arch::ok_outcome(d_)};
  solver_.add(z3::ult(st.choice, ctx_.bv_val(uint64_t(moves_.size()), bits)));
  steps_.push_back(std::move(st));

  State<S> next = states_[k];
  for (size_t m = 0; m < moves_.size(); ++m) {
    State<S> s = states_[k];
    SymOperands g(d_, s.sz, step + "." + moves_[m].name);
    const Outcome<S> out = moves_[m].symbolic(d_, s, g);
    solver_.add(g.ranges());
    steps_[k].operands.push_back(g.vars());
    const S::Bool here(made(k, m));
    next = m == 0 ? s : ite(here, s, next);
    steps_[k].outcome = m == 0 ? out : ite(here, out, steps_[k].outcome);
  }

  const Verdict overflow = check(exceeds_widths(d_, shape_, next));
  states_.push_back(fresh_state(d_, shape_, "s" + std::to_string(k + 1)));
  solver_.add(equals(d_, states_[k + 1], next));
  return overflow;
}

Verdict Unrolling::check(const z3::expr& goal) { return solver_.check(goal); }

std::vector<TraceStep> Unrolling::trace(size_t steps) const {
  std::vector<TraceStep> t;
  for (size_t k = 0; k < steps; ++k) {
    const Step& st = steps_.at(k);
    const size_t m = size_t(solver_.model().eval(st.choice, true).get_numeral_uint64());
    ModelOperands g(solver_.model(), st.operands.at(m));
    t.push_back({m, moves_.at(m).op(g), lower(solver_.model(), st.outcome)});
  }
  return t;
}

State<C> Unrolling::concrete_state(size_t k) const { return lower(solver_.model(), states_.at(k)); }

}  // namespace sgxref::proofs
