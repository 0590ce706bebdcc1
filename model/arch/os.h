// File: the OS's own moves on the state the architecture reads: setting and clearing a
// page-table entry. Neither touches any TLB: the OS must send IPIs to make CPUs drop
// what they cached (docs/model.md "Accesses").
#pragma once

#include "arch/outcome.h"
#include "arch/state.h"

namespace sgxref::model::arch {

template <class D>
struct PteSetOp {
  typename D::Int page, slot;
  typename D::Bool w, x;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("page", s.page...);
    f("slot", s.slot...);
    f("w", s.w...);
    f("x", s.x...);
  }
};

template <class D>
struct PteClearOp {
  typename D::Int page;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("page", s.page...);
  }
};

template <Domain D>
Outcome<D> pte_set(const D& d, State<D>& s, const PteSetOp<D>& op) {
  put(d, s.pte, op.page, d.lit(true), Pte<D>{d.lit(true), op.slot, op.w, op.x});
  return ok_outcome(d);
}

template <Domain D>
Outcome<D> pte_clear(const D& d, State<D>& s, const PteClearOp<D>& op) {
  put(d, s.pte, op.page, d.lit(true), &Pte<D>::present, d.lit(false));
  return ok_outcome(d);
}

}  // namespace sgxref::model::arch
