// File: paging EPC pages out and in, and freeing them: EPA, EBLOCK, EWB, ELDB/ELDU,
// EREMOVE. Crypto is outside the model, but what its verdict depends on is inside it: a
// blob records what EWB's MAC binds (version, enclave id, linear address, SECINFO flags,
// contents), and ELDU's MAC matches exactly when what it is handed and what it rebuilds
// equal all of them.
#pragma once

#include "arch/common.h"
#include "arch/flight.h"
#include "arch/fresh.h"
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
Outcome<D> epa_begin(const D& d, State<D>& s, const PageOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.gp_if(exclusive_refused(d, s, op.cpu, op.slot));
  c.pf_if(at(d, s.epcm, op.slot, &Epcm<D>::valid), op.slot, kEnclsEpcmPfec);
  take_off(d, s, op.cpu, c.ok(), flight_of(d, s, flight::kEpa, op.slot));
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> epa_end(const D& d, State<D>& s, const PageOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEpa);
  Epcm<D> e = free_entry(d, s.sz);
  e.valid = d.lit(true);
  e.type = d.num(pt::kVa);
  put(d, s.epcm, l.f.slot, l.here, e);
  put(d, s.data, l.f.slot, l.here, blank_page(d, s.sz));
  land(d, s, op.cpu, l.here);
  return ok_outcome(d);
}

template <Domain D>
Outcome<D> epa(const D& d, State<D>& s, const PageOp<D>& op) {
  return whole(d, s, op, epa_begin<D>, epa_end<D>);
}

// EBLOCK takes its Shared lock first and checks the page after it, in one step with the
// commit: another EBLOCK may hold the page Shared too, and exactly one of them must see
// it unblocked.
template <Domain D>
Outcome<D> eblock_begin(const D& d, State<D>& s, const PageOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.code_if(shared_refused(d, s, op.cpu, op.slot), sgx::kEpcPageConflict);
  take_off(d, s, op.cpu, c.ok(), flight_of(d, s, flight::kEblock, op.slot));
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eblock_end(const D& d, State<D>& s, const PageOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEblock);
  const Epcm<D> e = at(d, s.epcm, l.f.slot);
  Checks<D> c(d);
  c.code_if(!e.valid, sgx::kPgInvld);
  c.code_if(!is_child_type(e.type) && e.type == pt::kSecs, sgx::kPgIsSecs);
  c.code_if(!is_child_type(e.type), sgx::kNotBlockable);
  // Already blocked: reported, and nothing is written (the stamp stays as it was).
  c.code_if(e.blocked, sgx::kBlkState);

  Epcm<D> n = e;
  n.blocked = d.lit(true);
  stamp(d, n);
  put(d, s.epcm, l.f.slot, l.here && c.ok(), n);
  land(d, s, op.cpu, l.here);
  return c.outcome();
}

