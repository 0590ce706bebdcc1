#include "bmc/lift.h"

namespace sgxref::proofs {

State<S> lift(const S& d, const State<C>& c) {
  State<S> s = arch::initial_state(d, c.sz);
  lift_into(d, s, c);
  return s;
}

State<C> lower(const z3::model& m, const State<S>& s) {
  State<C> c = arch::initial_state(C{}, s.sz);
  lower_into(m, c, s);
  return c;
}

Outcome<C> lower(const z3::model& m, const Outcome<S>& o) {
  Outcome<C> c{};
  lower_into(m, c, o);
  return c;
}

}  // namespace sgxref::proofs
