// File: TLB tracking (docs/model.md "Tracking"): the stamp EBLOCK/EMODPR/EMODT leave on a
// page, the "tracking correct" test EWB and EACCEPT make, and ETRACK.
//
// Epochs are kept relative and bounded: a page's stamp and a CPU's entry epoch are
// stored as ages, the number of ETRACKs of their enclave since, saturating at 2. A CPU
// inside has age 0 or 1 (ETRACK refuses to run while one has age 1), so
// "entry_epoch <= stamp" is "entry_age >= stamp_age" and "stamp < E" is
// "stamp_age >= 1" exactly.
#pragma once

#include "arch/common.h"
#include "arch/flight.h"

namespace sgxref::model::arch {

inline constexpr int64_t kMaxAge = 2;

template <Domain D>
void stamp(const D& d, Epcm<D>& e) {
  e.stamped = d.lit(true);
  e.stamp_age = d.num(0);
}

// Never stamped, or an ETRACK happened after the stamp and every CPU inside the enclave
// entered after it.
template <Domain D>
typename D::Bool tracking_correct(const D& d, const State<D>& s, const Epcm<D>& e) {
  const typename D::Bool entered_before = any_index(d, s.cpu.size(), [&](int64_t i) {
    const Cpu<D>& c = s.cpu[size_t(i)];
    return inside(c, e.secs) && c.entry_age >= e.stamp_age;
  });
  return !e.stamped || (e.stamp_age >= 1 && !entered_before);
}

template <class D>
struct EtrackOp {
  typename D::Int cpu, secs;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("secs", s.secs...);
  }
};

// ETRACK (RCX = SECS): the SECS Shared and its tracking resource, then the verdict and
// the new epoch together (CPUs may enter or leave between the two phases).
template <Domain D>
Outcome<D> etrack_begin(const D& d, State<D>& s, const EtrackOp<D>& op) {
  Checks<D> c(d);
  c.ud_if(cpu_mode(d, s, op.cpu));
  c.pf_if(!in_epc(s, op.secs), op.secs, kNonEpcPfec);
  c.gp_if(shared_refused(d, s, op.cpu, op.secs) || tracking_refused(d, s, op.cpu, op.secs));
  const Epcm<D> e = at(d, s.epcm, op.secs);
  c.pf_if(!e.valid || e.type != pt::kSecs, op.secs, kEnclsEpcmPfec);
  Flight<D> f = flight_of(d, s, flight::kEtrack, op.secs);
  f.secs = op.secs;
  take_off(d, s, op.cpu, c.ok(), f);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> etrack_end(const D& d, State<D>& s, const EtrackOp<D>& op) {
  const Landing<D> l = landing(d, s, op.cpu, flight::kEtrack);
  const typename D::Int secs = l.f.secs;
  Checks<D> c(d);
  // SECS.TRACKING: a CPU that entered before the previous ETRACK is still inside.
  c.code_if(any_index(d, s.cpu.size(),
                      [&](int64_t i) {
                        const Cpu<D>& cpu = s.cpu[size_t(i)];
                        return inside(cpu, secs) && cpu.entry_age >= 1;
                      }),
            sgx::kPrevTrkIncmpl);

  const typename D::Bool go = l.here && c.ok();
  for (Epcm<D>& p : s.epcm) {
    const typename D::Bool older = go && is_child_of(p, secs) && p.stamped;
    p.stamp_age = ite(older, inc_sat(p.stamp_age, kMaxAge), p.stamp_age);
  }
  for (Cpu<D>& cpu : s.cpu) {
    const typename D::Bool older = go && inside(cpu, secs);
    cpu.entry_age = ite(older, inc_sat(cpu.entry_age, kMaxAge), cpu.entry_age);
  }
  land(d, s, op.cpu, l.here);
  return c.outcome();
}

template <Domain D>
Outcome<D> etrack(const D& d, State<D>& s, const EtrackOp<D>& op) {
  return whole(d, s, op, etrack_begin<D>, etrack_end<D>);
}

}  // namespace sgxref::model::arch
