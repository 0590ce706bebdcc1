// File: SGX2 leaves the enclave runs on its own pages: EACCEPT, EACCEPTCOPY, EMODPE.
// Their operands are linear pages inside the running enclave's ELRANGE; the SECINFO
// operand lives in an enclave page too (its page is `secinfo`, its contents `si`).
#pragma once

#include "arch/common.h"
#include "arch/flight.h"
#include "arch/tracking.h"

namespace sgxref::model::arch {

template <class D>
struct AcceptOp {
  typename D::Int cpu, secinfo, page;  // RBX's page, RCX
  SecInfo<D> si;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("secinfo", s.secinfo...);
    f("page", s.page...);
    f("si", s.si...);
  }
};

// EACCEPT: the operand checks, the target's Shared and SGX2 locks; then, in one step
// with the commit, the verdicts that read the tracking state (which moves with every
// ETRACK, entry and exit).
template <Domain D>
Outcome<D> eaccept_begin(const D& d, State<D>& s, const AcceptOp<D>& op) {
  const Running<D> me = running(d, s, op.cpu);
  const SecInfo<D>& si = op.si;
  Checks<D> c(d);
  c.gp_if(!me.mode);
  c.gp_if(!in_elrange(d, s, me.secs, op.secinfo));
  const typename D::Int si_slot = resolve(d, s, c, op.cpu, op.secinfo, false);
  c.pf_if(!is_data_page(at(d, s.epcm, si_slot), me.secs, op.secinfo, false), op.secinfo,
          epcm_pfec(false));
  c.gp_if(si.reserved);
  c.gp_if(!in_elrange(d, s, me.secs, op.page));
  const typename D::Int slot = resolve(d, s, c, op.cpu, op.page, false);
  // The combinations EACCEPT can confirm: an added or restricted REG page, or a page
  // changed to TCS or TRIM.
  const typename D::Bool legal =
      (si.type == pt::kReg && (si.pr || si.pending) && !si.modified) ||
      ((si.type == pt::kTcs || si.type == pt::kTrim) && !si.pr && !si.pending && si.modified);
  c.gp_if(!legal);
  const Epcm<D> e = at(d, s.epcm, slot);
  c.pf_if(!e.valid || e.blocked || !is_child_type(e.type) || e.secs != me.secs, op.page,
          epcm_pfec(false));
  c.gp_if(shared_refused(d, s, op.cpu, slot) || sgx2_refused(d, s, op.cpu, slot));
  take_off(d, s, op.cpu, c.ok(), flight_of(d, s, flight::kEaccept, slot));
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eaccept_end(const D& d, State<D>& s, const AcceptOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEaccept);
  const Running<D> me = running(d, s, op.cpu);
  const SecInfo<D>& si = op.si;
  const Epcm<D> e = at(d, s.epcm, l.f.slot);
  Checks<D> c(d);
  c.pf_if(!e.valid || e.secs != me.secs, op.page, epcm_pfec(false));
  // PR is not compared.
  c.code_if(e.page != op.page || e.pending != si.pending || e.modified != si.modified ||
                e.r != si.r || e.w != si.w || e.x != si.x || e.type != si.type,
            sgx::kPageAttributesMismatch);
  c.code_if(!tracking_correct(d, s, e), sgx::kNotTracked);
  // A new TCS must be a fresh one: inactive, with a free SSA frame and its reserved
  // bytes clear.
  const PageData<D> t = at(d, s.data, l.f.slot);
  c.gp_if(si.type == pt::kTcs && (t.cssa >= t.nssa || t.active || !tcs_reserved_clear(d, t)));

  Epcm<D> n = e;
  n.pending = d.lit(false);
  n.modified = d.lit(false);
  n.pr = d.lit(false);
  put(d, s.epcm, l.f.slot, l.here && c.ok(), n);
  land(d, s, op.cpu, l.here);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eaccept(const D& d, State<D>& s, const AcceptOp<D>& op) {
  return whole(d, s, op, eaccept_begin<D>, eaccept_end<D>);
}

template <class D>
struct AcceptCopyOp {
  typename D::Int cpu, secinfo, page, source;  // RBX's page, RCX, RDX
  SecInfo<D> si;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("secinfo", s.secinfo...);
    f("page", s.page...);
    f("source", s.source...);
    f("si", s.si...);
  }
};

