// File: where a move's operands come from. SymOperands makes each operand a fresh
// variable of its field's width (model/arch/state.h Widths), named for the step, the move
// and its position, and collects the range constraints the model puts on cpu, space,
// va_index, blob and word; every other operand may take any value of its width.
// ModelOperands hands out the values a solver's model gives the same variables, in the
// same order, so one generic `draw` (move.h) builds either the symbolic operands or the
// concrete Op of a counterexample.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bmc/terms.h"

namespace sgxref::proofs {

class SymOperands {
 public:
  using D = S;

  SymOperands(const S& d, const arch::Sizes& sz, std::string prefix);

  S::Int cpu() { return in_range("cpu", w_.cpu, sz_.cpus); }
  S::Int space() { return in_range("space", w_.space, sz_.spaces); }
  S::Int va_index() { return in_range("va_index", w_.va_index, sz_.va_slots); }
  S::Int blob() { return in_range("blob", w_.blob, sz_.blobs); }
  S::Int word() { return in_range("word", w_.word_index, sz_.words); }
  S::Int slot() { return any("slot", w_.slot); }
  S::Int page() { return any("page", w_.page); }
  S::Int value(unsigned bits) { return any("value", bits); }
  S::Bool flag();
  // An operand the move fixes: no variable.
  S::Int fixed(int64_t v, unsigned bits) const { return d_.num(v, bits); }

  // The variables made so far, in order, and the conjunction of their ranges.
  const std::vector<z3::expr>& vars() const { return vars_; }
  z3::expr ranges() const { return z3::mk_and(ranges_); }

 private:
  S::Int any(const char* role, unsigned bits);
  S::Int in_range(const char* role, unsigned bits, size_t count);
  std::string name(const char* role) const;

  const S& d_;
  arch::Sizes sz_;
  arch::Widths w_;
  std::string prefix_;
  std::vector<z3::expr> vars_;
  z3::expr_vector ranges_;
};

class ModelOperands {
 public:
  using D = C;

  ModelOperands(const z3::model& m, const std::vector<z3::expr>& vars) : m_(m), vars_(vars) {}

  int64_t cpu() { return next(); }
  int64_t space() { return next(); }
  int64_t va_index() { return next(); }
  int64_t blob() { return next(); }
  int64_t word() { return next(); }
  int64_t slot() { return next(); }
  int64_t page() { return next(); }
  int64_t value(unsigned) { return next(); }
  bool flag() { return m_.eval(vars_.at(next_++), true).is_true(); }
  int64_t fixed(int64_t v, unsigned) const { return v; }

 private:
  int64_t next() { return int64_t(m_.eval(vars_.at(next_++), true).get_numeral_uint64()); }

  const z3::model& m_;
  const std::vector<z3::expr>& vars_;
  size_t next_ = 0;
};

// A SECINFO operand with every field free.
template <class G>
arch::SecInfo<typename G::D> any_secinfo(G& g) {
  return {g.flag(), g.value(arch::kTypeBits), g.flag(), g.flag(), g.flag(), g.flag(), g.flag(),
          g.flag()};
}

}  // namespace sgxref::proofs
