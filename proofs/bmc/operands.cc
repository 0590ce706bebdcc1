#include "bmc/operands.h"

#include <utility>

namespace sgxref::proofs {

SymOperands::SymOperands(const S& d, const arch::Sizes& sz, std::string prefix)
    : d_(d), sz_(sz), w_(arch::widths(sz)), prefix_(std::move(prefix)), ranges_(*d.ctx) {}

std::string SymOperands::name(const char* role) const {
  return prefix_ + ".op" + std::to_string(vars_.size()) + "." + role;
}

S::Bool SymOperands::flag() {
  S::Bool v = d_.bool_var(name("flag"));
  vars_.push_back(v.e);
  return v;
}

S::Int SymOperands::any(const char* role, unsigned bits) {
  S::Int v = d_.int_var(name(role), bits);
  vars_.push_back(v.e);
  return v;
}

S::Int SymOperands::in_range(const char* role, unsigned bits, size_t count) {
  S::Int v = any(role, bits);
  ranges_.push_back((v < int64_t(count)).e);
  return v;
}

}  // namespace sgxref::proofs
