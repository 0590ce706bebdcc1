// File: building an enclave: ECREATE, EADD, EEXTEND, EINIT. Measurement is abstract (no
// hashing): EEXTEND only checks, and EINIT takes the signature and token verdicts as
// operands.
#pragma once

#include "arch/common.h"

namespace sgxref::model::arch {

template <class D>
struct EcreateOp {
  typename D::Int cpu, secs;  // RCX
  SecInfo<D> si;
  typename D::Int base, size;  // SECS.BASEADDR and SECS.SIZE, in linear pages
  // The SECS contents pass every check the model does not spell out: XFRM, MISCSELECT,
  // SSAFRAMESIZE, ATTRIBUTES, reserved fields, CONFIGID/CONFIGSVN.
  typename D::Bool contents_ok;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("secs", s.secs...);
    f("si", s.si...);
    f("base", s.base...);
    f("size", s.size...);
    f("contents_ok", s.contents_ok...);
  }
};

// SIZE is a power of two of at least 2 pages, BASEADDR is a multiple of SIZE, and the
// range lies in the model's address space (which stands for "canonical").
template <Domain D>
typename D::Bool elrange_ok(const D& d, const State<D>& s, const typename D::Int& base,
                            const typename D::Int& size) {
  const int64_t space = int64_t(s.sz.pages);
  typename D::Bool ok = d.lit(false);
  for (int64_t n = 2; n <= space; n *= 2)
    for (int64_t b = 0; b + n <= space; b += n) ok = ok || (size == n && base == b);
  return ok;
}

template <Domain D>
Outcome<D> ecreate(const D& d, State<D>& s, const EcreateOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.gp_if(op.si.reserved || op.si.type != pt::kSecs);
  c.gp_if(held_shared(s, op.secs));
  c.pf_if(at(d, s.epcm, op.secs, &Epcm<D>::valid), op.secs, kEnclsEpcmPfec);
  c.gp_if(!op.contents_ok);
  c.gp_if(!elrange_ok(d, s, op.base, op.size));

  const typename D::Bool go = c.ok();
  Epcm<D> e = free_entry(d);
  e.valid = d.lit(true);
  e.type = d.num(pt::kSecs);
  put(d, s.epcm, op.secs, go, e);
  PageData<D> p = blank_page(d, s.sz);
  p.eid = s.next_eid;
  p.base = op.base;
  p.size = op.size;
  put(d, s.data, op.secs, go, p);
  s.next_eid = ite(go, inc_sat(s.next_eid, d.max()), s.next_eid);
  return deliver(d, s, op.cpu, c.outcome());
}

template <class D>
struct EaddOp {
  typename D::Int cpu, slot, secs;  // RCX, PAGEINFO.SECS
  typename D::Int page;             // PAGEINFO.LINADDR
  SecInfo<D> si;
  typename D::Int nssa, ossa;  // the source page's TCS fields (CSSA is forced to 0)

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("slot", s.slot...);
    f("secs", s.secs...);
    f("page", s.page...);
    f("si", s.si...);
    f("nssa", s.nssa...);
    f("ossa", s.ossa...);
  }
};

template <Domain D>
Outcome<D> eadd(const D& d, State<D>& s, const EaddOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  const typename D::Bool tcs = op.si.type == pt::kTcs;
  c.gp_if(op.si.reserved || !(op.si.type == pt::kReg || tcs));
  c.gp_if(held_shared(s, op.slot));
  c.pf_if(at(d, s.epcm, op.slot, &Epcm<D>::valid), op.slot, kEnclsEpcmPfec);
  // The target is held exclusively and the SECS shared: one page cannot be both.
  c.gp_if(op.slot == op.secs);
  const Epcm<D> secs = at(d, s.epcm, op.secs);
  c.pf_if(!secs.valid || secs.type != pt::kSecs, op.secs, kEnclsEpcmPfec);
  c.gp_if(!tcs && op.si.w && !op.si.r);
  c.gp_if(!in_elrange(d, s, op.secs, op.page));
  c.gp_if(at(d, s.data, op.secs, &PageData<D>::init));

  const typename D::Bool go = c.ok();
  Epcm<D> e = free_entry(d);
  e.valid = d.lit(true);
  e.type = op.si.type;
  // A TCS gets no access rights.
  e.r = !tcs && op.si.r;
  e.w = !tcs && op.si.w;
  e.x = !tcs && op.si.x;
  e.secs = op.secs;
  e.page = op.page;
  put(d, s.epcm, op.slot, go, e);
  PageData<D> p = blank_page(d, s.sz);
  p.nssa = op.nssa;
  p.ossa = op.ossa;
  put(d, s.data, op.slot, go, p);
  return deliver(d, s, op.cpu, c.outcome());
}

template <class D>
struct EextendOp {
  typename D::Int cpu, secs, slot;  // RBX, RCX

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("secs", s.secs...);
    f("slot", s.slot...);
  }
};

// Only the checks: the measurement itself is not modelled.
template <Domain D>
Outcome<D> eextend(const D& d, State<D>& s, const EextendOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  // The SDM prints "does resolve"; it means "does not".
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  const Epcm<D> e = at(d, s.epcm, op.slot);
  c.pf_if(!e.valid, op.slot, kEnclsEpcmPfec);
  c.pf_if(!(e.type == pt::kReg || e.type == pt::kTcs), op.slot, kEnclsEpcmPfec);
  c.gp_if(e.secs != op.secs);
  c.gp_if(at(d, s.data, op.secs, &PageData<D>::init));
  return deliver(d, s, op.cpu, c.outcome());
}

template <class D>
struct EinitOp {
  typename D::Int cpu, secs;  // RCX
  // What EINIT's crypto and launch checks answer, as SGX codes (0 = passed):
  // sig_code for the checks before the SECS is examined (SGX_INVALID_SIG_STRUCT,
  // SGX_UNMASKED_EVENT, SGX_INVALID_SIGNATURE), launch_code for those after
  // (SGX_INVALID_MEASUREMENT, SGX_INVALID_ATTRIBUTE, SGX_INVALID_EINITTOKEN, ...).
  typename D::Int sig_code, launch_code;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("secs", s.secs...);
    f("sig_code", s.sig_code...);
    f("launch_code", s.launch_code...);
  }
};

template <Domain D>
Outcome<D> einit(const D& d, State<D>& s, const EinitOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.code_if(op.sig_code != 0, op.sig_code);
  const Epcm<D> e = at(d, s.epcm, op.secs);
  c.pf_if(!e.valid || e.type != pt::kSecs, op.secs, kEnclsEpcmPfec);
  c.gp_if(at(d, s.data, op.secs, &PageData<D>::init));
  c.code_if(op.launch_code != 0, op.launch_code);

  put(d, s.data, op.secs, c.ok(), &PageData<D>::init, d.lit(true));
  return deliver(d, s, op.cpu, c.outcome());
}

}  // namespace sgxref::model::arch
