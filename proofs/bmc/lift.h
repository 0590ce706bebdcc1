// File: states between the domains: a concrete state as symbolic literals (where the
// checker starts), and symbolic terms as the concrete values a solver's model gives them
// (the states and outcomes of a counterexample).
#pragma once

#include <z3++.h>

#include "bmc/terms.h"

namespace sgxref::proofs {

// `c` as literals, each Int at its field's declared width. Throws std::invalid_argument
// if a field of `c` does not fit its width (no reachable state has one).
State<S> lift(const S& d, const State<C>& c);

State<C> lower(const z3::model& m, const State<S>& s);
Outcome<C> lower(const z3::model& m, const Outcome<S>& o);

}  // namespace sgxref::proofs
