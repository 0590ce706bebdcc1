// Walking the leaves (Bool and Int fields) of model records, several records in step:
// used to name symbolic variables, to load and compare concrete values, and to print.
#pragma once

#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "arch/arch.h"
#include "domain/domain.h"

namespace sgxref::model::test {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// Calls f(path, leaf...) for each leaf of the records x..., which have the same shape
// (possibly in different domains), in declaration order.
template <class F, class First, class... Rest>
void zip_leaves(const std::string& path, F& f, First& x, Rest&... rest) {
  using T = std::remove_const_t<First>;
  if constexpr (IsVector<T>::value) {
    for (size_t k = 0; k < x.size(); ++k)
      zip_leaves(path + "[" + std::to_string(k) + "]", f, x[k], rest[k]...);
  } else if constexpr (Record<T>) {
    T::fields([&](const char* name, auto&... y) { zip_leaves(path + "." + name, f, y...); }, x,
              rest...);
  } else {
    f(path, x, rest...);
  }
}

// The same walk without paths, for when names are not needed.
template <class F, class First, class... Rest>
void zip_values(F& f, First& x, Rest&... rest) {
  using T = std::remove_const_t<First>;
  if constexpr (IsVector<T>::value) {
    for (size_t k = 0; k < x.size(); ++k) zip_values(f, x[k], rest[k]...);
  } else if constexpr (Record<T>) {
    T::fields([&](const char*, auto&... y) { zip_values(f, y...); }, x, rest...);
  } else {
    f(x, rest...);
  }
}

// Concrete records are equal when every leaf is.
template <Record T>
bool same(const T& a, const T& b) {
  bool eq = true;
  auto f = [&](const auto& x, const auto& y) { eq = eq && x == y; };
  zip_values(f, a, b);
  return eq;
}

// The first leaf where two concrete records differ, or "" if none.
template <Record T>
std::string first_difference(const T& a, const T& b) {
  std::string where;
  auto f = [&](const std::string& path, const auto& x, const auto& y) {
    if (where.empty() && x != y)
      where = path + ": " + std::to_string(x) + " vs " + std::to_string(y);
  };
  zip_leaves("", f, a, b);
  return where;
}

// Prints a concrete record as a braced initializer: {1, true, {false, 2}}.
template <class T>
void print_braced(std::ostream& os, const T& x) {
  if constexpr (Record<T>) {
    os << "{";
    bool first = true;
    T::fields(
        [&](const char*, const auto& y) {
          os << (first ? "" : ", ");
          first = false;
          print_braced(os, y);
        },
        x);
    os << "}";
  } else if constexpr (std::is_same_v<T, bool>) {
    os << (x ? "true" : "false");
  } else {
    os << x;
  }
}

}  // namespace sgxref::model::test

namespace sgxref::model::arch {

inline bool operator==(const Outcome<Concrete>& a, const Outcome<Concrete>& b) {
  return test::same(a, b);
}

inline std::ostream& operator<<(std::ostream& os, const Outcome<Concrete>& o) {
  switch (o.kind) {
    case kind::kOk:
      return o.value == 0 ? os << "ok" : os << "ok, value " << o.value;
    case kind::kCode:
      return os << "code " << o.code;
    case kind::kGp:
      return os << "#GP";
    case kind::kUd:
      return os << "#UD";
    case kind::kPf:
      return os << "#PF(" << o.addr << ", 0x" << std::hex << o.pfec << std::dec << ")";
  }
  return os << "kind " << o.kind;
}

}  // namespace sgxref::model::arch
