// File: checking that a concrete state keeps every field within the width the model
// declares for it (model/arch/state.h's Widths): the widths initial_state gives each
// field in the symbolic domain.
#pragma once

#include <z3++.h>

#include <string>
#include <type_traits>
#include <vector>

#include "domain/symbolic.h"
#include "model/leaves.h"

namespace sgxref::model::test {

// The declared width of every Int field of a state of sizes `sz`, in zip order.
inline std::vector<unsigned> declared_widths(const arch::Sizes& sz) {
  z3::context ctx;
  const Symbolic d{&ctx};
  const arch::State<Symbolic> shape = arch::initial_state(d, sz);
  std::vector<unsigned> w;
  auto f = [&](const auto& leaf) {
    if constexpr (std::is_same_v<std::decay_t<decltype(leaf)>, Symbolic::Int>) w.push_back(leaf.width());
  };
  zip_values(f, shape);
  return w;
}

// The first field of `s` outside its declared width, as "path = value (bits)", or "".
inline std::string outside_widths(const arch::State<Concrete>& s) {
  static thread_local arch::Sizes cached{};
  static thread_local std::vector<unsigned> widths;
  if (widths.empty() || !(cached == s.sz)) {
    widths = declared_widths(s.sz);
    cached = s.sz;
  }
  std::string where;
  size_t k = 0;
  auto f = [&](const std::string& path, const auto& leaf) {
    if constexpr (std::is_same_v<std::decay_t<decltype(leaf)>, int64_t>) {
      const unsigned bits = widths[k++];
      if (where.empty() && (leaf < 0 || (uint64_t(leaf) >> bits) != 0))
        where = path + " = " + std::to_string(leaf) + " (" + std::to_string(bits) + " bits)";
    }
  };
  zip_leaves("s", f, s);
  return where;
}

}  // namespace sgxref::model::test