// EACCEPTCOPY: the operand checks and the destination's SGX2 lock; then the
// destination is checked again, with the rights EAUG gave and its address, and the
// source page is copied into it.
template <Domain D>
Outcome<D> eacceptcopy_begin(const D& d, State<D>& s, const AcceptCopyOp<D>& op) {
  const Running<D> me = running(d, s, op.cpu);
  const SecInfo<D>& si = op.si;
  Checks<D> c(d);
  c.gp_if(!me.mode);
  c.gp_if(!in_elrange(d, s, me.secs, op.secinfo) || !in_elrange(d, s, me.secs, op.page) ||
          !in_elrange(d, s, me.secs, op.source));
  const typename D::Int si_slot = resolve(d, s, c, op.cpu, op.secinfo, false);
  const typename D::Int slot = resolve(d, s, c, op.cpu, op.page, true);
  const typename D::Int src_slot = resolve(d, s, c, op.cpu, op.source, false);
  c.pf_if(!is_data_page(at(d, s.epcm, si_slot), me.secs, op.secinfo, false), op.secinfo,
          epcm_pfec(false));
  c.gp_if(si.reserved || (!si.r && si.w) || si.type != pt::kReg);
  c.pf_if(!is_data_page(at(d, s.epcm, src_slot), me.secs, op.source, false), op.source,
          epcm_pfec(false));
  // Destination problems are a mismatch, not a fault. (The SDM prints RDX for RCX in
  // one clause; the destination is meant.)
  const Epcm<D> e = at(d, s.epcm, slot);
  c.code_if(
      !e.valid || !e.pending || e.modified || e.blocked || e.type != pt::kReg || e.secs != me.secs,
      sgx::kPageAttributesMismatch);
  c.gp_if(sgx2_refused(d, s, op.cpu, slot));
  Flight<D> f = flight_of(d, s, flight::kEacceptcopy, slot);
  f.src = src_slot;
  take_off(d, s, op.cpu, c.ok(), f);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eacceptcopy_end(const D& d, State<D>& s, const AcceptCopyOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEacceptcopy);
  const Running<D> me = running(d, s, op.cpu);
  const SecInfo<D>& si = op.si;
  const Epcm<D> e = at(d, s.epcm, l.f.slot);
  Checks<D> c(d);
  c.code_if(!(e.valid && e.pending && !e.modified && e.r && e.w && !e.x && e.type == pt::kReg &&
              e.secs == me.secs && e.page == op.page),
            sgx::kPageAttributesMismatch);

  const typename D::Bool go = l.here && c.ok();
  Epcm<D> n = e;
  n.r = si.r;
  n.w = si.w;
  n.x = si.x;
  n.pending = d.lit(false);
  put(d, s.epcm, l.f.slot, go, n);
  put(d, s.data, l.f.slot, go, at(d, s.data, l.f.src));
  land(d, s, op.cpu, l.here);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eacceptcopy(const D& d, State<D>& s, const AcceptCopyOp<D>& op) {
  return whole(d, s, op, eacceptcopy_begin<D>, eacceptcopy_end<D>);
}

// EMODPE: the operand checks and the target's SGX2 lock; then the target is checked
// again (BLOCKED left out: EBLOCK runs concurrently with EMODPE) and extended.
template <Domain D>
Outcome<D> emodpe_begin(const D& d, State<D>& s, const AcceptOp<D>& op) {
  const Running<D> me = running(d, s, op.cpu);
  const SecInfo<D>& si = op.si;
  Checks<D> c(d);
  c.gp_if(!me.mode);
  c.gp_if(!in_elrange(d, s, me.secs, op.secinfo) || !in_elrange(d, s, me.secs, op.page));
  const typename D::Int si_slot = resolve(d, s, c, op.cpu, op.secinfo, false);
  const typename D::Int slot = resolve(d, s, c, op.cpu, op.page, false);
  c.pf_if(!is_data_page(at(d, s.epcm, si_slot), me.secs, op.secinfo, false), op.secinfo,
          epcm_pfec(false));
  c.gp_if(si.reserved);
  const Epcm<D> e = at(d, s.epcm, slot);
  c.pf_if(
      !e.valid || e.pending || e.modified || e.blocked || e.type != pt::kReg || e.secs != me.secs,
      op.page, epcm_pfec(false));
  c.gp_if(sgx2_refused(d, s, op.cpu, slot));
  take_off(d, s, op.cpu, c.ok(), flight_of(d, s, flight::kEmodpe, slot));
  return deliver(d, s, op.cpu, c.outcome());
}

// The SECINFO rights are a mask: rights can only be added.
template <Domain D>
Outcome<D> emodpe_end(const D& d, State<D>& s, const AcceptOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEmodpe);
  const Running<D> me = running(d, s, op.cpu);
  const SecInfo<D>& si = op.si;
  const Epcm<D> e = at(d, s.epcm, l.f.slot);
  Checks<D> c(d);
  c.pf_if(!e.valid || e.pending || e.modified || e.type != pt::kReg || e.secs != me.secs ||
              e.page != op.page,
          op.page, epcm_pfec(false));
  c.gp_if(!e.r && !si.r && si.w);

  Epcm<D> n = e;
  n.r = e.r || si.r;
  n.w = e.w || si.w;
  n.x = e.x || si.x;
  put(d, s.epcm, l.f.slot, l.here && c.ok(), n);
  land(d, s, op.cpu, l.here);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> emodpe(const D& d, State<D>& s, const AcceptOp<D>& op) {
  return whole(d, s, op, emodpe_begin<D>, emodpe_end<D>);
}

}  // namespace sgxref::model::arch
