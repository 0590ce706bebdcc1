// File: building an enclave: ECREATE, EADD, EEXTEND, EINIT. Measurement is abstract (no
// hashing): a SECS keeps how many events were measured and the page of the last one, and
// EINIT compares that with the measurement its SIGSTRUCT claims. The signature and launch
// checks' verdicts are operands: what they depend on (a key, a token) is not enclave state.
#pragma once

#include "arch/common.h"
#include "arch/flight.h"
#include "arch/fresh.h"

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

// One more measured event, of page `page`, in the SECS in slot `secs`.
template <Domain D>
void measure(const D& d, State<D>& s, const typename D::Int& secs, const typename D::Bool& go,
             const typename D::Int& page) {
  const typename D::Int n = at(d, s.data, secs, &PageData<D>::mr_count);
  put(d, s.data, secs, go, &PageData<D>::mr_count, inc_sat(n, kMaxCount));
  put(d, s.data, secs, go, &PageData<D>::mr_page, page);
}

template <Domain D>
Outcome<D> ecreate_begin(const D& d, State<D>& s, const EcreateOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.gp_if(op.si.reserved || op.si.type != pt::kSecs);
  c.gp_if(exclusive_refused(d, s, op.cpu, op.secs));
  c.pf_if(at(d, s.epcm, op.secs, &Epcm<D>::valid), op.secs, kEnclsEpcmPfec);
  take_off(d, s, op.cpu, c.ok(), flight_of(d, s, flight::kEcreate, op.secs));
  return deliver(d, s, op.cpu, c.outcome());
}

// The SECS contents are checked after the lock; the new enclave's id is taken with the
// commit.
template <Domain D>
Outcome<D> ecreate_end(const D& d, State<D>& s, const EcreateOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEcreate);
  Checks<D> c(d);
  c.gp_if(!op.contents_ok);
  c.gp_if(!elrange_ok(d, s, op.base, op.size));

  const typename D::Bool go = l.here && c.ok();
  Epcm<D> e = free_entry(d, s.sz);
  e.valid = d.lit(true);
  e.type = d.num(pt::kSecs);
  PageData<D> p = blank_page(d, s.sz);
  p.eid = fresh_eid(d, s);
  p.base = op.base;
  p.size = op.size;
  p.mr_count = d.num(1);
  put(d, s.epcm, l.f.slot, go, e);
  put(d, s.data, l.f.slot, go, p);
  land(d, s, op.cpu, l.here);
  return c.outcome();
}

template <Domain D>
Outcome<D> ecreate(const D& d, State<D>& s, const EcreateOp<D>& op) {
  return whole(d, s, op, ecreate_begin<D>, ecreate_end<D>);
}

template <class D>
struct EaddOp {
  typename D::Int cpu, slot, secs;  // RCX, PAGEINFO.SECS
  typename D::Int page;             // PAGEINFO.LINADDR
  SecInfo<D> si;
  // The source page: its TCS fields (CSSA is forced to 0) and the value of every word.
  typename D::Int nssa, ossa, content;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("slot", s.slot...);
    f("secs", s.secs...);
    f("page", s.page...);
    f("si", s.si...);
    f("nssa", s.nssa...);
    f("ossa", s.ossa...);
    f("content", s.content...);
  }
};

template <Domain D>
Outcome<D> eadd_begin(const D& d, State<D>& s, const EaddOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  const typename D::Bool tcs = op.si.type == pt::kTcs;
  c.gp_if(op.si.reserved || !(op.si.type == pt::kReg || tcs));
  c.gp_if(exclusive_refused(d, s, op.cpu, op.slot));
  c.pf_if(at(d, s.epcm, op.slot, &Epcm<D>::valid), op.slot, kEnclsEpcmPfec);
  // The target is held exclusively and the SECS shared: one page cannot be both.
  c.gp_if(op.slot == op.secs || shared_refused(d, s, op.cpu, op.secs));
  const Epcm<D> secs = at(d, s.epcm, op.secs);
  c.pf_if(!secs.valid || secs.type != pt::kSecs, op.secs, kEnclsEpcmPfec);
  // A TCS's reserved bytes (where a REG page has its words) must be zero; a REG page
  // cannot be writable without being readable.
  c.gp_if(ite(tcs, op.content != 0, op.si.w && !op.si.r));
  c.gp_if(!in_elrange(d, s, op.secs, op.page));
  c.gp_if(measurement_refused(d, s, op.cpu, op.secs));
  c.gp_if(at(d, s.data, op.secs, &PageData<D>::init));
  Flight<D> f = flight_of(d, s, flight::kEadd, op.slot);
  f.secs = op.secs;
  take_off(d, s, op.cpu, c.ok(), f);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eadd_end(const D& d, State<D>& s, const EaddOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEadd);
  const typename D::Bool tcs = op.si.type == pt::kTcs;
  Epcm<D> e = free_entry(d, s.sz);
  e.valid = d.lit(true);
  e.type = op.si.type;
  // A TCS gets no access rights.
  e.r = !tcs && op.si.r;
  e.w = !tcs && op.si.w;
  e.x = !tcs && op.si.x;
  e.secs = l.f.secs;
  e.page = op.page;
  put(d, s.epcm, l.f.slot, l.here, e);
  PageData<D> p = blank_page(d, s.sz);
  p.nssa = op.nssa;
  p.ossa = op.ossa;
  for (typename D::Int& w : p.words) w = op.content;
  put(d, s.data, l.f.slot, l.here, p);
  measure(d, s, l.f.secs, l.here, op.page);
  land(d, s, op.cpu, l.here);
  return ok_outcome(d);
}

