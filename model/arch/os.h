// File: the OS's own moves on the state the architecture reads: setting and clearing a
// page-table entry, and loading CR3. None of them touches a TLB: after a PTE change the
// OS must send IPIs to make CPUs drop what they cached (docs/model.md "Accesses").
#pragma once

#include "arch/common.h"

namespace sgxref::model::arch {

template <class D>
struct PteSetOp {
  typename D::Int space, page, slot;
  typename D::Bool w, x;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("space", s.space...);
    f("page", s.page...);
    f("slot", s.slot...);
    f("w", s.w...);
    f("x", s.x...);
  }
};

template <class D>
struct PteClearOp {
  typename D::Int space, page;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("space", s.space...);
    f("page", s.page...);
  }
};

template <Domain D>
Outcome<D> pte_set(const D& d, State<D>& s, const PteSetOp<D>& op) {
  std::vector<Pte<D>> table = at(d, s.pte, op.space);
  put(d, table, op.page, d.lit(true), Pte<D>{d.lit(true), op.slot, op.w, op.x});
  put(d, s.pte, op.space, d.lit(true), table);
  return ok_outcome(d);
}

template <Domain D>
Outcome<D> pte_clear(const D& d, State<D>& s, const PteClearOp<D>& op) {
  std::vector<Pte<D>> table = at(d, s.pte, op.space);
  put(d, table, op.page, d.lit(true), &Pte<D>::present, d.lit(false));
  put(d, s.pte, op.space, d.lit(true), table);
  return ok_outcome(d);
}

template <class D>
struct Cr3Op {
  typename D::Int cpu, space;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("space", s.space...);
  }
};

// The OS points a CPU at another address space. Only the kernel loads CR3, and it does
// not run on a CPU in enclave mode: there the load is refused (#GP, with no AEX: the
// instruction is not the enclave's). A CPU outside enclave mode caches no enclave
// translation, so nothing needs flushing.
template <Domain D>
Outcome<D> cr3(const D& d, State<D>& s, const Cr3Op<D>& op) {
  Checks<D> c(d);
  c.gp_if(cpu_mode(d, s, op.cpu));
  put(d, s.cpu, op.cpu, c.ok(), &Cpu<D>::space, op.space);
  return c.outcome();
}

}  // namespace sgxref::model::arch
