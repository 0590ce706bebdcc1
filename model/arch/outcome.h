// File: what a transition answers, and the check chain every leaf is written with.
#pragma once

#include <cstdint>
#include <type_traits>

#include "arch/types.h"
#include "domain/domain.h"

namespace sgxref::model::arch {

namespace kind {
inline constexpr int64_t kOk = 0;
inline constexpr int64_t kCode = 1;  // an SGX code in RAX (ZF or CF set)
inline constexpr int64_t kGp = 2;
inline constexpr int64_t kPf = 3;
inline constexpr int64_t kUd = 4;
}  // namespace kind

// A leaf's answer. `code` is the SGX code for kCode; `pfec` and `addr` describe a #PF.
// `addr` is the faulting operand in the model's units: the EPC slot for an ENCLS
// operand (a value >= Sizes::slots is an address outside the EPC), the linear page for
// ENCLU operands and enclave accesses. `value` is what a load or fetch read (a word of
// contents, or kNoData) and whose report key EREPORT used (a SECS slot); 0 otherwise.
template <class D>
struct Outcome {
  typename D::Int kind, code, pfec, addr, value;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("kind", s.kind...);
    f("code", s.code...);
    f("pfec", s.pfec...);
    f("addr", s.addr...);
    f("value", s.value...);
  }
};

template <Domain D>
Outcome<D> ok_outcome(const D& d) {
  return {d.num(kind::kOk), d.num(0), d.num(0), d.num(0), d.num(0)};
}

template <Domain D>
typename D::Bool faulted(const Outcome<D>& o) {
  return o.kind == kind::kGp || o.kind == kind::kPf || o.kind == kind::kUd;
}

// The SDM's order of checks: each check names its failure; the first one that fails
// decides the outcome and the later ones are ignored. A leaf commits when ok().
template <Domain D>
class Checks {
 public:
  using Bool = typename D::Bool;
  using Int = typename D::Int;

  explicit Checks(const D& d) : d_(d), failed_(d.lit(false)), out_(ok_outcome(d)) {}

  void ud_if(const Bool& c) { fail(c, fault(kind::kUd, d_.num(0), 0)); }
  void gp_if(const Bool& c) { fail(c, fault(kind::kGp, d_.num(0), 0)); }
  void pf_if(const Bool& c, const Int& addr, int64_t error_code) {
    fail(c, fault(kind::kPf, addr, error_code));
  }
  // `code` is an SGX code: a constant, or an Int operand.
  template <class C>
  void code_if(const Bool& c, const C& code) {
    fail(c, {d_.num(kind::kCode), value(code), d_.num(0), d_.num(0), d_.num(0)});
  }
  // The outcome's value when no check fails.
  void answer(const Int& v) { out_.value = ite(failed_, out_.value, v); }

  // No check has failed so far.
  Bool ok() const { return !failed_; }
  const Outcome<D>& outcome() const { return out_; }

 private:
  template <class C>
  Int value(const C& v) const {
    if constexpr (std::is_same_v<C, Int>) {
      return v;
    } else {
      return d_.num(v);
    }
  }

  Outcome<D> fault(int64_t k, const Int& addr, int64_t error_code) const {
    return {d_.num(k), d_.num(0), d_.num(error_code), addr, d_.num(0)};
  }

  void fail(const Bool& c, const Outcome<D>& o) {
    out_ = ite(!failed_ && c, o, out_);
    failed_ = failed_ || c;
  }

  const D& d_;
  Bool failed_;
  Outcome<D> out_;
};

}  // namespace sgxref::model::arch
