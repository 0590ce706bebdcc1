// File: records between the domains: a concrete record as symbolic literals (where the
// checker starts), and symbolic terms as the concrete values a solver's model gives them
// (the states and outcomes of a counterexample).
#pragma once

#include <z3++.h>

#include <stdexcept>
#include <string>

#include "bmc/terms.h"
#include "model/leaves.h"

namespace sgxref::proofs {

// Sets every leaf of `s`, a symbolic record already at its declared widths, to the
// literal of the same leaf of `c`. Throws std::invalid_argument if a value of `c` does
// not fit its width (no reachable state has one).
template <class TS, class TC>
void lift_into(const S& d, TS& s, const TC& c) {
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
}

// Reads every leaf of the symbolic record `s` into the concrete record `c`, which has
// the same shape.
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

State<S> lift(const S& d, const State<C>& c);

State<C> lower(const z3::model& m, const State<S>& s);
Outcome<C> lower(const z3::model& m, const Outcome<S>& o);

}  // namespace sgxref::proofs
