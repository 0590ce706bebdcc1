// File: the symbolic value domain over Z3: Bool is a Boolean term, Int an unsigned
// bit-vector term of the domain's width. Both wrap z3::expr so the model's code cannot
// mix them up, and so < and <= mean unsigned comparison (z3's own operator< is signed).
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <utility>

namespace sgxref::model {

namespace sym {

struct Bool {
  explicit Bool(z3::expr x) : e(std::move(x)) {}
  z3::expr e;
};

struct Int {
  explicit Int(z3::expr x) : e(std::move(x)) {}
  z3::expr e;
  // A literal of this term's width.
  z3::expr lit(int64_t v) const { return e.ctx().bv_val(uint64_t(v), e.get_sort().bv_size()); }
};

inline Bool operator!(const Bool& a) { return Bool(!a.e); }
inline Bool operator&&(const Bool& a, const Bool& b) { return Bool(a.e && b.e); }
inline Bool operator||(const Bool& a, const Bool& b) { return Bool(a.e || b.e); }
inline Bool operator==(const Bool& a, const Bool& b) { return Bool(a.e == b.e); }
inline Bool operator!=(const Bool& a, const Bool& b) { return Bool(a.e != b.e); }

inline Bool operator==(const Int& a, const Int& b) { return Bool(a.e == b.e); }
inline Bool operator!=(const Int& a, const Int& b) { return Bool(a.e != b.e); }
inline Bool operator<(const Int& a, const Int& b) { return Bool(z3::ult(a.e, b.e)); }
inline Bool operator<=(const Int& a, const Int& b) { return Bool(z3::ule(a.e, b.e)); }
inline Bool operator>(const Int& a, const Int& b) { return Bool(z3::ult(b.e, a.e)); }
inline Bool operator>=(const Int& a, const Int& b) { return Bool(z3::ule(b.e, a.e)); }
inline Int operator+(const Int& a, const Int& b) { return Int(a.e + b.e); }
inline Int operator-(const Int& a, const Int& b) { return Int(a.e - b.e); }

inline Bool operator==(const Int& a, int64_t b) { return Bool(a.e == a.lit(b)); }
inline Bool operator!=(const Int& a, int64_t b) { return Bool(a.e != a.lit(b)); }
inline Bool operator<(const Int& a, int64_t b) { return Bool(z3::ult(a.e, a.lit(b))); }
inline Bool operator<=(const Int& a, int64_t b) { return Bool(z3::ule(a.e, a.lit(b))); }
inline Bool operator>(const Int& a, int64_t b) { return Bool(z3::ult(a.lit(b), a.e)); }
inline Bool operator>=(const Int& a, int64_t b) { return Bool(z3::ule(a.lit(b), a.e)); }
inline Int operator+(const Int& a, int64_t b) { return Int(a.e + a.lit(b)); }
inline Int operator-(const Int& a, int64_t b) { return Int(a.e - a.lit(b)); }

inline Bool ite(const Bool& c, const Bool& a, const Bool& b) {
  return Bool(z3::ite(c.e, a.e, b.e));
}
inline Int ite(const Bool& c, const Int& a, const Int& b) { return Int(z3::ite(c.e, a.e, b.e)); }

}  // namespace sym

struct Symbolic {
  using Bool = sym::Bool;
  using Int = sym::Int;
  static constexpr bool kSymbolic = true;

  z3::context* ctx;
  unsigned bits = 16;

  Bool lit(bool b) const { return Bool(ctx->bool_val(b)); }
  Int num(int64_t v) const { return Int(ctx->bv_val(uint64_t(v), bits)); }
  int64_t max() const { return (int64_t(1) << bits) - 1; }

  // Free variables, for building states and operands a solver may choose.
  Bool bool_var(const std::string& name) const { return Bool(ctx->bool_const(name.c_str())); }
  Int int_var(const std::string& name) const { return Int(ctx->bv_const(name.c_str(), bits)); }
};

}  // namespace sgxref::model
