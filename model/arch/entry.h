// File: entering and leaving enclaves: EENTER, ERESUME, EEXIT, and AEX (delivered by an
// interrupt, or by the OS's IPI). Entry records the entry epoch (age 0) and every entry
// and exit flushes the CPU's TLB (docs/model.md "Tracking", "Accesses").
#pragma once

#include "arch/common.h"

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

// EENTER (resume = false) and ERESUME (resume = true).
template <Domain D>
Outcome<D> enter(const D& d, State<D>& s, const EnterOp<D>& op, bool resume) {
  Checks<D> c(d);
  c.gp_if(cpu_mode(d, s, op.cpu));
  const typename D::Int slot = resolve(d, s, c, op.tcs, false);
  const Epcm<D> e = at(d, s.epcm, slot);
  c.pf_if(
      !e.valid || e.blocked || e.page != op.tcs || e.type != pt::kTcs || e.pending || e.modified,
      op.tcs, epcm_pfec(false));
  c.gp_if(!at(d, s.data, e.secs, &PageData<D>::init));
  const PageData<D> t = at(d, s.data, slot);
  // EENTER needs a free SSA frame and uses it; ERESUME restores the last saved one.
  c.gp_if(resume ? t.cssa == 0 : t.cssa >= t.nssa);
  const typename D::Int frame = resume ? dec_sat(t.cssa) : t.cssa;
  const typename D::Int base = at(d, s.data, e.secs, &PageData<D>::base);
  const typename D::Int ssa = add_sat(d, base, add_sat(d, t.ossa, frame));
  const typename D::Int ssa_slot = resolve(d, s, c, ssa, true);
  c.pf_if(!is_data_page(at(d, s.epcm, ssa_slot), e.secs, ssa, true), ssa, epcm_pfec(true));
  // One logical processor per TCS.
  c.gp_if(t.active);

  const typename D::Bool go = c.ok();
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
  return deliver(d, s, op.cpu, c.outcome());
}

template <Domain D>
Outcome<D> eenter(const D& d, State<D>& s, const EnterOp<D>& op) {
  return enter(d, s, op, false);
}

template <Domain D>
Outcome<D> eresume(const D& d, State<D>& s, const EnterOp<D>& op) {
  return enter(d, s, op, true);
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