template <Domain D>
Outcome<D> eadd(const D& d, State<D>& s, const EaddOp<D>& op) {
  return whole(d, s, op, eadd_begin<D>, eadd_end<D>);
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

template <Domain D>
Outcome<D> eextend_begin(const D& d, State<D>& s, const EextendOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  // The SDM prints "does resolve"; it means "does not".
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.pf_if(!in_epc(s, op.slot), op.slot, kNonEpcPfec);
  c.gp_if(shared_refused(d, s, op.cpu, op.slot));
  const Epcm<D> e = at(d, s.epcm, op.slot);
  c.pf_if(!e.valid, op.slot, kEnclsEpcmPfec);
  c.pf_if(!(e.type == pt::kReg || e.type == pt::kTcs), op.slot, kEnclsEpcmPfec);
  c.gp_if(e.secs != op.secs);
  c.gp_if(measurement_refused(d, s, op.cpu, op.secs));
  c.gp_if(at(d, s.data, op.secs, &PageData<D>::init));
  Flight<D> f = flight_of(d, s, flight::kEextend, op.slot);
  f.secs = op.secs;
  take_off(d, s, op.cpu, c.ok(), f);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eextend_end(const D& d, State<D>& s, const EextendOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEextend);
  measure(d, s, l.f.secs, l.here, at(d, s.epcm, l.f.slot, &Epcm<D>::page));
  land(d, s, op.cpu, l.here);
  return ok_outcome(d);
}

template <Domain D>
Outcome<D> eextend(const D& d, State<D>& s, const EextendOp<D>& op) {
  return whole(d, s, op, eextend_begin<D>, eextend_end<D>);
}

template <class D>
struct EinitOp {
  typename D::Int cpu, secs;  // RCX
  // What the signature checks before the SECS is examined answer, as an SGX code (0 =
  // passed): SGX_INVALID_SIG_STRUCT, SGX_UNMASKED_EVENT, SGX_INVALID_SIGNATURE.
  typename D::Int sig_code;
  // The measurement SIGSTRUCT.ENCLAVEHASH stands for: the SECS's measured events and the
  // page of the last one, as it would hold them after the build the signer saw.
  typename D::Int mr_count, mr_page;
  // What the launch checks after the measurement answer (0 = passed):
  // SGX_INVALID_ATTRIBUTE, SGX_INVALID_EINITTOKEN.
  typename D::Int launch_code;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("secs", s.secs...);
    f("sig_code", s.sig_code...);
    f("mr_count", s.mr_count...);
    f("mr_page", s.mr_page...);
    f("launch_code", s.launch_code...);
  }
};

template <Domain D>
Outcome<D> einit_begin(const D& d, State<D>& s, const EinitOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.code_if(op.sig_code != 0, op.sig_code);
  c.gp_if(shared_refused(d, s, op.cpu, op.secs));
  const Epcm<D> e = at(d, s.epcm, op.secs);
  c.pf_if(!e.valid || e.type != pt::kSecs, op.secs, kEnclsEpcmPfec);
  c.gp_if(measurement_refused(d, s, op.cpu, op.secs) ||
          at(d, s.data, op.secs, &PageData<D>::init));
  Flight<D> f = flight_of(d, s, flight::kEinit, op.secs);
  f.secs = op.secs;
  take_off(d, s, op.cpu, c.ok(), f);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> einit_end(const D& d, State<D>& s, const EinitOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEinit);
  const PageData<D> p = at(d, s.data, l.f.secs);
  Checks<D> c(d);
  c.code_if(op.mr_count != p.mr_count || op.mr_page != p.mr_page, sgx::kInvalidMeasurement);
  c.code_if(op.launch_code != 0, op.launch_code);
  put(d, s.data, l.f.secs, l.here && c.ok(), &PageData<D>::init, d.lit(true));
  land(d, s, op.cpu, l.here);
  return c.outcome();
}

template <Domain D>
Outcome<D> einit(const D& d, State<D>& s, const EinitOp<D>& op) {
  return whole(d, s, op, einit_begin<D>, einit_end<D>);
}

}  // namespace sgxref::model::arch