template <Domain D>
Outcome<D> eblock(const D& d, State<D>& s, const PageOp<D>& op) {
  return whole(d, s, op, eblock_begin<D>, eblock_end<D>);
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

// Every check comes before the lock is released to the second phase, and the version is
// taken with them; the second phase seals and commits.
template <Domain D>
Outcome<D> ewb_begin(const D& d, State<D>& s, const EwbOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.va), op.va, kNonEpcPfec);
  c.gp_if(op.slot == op.va);
  c.gp_if(exclusive_refused(d, s, op.cpu, op.slot));
  // The VA page Shared, and no other leaf using this very slot.
  c.gp_if(shared_refused(d, s, op.cpu, op.va) ||
          va_slot_refused(d, s, op.cpu, op.va, op.va_index));
  const Epcm<D> e = at(d, s.epcm, op.slot);
  c.pf_if(!e.valid, op.slot, kEnclsEpcmPfec);
  const Epcm<D> va = at(d, s.epcm, op.va);
  c.pf_if(!va.valid || va.type != pt::kVa, op.va, kEnclsEpcmPfec);
  const typename D::Bool child = is_child_type(e.type);
  // "If the tracking resource is in use": an ETRACK of the page's enclave in flight.
  c.gp_if(child && tracking_refused(d, s, op.cpu, e.secs));
  c.code_if(child && !e.blocked, sgx::kPageNotBlocked);
  c.code_if(child && !tracking_correct(d, s, e), sgx::kNotTracked);
  c.code_if(e.type == pt::kSecs && has_child(d, s, op.slot), sgx::kChildPresent);
  Flight<D> f = flight_of(d, s, flight::kEwb, op.slot);
  f.va = op.va;
  f.va_index = op.va_index;
  f.version = fresh_version(d, s);
  take_off(d, s, op.cpu, c.ok(), f);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> ewb_end(const D& d, State<D>& s, const EwbOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEwb);
  const Epcm<D> e = at(d, s.epcm, l.f.slot);
  const typename D::Bool child = is_child_type(e.type);
  std::vector<typename D::Int> versions = at(d, s.data, l.f.va, &PageData<D>::va);
  Checks<D> c(d);
  // An occupied slot is reported, but the eviction still completes and overwrites it.
  c.code_if(at(d, versions, l.f.va_index) != 0, sgx::kVaSlotOccupied);
  // The MAC binds the version, the EID (0 for a SECS or VA page), LINADDR, SECINFO and
  // the contents.
  const typename D::Int eid = ite(child, at(d, s.data, e.secs, &PageData<D>::eid), d.num(0));
  const Blob<D> b{d.lit(true), l.f.version, eid, e.page, e.type, e.r, e.w, e.x,
                  e.pending, e.modified, e.pr, at(d, s.data, l.f.slot)};
  put(d, s.blob, op.blob, l.here, b);
  put(d, versions, l.f.va_index, l.here, l.f.version);
  put(d, s.data, l.f.va, l.here, &PageData<D>::va, versions);
  put(d, s.epcm, l.f.slot, l.here, &Epcm<D>::valid, d.lit(false));
  land(d, s, op.cpu, l.here);
  return c.outcome();
}

template <Domain D>
Outcome<D> ewb(const D& d, State<D>& s, const EwbOp<D>& op) {
  return whole(d, s, op, ewb_begin<D>, ewb_end<D>);
}

template <class D>
struct EldOp {
  typename D::Int cpu, slot, va, va_index, blob;
  typename D::Int page, secs;  // PAGEINFO.LINADDR and PAGEINFO.SECS
  SecInfo<D> si;               // PCMD.SECINFO as handed back (the blob's, unless altered)
  typename D::Bool intact;     // the sealed page is as EWB wrote it

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("slot", s.slot...);
    f("va", s.va...);
    f("va_index", s.va_index...);
    f("blob", s.blob...);
    f("page", s.page...);
    f("secs", s.secs...);
    f("si", s.si...);
    f("intact", s.intact...);
  }
};

