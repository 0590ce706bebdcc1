// File: SGX2 page changes the OS makes: EAUG, EMODPR, EMODT, each in two phases (every
// check, then the commit). The enclave confirms them with the leaves in accept.h.
#pragma once

#include "arch/common.h"
#include "arch/flight.h"
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

// EAUG (PAGEINFO.SRCPGE and SECINFO are assumed 0): every check, then the commit.
template <Domain D>
Outcome<D> eaug_begin(const D& d, State<D>& s, const EaugOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.gp_if(exclusive_refused(d, s, op.cpu, op.slot));
  c.pf_if(at(d, s.epcm, op.slot, &Epcm<D>::valid), op.slot, kEnclsEpcmPfec);
  // The target is held exclusively and the SECS shared: one page cannot be both.
  c.gp_if(op.slot == op.secs || shared_refused(d, s, op.cpu, op.secs));
  const Epcm<D> secs = at(d, s.epcm, op.secs);
  c.pf_if(!secs.valid || secs.type != pt::kSecs, op.secs, kEnclsEpcmPfec);
  c.gp_if(!at(d, s.data, op.secs, &PageData<D>::init));
  c.gp_if(!in_elrange(d, s, op.secs, op.page));
  Flight<D> f = flight_of(d, s, flight::kEaug, op.slot);
  f.secs = op.secs;
  take_off(d, s, op.cpu, c.ok(), f);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eaug_end(const D& d, State<D>& s, const EaugOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEaug);
  Epcm<D> e = free_entry(d, s.sz);
  e.valid = d.lit(true);
  e.type = d.num(pt::kReg);
  e.r = d.lit(true);
  e.w = d.lit(true);
  e.pending = d.lit(true);
  e.secs = l.f.secs;
  e.page = op.page;
  put(d, s.epcm, l.f.slot, l.here, e);
  put(d, s.data, l.f.slot, l.here, blank_page(d, s.sz));
  land(d, s, op.cpu, l.here);
  return ok_outcome(d);
}

template <Domain D>
Outcome<D> eaug(const D& d, State<D>& s, const EaugOp<D>& op) {
  return whole(d, s, op, eaug_begin<D>, eaug_end<D>);
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

// EMODPR holds the page Shared against SGX1 leaves (#GP when one has it Exclusive) and
// exclusively against the other SGX2 leaves (a code). EMODT holds it both ways, so when
// EMODT is the holder the page is refused as an SGX2 conflict.
template <Domain D>
Outcome<D> emodpr_begin(const D& d, State<D>& s, const ModifyOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.gp_if(op.si.reserved || (!op.si.r && op.si.w));
  const typename D::Bool sgx2_held = sgx2_refused(d, s, op.cpu, op.slot);
  c.gp_if(shared_refused(d, s, op.cpu, op.slot) && !sgx2_held);
  const Epcm<D> e = at(d, s.epcm, op.slot);
  c.pf_if(!e.valid, op.slot, kEnclsEpcmPfec);
  c.code_if(sgx2_held, sgx::kEpcPageConflict);
  c.code_if(e.pending || e.modified, sgx::kPageNotModifiable);
  c.pf_if(e.type != pt::kReg, op.slot, kEnclsEpcmPfec);
  c.gp_if(!at(d, s.data, e.secs, &PageData<D>::init));
  take_off(d, s, op.cpu, c.ok(), flight_of(d, s, flight::kEmodpr, op.slot));
  return deliver(d, s, op.cpu, c.outcome());
}

// The SECINFO rights are a mask: rights can only be taken away.
template <Domain D>
Outcome<D> emodpr_end(const D& d, State<D>& s, const ModifyOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEmodpr);
  const Epcm<D> e = at(d, s.epcm, l.f.slot);
  Epcm<D> n = e;
  n.pr = d.lit(true);
  n.r = e.r && op.si.r;
  n.w = e.w && op.si.w;
  n.x = e.x && op.si.x;
  stamp(d, n);
  put(d, s.epcm, l.f.slot, l.here, n);
  land(d, s, op.cpu, l.here);
  return ok_outcome(d);
}

template <Domain D>
Outcome<D> emodpr(const D& d, State<D>& s, const ModifyOp<D>& op) {
  return whole(d, s, op, emodpr_begin<D>, emodpr_end<D>);
}

// EMODT holds the page Exclusive: an SGX1 leaf holding it is a code, not #GP.
template <Domain D>
Outcome<D> emodt_begin(const D& d, State<D>& s, const ModifyOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.gp_if(op.si.reserved || !(op.si.type == pt::kTcs || op.si.type == pt::kTrim));
  c.code_if(exclusive_refused(d, s, op.cpu, op.slot), sgx::kEpcPageConflict);
  const Epcm<D> e = at(d, s.epcm, op.slot);
  c.pf_if(!e.valid, op.slot, kEnclsEpcmPfec);
  c.code_if(sgx2_refused(d, s, op.cpu, op.slot), sgx::kEpcPageConflict);
  // REG may become TCS or TRIM; TCS may only become TRIM.
  c.pf_if(!(e.type == pt::kReg || (e.type == pt::kTcs && op.si.type == pt::kTrim)), op.slot,
          kEnclsEpcmPfec);
  c.code_if(e.pending || e.modified, sgx::kPageNotModifiable);
  c.gp_if(!at(d, s.data, e.secs, &PageData<D>::init));
  take_off(d, s, op.cpu, c.ok(), flight_of(d, s, flight::kEmodt, op.slot));
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> emodt_end(const D& d, State<D>& s, const ModifyOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEmodt);
  Epcm<D> n = at(d, s.epcm, l.f.slot);
  n.pr = d.lit(false);
  n.modified = d.lit(true);
  n.r = d.lit(false);
  n.w = d.lit(false);
  n.x = d.lit(false);
  n.type = op.si.type;
  stamp(d, n);
  put(d, s.epcm, l.f.slot, l.here, n);
  land(d, s, op.cpu, l.here);
  return ok_outcome(d);
}

template <Domain D>
Outcome<D> emodt(const D& d, State<D>& s, const ModifyOp<D>& op) {
  return whole(d, s, op, emodt_begin<D>, emodt_end<D>);
}

}  // namespace sgxref::model::arch
