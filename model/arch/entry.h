// File: entering and leaving enclaves: EENTER, ERESUME, EEXIT, and AEX (delivered by an
// interrupt, or by the OS's IPI). Entry records the entry epoch (age 0) and every entry
// and exit flushes the CPU's TLB (docs/model.md "Tracking", "Accesses").
#pragma once

#include "arch/common.h"
#include "arch/flight.h"

namespace sgxref::model::arch {

template <class D>
struct CpuOp {
  typename D::Int cpu;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
  }
};

template <class D>
struct EnterOp {
  typename D::Int cpu, tcs;  // RBX, as a linear page

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("tcs", s.tcs...);
  }
};

// EENTER (resume = false) and ERESUME (resume = true): the TCS is resolved and taken
// Shared; every other check and the commit come after, in one step (another CPU may
// enter through the same TCS, and exactly one of them may find it inactive).
template <Domain D>
Outcome<D> enter_begin(const D& d, State<D>& s, const EnterOp<D>& op, int64_t leaf) {
  Checks<D> c(d);
  c.gp_if(cpu_mode(d, s, op.cpu));
  const typename D::Int slot = resolve(d, s, c, op.cpu, op.tcs, false);
  c.gp_if(shared_refused(d, s, op.cpu, slot));
  take_off(d, s, op.cpu, c.ok(), flight_of(d, s, leaf, slot));
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> enter_end(const D& d, State<D>& s, const EnterOp<D>& op, int64_t leaf) {
  const bool resume = leaf == flight::kEresume;
  const Landing<D> l = landing(d, s, op.cpu, leaf);
  const typename D::Int slot = l.f.slot;
  const Epcm<D> e = at(d, s.epcm, slot);
  Checks<D> c(d);
  c.pf_if(
      !e.valid || e.blocked || e.page != op.tcs || e.type != pt::kTcs || e.pending || e.modified,
      op.tcs, epcm_pfec(false));
  c.gp_if(!at(d, s.data, e.secs, &PageData<D>::init));
  const PageData<D> t = at(d, s.data, slot);
  // EENTER needs a free SSA frame and uses it; ERESUME restores the last saved one.
  c.gp_if(resume ? t.cssa == 0 : t.cssa >= t.nssa);
  const typename D::Int frame = resume ? dec_sat(t.cssa) : t.cssa;
  const typename D::Int base = at(d, s.data, e.secs, &PageData<D>::base);
  // The sum may lie beyond the address space: the walk then faults at it.
  const typename D::Int ssa = base + t.ossa + frame;
  const typename D::Int ssa_slot = resolve(d, s, c, op.cpu, ssa, true);
  c.pf_if(!is_data_page(at(d, s.epcm, ssa_slot), e.secs, ssa, true), ssa, epcm_pfec(true));
  // One logical processor per TCS.
  c.gp_if(t.active);

  const typename D::Bool go = l.here && c.ok();
  put(d, s.data, slot, go, &PageData<D>::active, d.lit(true));
  if (resume) put(d, s.data, slot, go, &PageData<D>::cssa, frame);
  for (size_t i = 0; i < s.cpu.size(); ++i) {
    Cpu<D>& cpu = s.cpu[i];
    const typename D::Bool me = go && op.cpu == int64_t(i);
    cpu.mode = ite(me, d.lit(true), cpu.mode);
    cpu.secs = ite(me, e.secs, cpu.secs);
    cpu.tcs = ite(me, slot, cpu.tcs);
    cpu.entry_age = ite(me, d.num(0), cpu.entry_age);
    flush_tlb_if(d, cpu, me);
  }
  land(d, s, op.cpu, l.here);
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eenter_begin(const D& d, State<D>& s, const EnterOp<D>& op) {
  return enter_begin(d, s, op, flight::kEenter);
}
template <Domain D>
Outcome<D> eenter_end(const D& d, State<D>& s, const EnterOp<D>& op) {
  return enter_end(d, s, op, flight::kEenter);
}
template <Domain D>
Outcome<D> eresume_begin(const D& d, State<D>& s, const EnterOp<D>& op) {
  return enter_begin(d, s, op, flight::kEresume);
}
template <Domain D>
Outcome<D> eresume_end(const D& d, State<D>& s, const EnterOp<D>& op) {
  return enter_end(d, s, op, flight::kEresume);
}

template <Domain D>
Outcome<D> eenter(const D& d, State<D>& s, const EnterOp<D>& op) {
  return whole(d, s, op, eenter_begin<D>, eenter_end<D>);
}

template <Domain D>
Outcome<D> eresume(const D& d, State<D>& s, const EnterOp<D>& op) {
  return whole(d, s, op, eresume_begin<D>, eresume_end<D>);
}

template <Domain D>
Outcome<D> eexit(const D& d, State<D>& s, const CpuOp<D>& op) {
  Checks<D> c(d);
  c.gp_if(!cpu_mode(d, s, op.cpu));

  const typename D::Bool go = c.ok();
  put(d, s.data, at(d, s.cpu, op.cpu, &Cpu<D>::tcs), go, &PageData<D>::active, d.lit(false));
  for (size_t i = 0; i < s.cpu.size(); ++i) {
    Cpu<D>& cpu = s.cpu[i];
    const typename D::Bool me = go && op.cpu == int64_t(i);
    cpu.mode = ite(me, d.lit(false), cpu.mode);
    flush_tlb_if(d, cpu, me);
  }
  return deliver(d, s, op.cpu, c.outcome());
}

// An interrupt or exception arriving on the CPU: AEX if it is in enclave mode, nothing
// architectural otherwise.
template <Domain D>
Outcome<D> aex(const D& d, State<D>& s, const CpuOp<D>& op) {
  aex_if(d, s, op.cpu, d.lit(true));
  return ok_outcome(d);
}

// The OS's IPI to a CPU: the same event, named for who sends it.
template <Domain D>
Outcome<D> ipi(const D& d, State<D>& s, const CpuOp<D>& op) {
  return aex(d, s, op);
}

}  // namespace sgxref::model::arch
