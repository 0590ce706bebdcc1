// File: paging EPC pages out and in, and freeing them: EPA, EBLOCK, EWB, ELDB/ELDU,
// EREMOVE. Crypto is outside the model: a blob records what EWB bound into its MAC, and
// ELDU's MAC matches exactly when it rebuilds the same header over an unaltered blob.
#pragma once

#include "arch/common.h"
#include "arch/tracking.h"

namespace sgxref::model::arch {

// The operand of EPA, EBLOCK and EREMOVE: the executing CPU and RCX.
template <class D>
struct PageOp {
  typename D::Int cpu, slot;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("slot", s.slot...);
  }
};

// EPA (RBX = PT_VA is assumed).
template <Domain D>
Outcome<D> epa(const D& d, State<D>& s, const PageOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.gp_if(held_shared(s, op.slot));
  c.pf_if(at(d, s.epcm, op.slot, &Epcm<D>::valid), op.slot, kEnclsEpcmPfec);

  const typename D::Bool go = c.ok();
  Epcm<D> e = free_entry(d);
  e.valid = d.lit(true);
  e.type = d.num(pt::kVa);
  put(d, s.epcm, op.slot, go, e);
  put(d, s.data, op.slot, go, blank_page(d, s.sz));
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eblock(const D& d, State<D>& s, const PageOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  const Epcm<D> e = at(d, s.epcm, op.slot);
  c.code_if(!e.valid, sgx::kPgInvld);
  c.code_if(!is_child_type(e.type) && e.type == pt::kSecs, sgx::kPgIsSecs);
  c.code_if(!is_child_type(e.type), sgx::kNotBlockable);
  // Already blocked: reported, and nothing is written (the stamp stays as it was).
  c.code_if(e.blocked, sgx::kBlkState);

  Epcm<D> n = e;
  n.blocked = d.lit(true);
  stamp(d, n);
  put(d, s.epcm, op.slot, c.ok(), n);
  return deliver(d, s, op.cpu, c.outcome());
}

// EWB and ELDB/ELDU: RCX, the VA slot RDX (a VA page and a slot in it), and where the
// blob goes to or comes from in untrusted memory (PAGEINFO.SRCPGE and PCMD).
template <class D>
struct EwbOp {
  typename D::Int cpu, slot, va, va_index, blob;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("slot", s.slot...);
    f("va", s.va...);
    f("va_index", s.va_index...);
    f("blob", s.blob...);
  }
};

template <Domain D>
Outcome<D> ewb(const D& d, State<D>& s, const EwbOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.va), op.va, kNonEpcPfec);
  c.gp_if(op.slot == op.va);
  c.gp_if(held_shared(s, op.slot));
  const Epcm<D> e = at(d, s.epcm, op.slot);
  c.pf_if(!e.valid, op.slot, kEnclsEpcmPfec);
  const Epcm<D> va = at(d, s.epcm, op.va);
  c.pf_if(!va.valid || va.type != pt::kVa, op.va, kEnclsEpcmPfec);
  const typename D::Bool child = is_child_type(e.type);
  c.code_if(child && !e.blocked, sgx::kPageNotBlocked);
  c.code_if(child && !tracking_correct(d, s, e), sgx::kNotTracked);
  c.code_if(e.type == pt::kSecs && has_child(d, s, op.slot), sgx::kChildPresent);

  const typename D::Bool go = c.ok();
  std::vector<typename D::Int> versions = at(d, s.data, op.va, &PageData<D>::va);
  // An occupied slot is reported, but the eviction still completes and overwrites it.
  c.code_if(at(d, versions, op.va_index) != 0, sgx::kVaSlotOccupied);
  const typename D::Int eid = ite(child, at(d, s.data, e.secs, &PageData<D>::eid), d.num(0));
  // The MAC binds the version, the EID (0 for a SECS or VA page), LINADDR and SECINFO.
  const Blob<D> b{d.lit(true), s.next_version, eid, e.page, e.type, e.r, e.w, e.x,
                  e.pending, e.modified, e.pr, at(d, s.data, op.slot)};
  put(d, s.blob, op.blob, go, b);
  put(d, versions, op.va_index, go, s.next_version);
  put(d, s.data, op.va, go, &PageData<D>::va, versions);
  s.next_version = ite(go, inc_sat(s.next_version, d.max()), s.next_version);
  put(d, s.epcm, op.slot, go, &Epcm<D>::valid, d.lit(false));
  return deliver(d, s, op.cpu, c.outcome());
}

