#include "bmc/lift.h"

#include <stdexcept>
#include <string>

#include "model/leaves.h"

namespace sgxref::proofs {

namespace {

// Reads every leaf of the symbolic record `s` into the concrete record `c`.
template <class TC, class TS>
void lower_into(const z3::model& m, TC& c, const TS& s) {
  auto f = [&](auto& cv, const auto& sv) {
    const z3::expr v = m.eval(sv.e, true);
    if constexpr (kIsBool<decltype(cv)>) {
      cv = v.is_true();
    } else {
      cv = int64_t(v.get_numeral_uint64());
    }
  };
  test::zip_values(f, c, s);
}

}  // namespace

State<S> lift(const S& d, const State<C>& c) {
  State<S> s = arch::initial_state(d, c.sz);
  auto f = [&](const std::string& path, auto& sv, const auto& cv) {
    if constexpr (kIsBool<decltype(sv)>) {
      sv = d.lit(cv);
    } else {
      const unsigned bits = sv.width();
      if (cv < 0 || (uint64_t(cv) >> bits) != 0) {
        throw std::invalid_argument(path + " = " + std::to_string(cv) + " does not fit its " +
                                    std::to_string(bits) + " bits");
      }
      sv = d.num(cv, bits);
    }
  };
  test::zip_leaves("s", f, s, c);
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
