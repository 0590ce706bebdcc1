#include "flows/flow_unrolling.h"

#include "bmc/lift.h"
#include "bmc/state_copy.h"

namespace sgxref::proofs::flows {

namespace {

World<S> shape_of(const S& d, const World<C>& c) {
  return blank_world(d, arch::initial_state(d, c.hw.sz), c.th.size());
}

}  // namespace

FlowUnrolling::FlowUnrolling(z3::context& ctx, const System& sys)
    : sys_(sys), ctx_(ctx), d_{&ctx}, shape_(shape_of(d_, sys.initial)), solver_(ctx) {
  World<S> w0 = shape_;
  lift_into(d_, w0, sys.initial);
  worlds_.push_back(w0);
}

Verdict FlowUnrolling::extend() {
  const size_t k = depth();
  const size_t idle = sys_.threads.size();
  const unsigned bits = arch::bits_for(idle);
  const z3::expr choice = ctx_.bv_const(("step" + std::to_string(k) + ".thread").c_str(), bits);
  const auto chose = [&](size_t t) { return choice == ctx_.bv_val(uint64_t(t), bits); };
  choices_.push_back(choice);
  solver_.add(z3::ule(choice, ctx_.bv_val(uint64_t(idle), bits)));

  const World<S>& w = worlds_[k];
  World<S> next = w;
  for (size_t t = 0; t < idle; ++t) {
    solver_.add(z3::implies(chose(t), ready(d_, sys_, w, t).e));
    next = ite(S::Bool(chose(t)), step(d_, sys_, w, t), next);
  }
  solver_.add(z3::implies(chose(idle), (!any_ready(d_, sys_, w)).e));

  const Verdict overflow = check(exceeds_widths(d_, shape_, next));
  worlds_.push_back(fresh_state(d_, shape_, "s" + std::to_string(k + 1)));
  solver_.add(equals(d_, worlds_[k + 1], next));
  return overflow;
}

std::vector<FlowStep> FlowUnrolling::trace(size_t steps) const {
  std::vector<FlowStep> t;
  for (size_t k = 0; k < steps; ++k) {
    const size_t thread = size_t(solver_.model().eval(choices_.at(k), true).get_numeral_uint64());
    const World<C> before = concrete_world(k);
    t.push_back({thread, thread < sys_.threads.size() ? next_point(sys_, before, thread) : "idle"});
  }
  return t;
}

World<C> FlowUnrolling::concrete_world(size_t k) const {
  World<C> c = blank_world(C{}, arch::initial_state(C{}, sys_.initial.hw.sz), sys_.initial.th.size());
  lower_into(solver_.model(), c, worlds_.at(k));
  return c;
}

}  // namespace sgxref::proofs::flows
