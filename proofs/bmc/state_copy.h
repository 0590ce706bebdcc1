// File: one step's copy of a state record (model/arch's State, or the flows' World):
// fresh variables at the declared widths, the constraint that ties them to what a
// transition computed, and the question whether a transition computed a value its field
// cannot hold.
//
// Each step gets its own variables, so the term for step k never nests the terms of the
// steps before it (docs/checker.md).
#pragma once

#include <string>

#include "bmc/terms.h"
#include "model/leaves.h"

namespace sgxref::proofs {

// A record of `shape`'s form whose every leaf is a fresh variable named `prefix` and its
// path ("s3.epcm[2].valid"), each Int as wide as the same leaf of `shape`.
template <class T>
T fresh_state(const S& d, const T& shape, const std::string& prefix) {
  T s = shape;
  auto f = [&](const std::string& path, auto& leaf) {
    if constexpr (kIsBool<decltype(leaf)>) {
      leaf = d.bool_var(path);
    } else {
      leaf = d.int_var(path, leaf.width());
    }
  };
  test::zip_leaves(prefix, f, s);
  return s;
}

// Leaf by leaf, `a` equals `b`; Ints are compared at the wider of their two widths, so a
// value of `b` that `a`'s width cannot hold makes it false (exceeds_widths finds those).
template <class T>
z3::expr equals(const S& d, const T& a, const T& b) {
  z3::expr_vector all(*d.ctx);
  auto f = [&](const auto& x, const auto& y) { all.push_back((x == y).e); };
  test::zip_values(f, a, b);
  return z3::mk_and(all);
}

// Some Int leaf of `s` is beyond what the same leaf of `shape` can hold.
template <class T>
z3::expr exceeds_widths(const S& d, const T& shape, const T& s) {
  z3::expr_vector over(*d.ctx);
  auto f = [&](const auto& declared, const auto& value) {
    if constexpr (!kIsBool<decltype(declared)>) {
      const unsigned bits = declared.width();
      if (value.width() > bits) over.push_back((value > int64_t((uint64_t(1) << bits) - 1)).e);
    }
  };
  test::zip_values(f, shape, s);
  return z3::mk_or(over);
}

}  // namespace sgxref::proofs
