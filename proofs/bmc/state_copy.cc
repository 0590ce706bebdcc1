#include "bmc/state_copy.h"

#include "model/leaves.h"

namespace sgxref::proofs {

State<S> fresh_state(const S& d, const State<S>& shape, const std::string& prefix) {
  State<S> s = shape;
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

z3::expr equals(const S& d, const State<S>& a, const State<S>& b) {
  z3::expr_vector all(*d.ctx);
  auto f = [&](const auto& x, const auto& y) { all.push_back((x == y).e); };
  test::zip_values(f, a, b);
  return z3::mk_and(all);
}

z3::expr exceeds_widths(const S& d, const State<S>& shape, const State<S>& s) {
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
