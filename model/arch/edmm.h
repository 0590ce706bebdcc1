// File: SGX2 page changes the OS makes: EAUG, EMODPR, EMODT. The enclave confirms them
// with the leaves in accept.h.
#pragma once

#include "arch/common.h"
#include "arch/tracking.h"

namespace sgxref::model::arch {

template <class D>
struct EaugOp {
  typename D::Int cpu, slot, secs;  // RCX, PAGEINFO.SECS
  typename D::Int page;             // PAGEINFO.LINADDR

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("slot", s.slot...);
    f("secs", s.secs...);
    f("page", s.page...);
  }
};

// EAUG (PAGEINFO.SRCPGE and SECINFO are assumed 0).
template <Domain D>
Outcome<D> eaug(const D& d, State<D>& s, const EaugOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.gp_if(held_shared(s, op.slot));
  c.pf_if(at(d, s.epcm, op.slot, &Epcm<D>::valid), op.slot, kEnclsEpcmPfec);
  // The target is held exclusively and the SECS shared: one page cannot be both.
  c.gp_if(op.slot == op.secs);
  const Epcm<D> secs = at(d, s.epcm, op.secs);
  c.pf_if(!secs.valid || secs.type != pt::kSecs, op.secs, kEnclsEpcmPfec);
  c.gp_if(!at(d, s.data, op.secs, &PageData<D>::init));
  c.gp_if(!in_elrange(d, s, op.secs, op.page));

  const typename D::Bool go = c.ok();
  Epcm<D> e = free_entry(d);
  e.valid = d.lit(true);
  e.type = d.num(pt::kReg);
  e.r = d.lit(true);
  e.w = d.lit(true);
  e.pending = d.lit(true);
  e.secs = op.secs;
  e.page = op.page;
  put(d, s.epcm, op.slot, go, e);
  put(d, s.data, op.slot, go, blank_page(d, s.sz));
  return deliver(d, s, op.cpu, c.outcome());
}

// EMODPR and EMODT: RBX (the SECINFO) and RCX.
template <class D>
struct ModifyOp {
  typename D::Int cpu, slot;
  SecInfo<D> si;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("slot", s.slot...);
    f("si", s.si...);
  }
};

template <Domain D>
Outcome<D> emodpr(const D& d, State<D>& s, const ModifyOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.gp_if(op.si.reserved || (!op.si.r && op.si.w));
  const Epcm<D> e = at(d, s.epcm, op.slot);
  c.pf_if(!e.valid, op.slot, kEnclsEpcmPfec);
  c.code_if(e.pending || e.modified, sgx::kPageNotModifiable);
  c.pf_if(e.type != pt::kReg, op.slot, kEnclsEpcmPfec);
  c.gp_if(!at(d, s.data, e.secs, &PageData<D>::init));

  // The SECINFO rights are a mask: rights can only be taken away.
  Epcm<D> n = e;
  n.pr = d.lit(true);
  n.r = e.r && op.si.r;
  n.w = e.w && op.si.w;
  n.x = e.x && op.si.x;
  stamp(d, n);
  put(d, s.epcm, op.slot, c.ok(), n);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> emodt(const D& d, State<D>& s, const ModifyOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.gp_if(op.si.reserved || !(op.si.type == pt::kTcs || op.si.type == pt::kTrim));
  // EMODT holds the page Exclusive: an SGX1 leaf holding it is a code, not #GP.
  c.code_if(held_shared(s, op.slot), sgx::kEpcPageConflict);
  const Epcm<D> e = at(d, s.epcm, op.slot);
  c.pf_if(!e.valid, op.slot, kEnclsEpcmPfec);
  // REG may become TCS or TRIM; TCS may only become TRIM.
  c.pf_if(!(e.type == pt::kReg || (e.type == pt::kTcs && op.si.type == pt::kTrim)), op.slot,
          kEnclsEpcmPfec);
  c.code_if(e.pending || e.modified, sgx::kPageNotModifiable);
  c.gp_if(!at(d, s.data, e.secs, &PageData<D>::init));

  Epcm<D> n = e;
  n.pr = d.lit(false);
  n.modified = d.lit(true);
  n.r = d.lit(false);
  n.w = d.lit(false);
  n.x = d.lit(false);
  n.type = op.si.type;
  stamp(d, n);
  put(d, s.epcm, op.slot, c.ok(), n);
  return deliver(d, s, op.cpu, c.outcome());
}

}  // namespace sgxref::model::arch
