// File: the symbolic value domain over Z3: Bool is a Boolean term, Int an unsigned
// bit-vector term of its own width. Both wrap z3::expr so the model's code cannot mix
// them up, and so < and <= mean unsigned comparison (z3's own operator< is signed).
//
// Widths follow the values, never the other way: operands of different widths are
// zero-extended to the wider one, a constant widens what it meets to fit itself, and a
// sum gets one more bit than its wider operand. So no operation wraps, and a term always
// denotes the number the concrete domain computes; a state field stays as narrow as its
// values let it be (state.h's Widths), which is what keeps the checker's queries small.
#pragma once

#include <z3++.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

namespace sgxref::model {

namespace sym {

// Bits needed to hold v >= 0 (at least one).
inline unsigned bits_for(uint64_t v) {
  unsigned n = 1;
  while (n < 64 && (v >> n) != 0) ++n;
  return n;
}

inline z3::expr widen(const z3::expr& x, unsigned w) {
  const unsigned have = x.get_sort().bv_size();
  return have >= w ? x : z3::zext(x, w - have);
}

struct Bool {
  explicit Bool(z3::expr x) : e(std::move(x)) {}
  z3::expr e;
};

struct Int {
  explicit Int(z3::expr x) : e(std::move(x)) {}
  z3::expr e;
  unsigned width() const { return e.get_sort().bv_size(); }
};

// The pair (a, b) at one width, `extra` bits wider than the wider of the two.
inline std::pair<z3::expr, z3::expr> same_width(const Int& a, const Int& b, unsigned extra = 0) {
  const unsigned w = std::max(a.width(), b.width()) + extra;
  return {widen(a.e, w), widen(b.e, w)};
}

// An operand and a nonnegative constant at one width.
inline std::pair<z3::expr, z3::expr> same_width(const Int& a, int64_t b, unsigned extra = 0) {
  const unsigned w = std::max(a.width(), bits_for(uint64_t(b))) + extra;
  return {widen(a.e, w), a.e.ctx().bv_val(uint64_t(b), w)};
}

// The connectives and ite fold literal operands and equal branches as they build: the
// checker's flows run leaves under conditions that are often plain true or false, and
// a step copies whole states, so most choices have two equal branches. The terms mean
// the same either way; they are just far smaller.
inline Bool operator!(const Bool& a) {
  if (a.e.is_true() || a.e.is_false()) return Bool(a.e.ctx().bool_val(a.e.is_false()));
  return Bool(!a.e);
}
inline Bool operator&&(const Bool& a, const Bool& b) {
  if (a.e.is_false() || b.e.is_true()) return a;
  if (b.e.is_false() || a.e.is_true()) return b;
  return Bool(a.e && b.e);
}
inline Bool operator||(const Bool& a, const Bool& b) {
  if (a.e.is_true() || b.e.is_false()) return a;
  if (b.e.is_true() || a.e.is_false()) return b;
  return Bool(a.e || b.e);
}
inline Bool operator==(const Bool& a, const Bool& b) { return Bool(a.e == b.e); }
inline Bool operator!=(const Bool& a, const Bool& b) { return Bool(a.e != b.e); }

inline Bool operator==(const Int& a, const Int& b) {
  auto [x, y] = same_width(a, b);
  return Bool(x == y);
}
inline Bool operator!=(const Int& a, const Int& b) { return !(a == b); }
inline Bool operator<(const Int& a, const Int& b) {
  auto [x, y] = same_width(a, b);
  return Bool(z3::ult(x, y));
}
inline Bool operator<=(const Int& a, const Int& b) {
  auto [x, y] = same_width(a, b);
  return Bool(z3::ule(x, y));
}
inline Bool operator>(const Int& a, const Int& b) { return b < a; }
inline Bool operator>=(const Int& a, const Int& b) { return b <= a; }
inline Int operator+(const Int& a, const Int& b) {
  auto [x, y] = same_width(a, b, 1);
  return Int(x + y);
}
// The model subtracts only where the result is not negative.
inline Int operator-(const Int& a, const Int& b) {
  auto [x, y] = same_width(a, b);
  return Int(x - y);
}

// Against a constant. The model's constants are never negative.
inline Bool operator==(const Int& a, int64_t b) {
  auto [x, y] = same_width(a, b);
  return Bool(x == y);
}
inline Bool operator!=(const Int& a, int64_t b) { return !(a == b); }
inline Bool operator<(const Int& a, int64_t b) {
  auto [x, y] = same_width(a, b);
  return Bool(z3::ult(x, y));
}
inline Bool operator<=(const Int& a, int64_t b) {
  auto [x, y] = same_width(a, b);
  return Bool(z3::ule(x, y));
}
inline Bool operator>(const Int& a, int64_t b) {
  auto [x, y] = same_width(a, b);
  return Bool(z3::ult(y, x));
}
inline Bool operator>=(const Int& a, int64_t b) {
  auto [x, y] = same_width(a, b);
  return Bool(z3::ule(y, x));
}
inline Int operator+(const Int& a, int64_t b) {
  auto [x, y] = same_width(a, b, 1);
  return Int(x + y);
}
inline Int operator-(const Int& a, int64_t b) {
  auto [x, y] = same_width(a, b);
  return Int(x - y);
}

inline Bool ite(const Bool& c, const Bool& a, const Bool& b) {
  if (c.e.is_true() || z3::eq(a.e, b.e)) return a;
  if (c.e.is_false()) return b;
  return Bool(z3::ite(c.e, a.e, b.e));
}
inline Int ite(const Bool& c, const Int& a, const Int& b) {
  auto [x, y] = same_width(a, b);
  if (c.e.is_true() || z3::eq(x, y)) return Int(x);
  if (c.e.is_false()) return Int(y);
  return Int(z3::ite(c.e, x, y));
}

}  // namespace sym

struct Symbolic {
  using Bool = sym::Bool;
  using Int = sym::Int;
  static constexpr bool kSymbolic = true;

  z3::context* ctx;

  Bool lit(bool b) const { return Bool(ctx->bool_val(b)); }
  // A constant, as narrow as its value allows.
  Int num(int64_t v) const { return num(v, sym::bits_for(uint64_t(v))); }
  // A value of a field `bits` wide (wider if the value needs it).
  Int num(int64_t v, unsigned bits) const {
    return Int(ctx->bv_val(uint64_t(v), std::max(bits, sym::bits_for(uint64_t(v)))));
  }

  // Free variables, for states and operands a solver may choose.
  Bool bool_var(const std::string& name) const { return Bool(ctx->bool_const(name.c_str())); }
  Int int_var(const std::string& name, unsigned bits) const {
    return Int(ctx->bv_const(name.c_str(), bits));
  }
};

}  // namespace sgxref::model
