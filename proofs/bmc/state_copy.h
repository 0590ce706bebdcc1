// File: one step's copy of the state: fresh variables at the declared widths, the
// constraint that ties them to what a transition computed, and the question whether a
// transition computed a value its field cannot hold.
//
// Each step gets its own variables, so the term for step k never nests the terms of the
// steps before it (docs/checker.md).
#pragma once

#include <string>

#include "bmc/terms.h"

namespace sgxref::proofs {

// A state of `shape`'s form whose every leaf is a fresh variable named `prefix` and its
// path ("s3.epcm[2].valid"), each Int as wide as the same leaf of `shape`.
State<S> fresh_state(const S& d, const State<S>& shape, const std::string& prefix);

// Leaf by leaf, `a` equals `b`; Ints are compared at the wider of their two widths, so a
// value of `b` that `a`'s width cannot hold makes it false (exceeds_widths finds those).
z3::expr equals(const S& d, const State<S>& a, const State<S>& b);

// Some Int leaf of `s` is beyond what the same leaf of `shape` can hold.
z3::expr exceeds_widths(const S& d, const State<S>& shape, const State<S>& s);

}  // namespace sgxref::proofs