template <class D>
struct EldOp {
  typename D::Int cpu, slot, va, va_index, blob;
  typename D::Int page, secs;  // PAGEINFO.LINADDR and PAGEINFO.SECS
  typename D::Bool intact;     // the blob and its PCMD are as EWB wrote them

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("slot", s.slot...);
    f("va", s.va...);
    f("va_index", s.va_index...);
    f("blob", s.blob...);
    f("page", s.page...);
    f("secs", s.secs...);
    f("intact", s.intact...);
  }
};

// ELDB (blocked = true) and ELDU (blocked = false).
template <Domain D>
Outcome<D> eld(const D& d, State<D>& s, const EldOp<D>& op, bool blocked) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.va), op.va, kNonEpcPfec);
  // The target is held exclusively and the VA page shared: one page cannot be both.
  c.gp_if(op.slot == op.va || held_shared(s, op.slot));
  c.pf_if(at(d, s.epcm, op.slot, &Epcm<D>::valid), op.slot, kEnclsEpcmPfec);
  const Epcm<D> va = at(d, s.epcm, op.va);
  c.pf_if(!va.valid || va.type != pt::kVa, op.va, kEnclsEpcmPfec);
  const Blob<D> b = at(d, s.blob, op.blob);
  // PCMD.SECINFO.PT says whether the page has a parent SECS.
  const typename D::Bool child = is_child_type(b.type);
  c.pf_if(child && !in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.gp_if(child && op.secs == op.slot);
  const Epcm<D> secs = at(d, s.epcm, op.secs);
  c.pf_if(child && (!secs.valid || secs.type != pt::kSecs), op.secs, kEnclsEpcmPfec);
  // A SECS or VA page belongs to no enclave: PAGEINFO.SECS must be 0.
  c.gp_if(!child && op.secs != null_slot(s));
  std::vector<typename D::Int> versions = at(d, s.data, op.va, &PageData<D>::va);
  const typename D::Int eid = ite(child, at(d, s.data, op.secs, &PageData<D>::eid), d.num(0));
  const typename D::Bool mac_ok = b.valid && op.intact &&
                                  b.version == at(d, versions, op.va_index) && b.page == op.page &&
                                  b.eid == eid;
  c.code_if(!mac_ok, sgx::kMacCompareFail);

  const typename D::Bool go = c.ok();
  put(d, versions, op.va_index, go, d.num(0));
  put(d, s.data, op.va, go, &PageData<D>::va, versions);
  Epcm<D> e = free_entry(d);
  e.valid = d.lit(true);
  e.type = b.type;
  e.r = b.r;
  e.w = b.w;
  e.x = b.x;
  // ELDB restores a blocked enclave page (a SECS or VA page is never blocked).
  e.blocked = blocked ? child : d.lit(false);
  e.pending = b.pending;
  e.modified = b.modified;
  e.pr = b.pr;
  e.secs = ite(child, op.secs, d.num(0));
  e.page = op.page;
  put(d, s.epcm, op.slot, go, e);
  put(d, s.data, op.slot, go, b.data);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eldb(const D& d, State<D>& s, const EldOp<D>& op) {
  return eld(d, s, op, true);
}

template <Domain D>
Outcome<D> eldu(const D& d, State<D>& s, const EldOp<D>& op) {
  return eld(d, s, op, false);
}

template <Domain D>
Outcome<D> eremove(const D& d, State<D>& s, const PageOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.gp_if(held_shared(s, op.slot));
  const Epcm<D> e = at(d, s.epcm, op.slot);
  // A free page needs nothing; a VA page, and a TRIM page the enclave has accepted, are
  // freed at once (the SDM's two contradicting TRIM branches, read as Linux relies on).
  const typename D::Bool at_once =
      !e.valid || e.type == pt::kVa || (e.type == pt::kTrim && !e.modified);
  c.code_if(!at_once && e.type == pt::kSecs && has_child(d, s, op.slot), sgx::kChildPresent);
  c.code_if(!at_once && e.type != pt::kSecs && anyone_inside(d, s, e.secs), sgx::kEnclaveAct);

  put(d, s.epcm, op.slot, c.ok(), &Epcm<D>::valid, d.lit(false));
  return deliver(d, s, op.cpu, c.outcome());
}

}  // namespace sgxref::model::arch