// ELDB and ELDU: the operand checks and locks, then the MAC and the commit. PCMD's
// SECINFO.PT says whether the page has a parent SECS.
template <Domain D>
Outcome<D> eld_begin(const D& d, State<D>& s, const EldOp<D>& op, int64_t leaf) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.va), op.va, kNonEpcPfec);
  c.gp_if(exclusive_refused(d, s, op.cpu, op.slot));
  // The target is held exclusively and the VA page shared: one page cannot be both.
  c.gp_if(op.slot == op.va || shared_refused(d, s, op.cpu, op.va) ||
          va_slot_refused(d, s, op.cpu, op.va, op.va_index));
  c.pf_if(at(d, s.epcm, op.slot, &Epcm<D>::valid), op.slot, kEnclsEpcmPfec);
  const Epcm<D> va = at(d, s.epcm, op.va);
  c.pf_if(!va.valid || va.type != pt::kVa, op.va, kEnclsEpcmPfec);
  const typename D::Bool child = is_child_type(op.si.type);
  c.pf_if(child && !in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.gp_if(child && (op.secs == op.slot || shared_refused(d, s, op.cpu, op.secs)));
  const Epcm<D> secs = at(d, s.epcm, op.secs);
  c.pf_if(child && (!secs.valid || secs.type != pt::kSecs), op.secs, kEnclsEpcmPfec);
  // A SECS or VA page belongs to no enclave: PAGEINFO.SECS must be 0.
  c.gp_if(!child && op.secs != null_slot(s));
  Flight<D> f = flight_of(d, s, leaf, op.slot);
  f.secs = ite(child, op.secs, d.num(null_slot(s)));
  f.va = op.va;
  f.va_index = op.va_index;
  take_off(d, s, op.cpu, c.ok(), f);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eld_end(const D& d, State<D>& s, const EldOp<D>& op, int64_t leaf) {
  const Landing<D> l = landing(d, s, op.cpu, leaf);
  const Blob<D> b = at(d, s.blob, op.blob);
  const SecInfo<D>& si = op.si;
  const typename D::Bool child = is_child_type(si.type);
  std::vector<typename D::Int> versions = at(d, s.data, l.f.va, &PageData<D>::va);
  const typename D::Int eid = ite(child, at(d, s.data, l.f.secs, &PageData<D>::eid), d.num(0));
  const typename D::Bool mac_ok =
      b.valid && op.intact && !si.reserved && b.version == at(d, versions, l.f.va_index) && b.eid == eid &&
      b.page == op.page && b.type == si.type && b.r == si.r && b.w == si.w && b.x == si.x &&
      b.pending == si.pending && b.modified == si.modified && b.pr == si.pr;
  Checks<D> c(d);
  c.code_if(!mac_ok, sgx::kMacCompareFail);

  const typename D::Bool go = l.here && c.ok();
  put(d, versions, l.f.va_index, go, d.num(0));
  put(d, s.data, l.f.va, go, &PageData<D>::va, versions);
  Epcm<D> e = free_entry(d, s.sz);
  e.valid = d.lit(true);
  e.type = si.type;
  e.r = si.r;
  e.w = si.w;
  e.x = si.x;
  // ELDB restores a blocked enclave page (a SECS or VA page is never blocked).
  e.blocked = leaf == flight::kEldb ? child : d.lit(false);
  e.pending = si.pending;
  e.modified = si.modified;
  e.pr = si.pr;
  e.secs = ite(child, l.f.secs, d.num(0));
  e.page = op.page;
  put(d, s.epcm, l.f.slot, go, e);
  put(d, s.data, l.f.slot, go, b.data);
  land(d, s, op.cpu, l.here);
  return c.outcome();
}

template <Domain D>
Outcome<D> eldb_begin(const D& d, State<D>& s, const EldOp<D>& op) {
  return eld_begin(d, s, op, flight::kEldb);
}
template <Domain D>
Outcome<D> eldb_end(const D& d, State<D>& s, const EldOp<D>& op) {
  return eld_end(d, s, op, flight::kEldb);
}
template <Domain D>
Outcome<D> eldu_begin(const D& d, State<D>& s, const EldOp<D>& op) {
  return eld_begin(d, s, op, flight::kEldu);
}
template <Domain D>
Outcome<D> eldu_end(const D& d, State<D>& s, const EldOp<D>& op) {
  return eld_end(d, s, op, flight::kEldu);
}

template <Domain D>
Outcome<D> eldb(const D& d, State<D>& s, const EldOp<D>& op) {
  return whole(d, s, op, eldb_begin<D>, eldb_end<D>);
}

template <Domain D>
Outcome<D> eldu(const D& d, State<D>& s, const EldOp<D>& op) {
  return whole(d, s, op, eldu_begin<D>, eldu_end<D>);
}

// EREMOVE takes its lock, then decides.
template <Domain D>
Outcome<D> eremove_begin(const D& d, State<D>& s, const PageOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.gp_if(exclusive_refused(d, s, op.cpu, op.slot));
  take_off(d, s, op.cpu, c.ok(), flight_of(d, s, flight::kEremove, op.slot));
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eremove_end(const D& d, State<D>& s, const PageOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEremove);
  const Epcm<D> e = at(d, s.epcm, l.f.slot);
  Checks<D> c(d);
  // A free page needs nothing; a VA page, and a TRIM page the enclave has accepted, are
  // freed at once (the SDM's two contradicting TRIM branches, read as Linux relies on).
  const typename D::Bool at_once =
      !e.valid || e.type == pt::kVa || (e.type == pt::kTrim && !e.modified);
  c.code_if(!at_once && e.type == pt::kSecs && has_child(d, s, l.f.slot), sgx::kChildPresent);
  c.code_if(!at_once && e.type != pt::kSecs && anyone_inside(d, s, e.secs), sgx::kEnclaveAct);

  put(d, s.epcm, l.f.slot, l.here && c.ok(), &Epcm<D>::valid, d.lit(false));
  land(d, s, op.cpu, l.here);
  return c.outcome();
}

template <Domain D>
Outcome<D> eremove(const D& d, State<D>& s, const PageOp<D>& op) {
  return whole(d, s, op, eremove_begin<D>, eremove_end<D>);
}

}  // namespace sgxref::model::arch
