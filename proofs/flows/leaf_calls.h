// File: the small pieces flows are written with: a leaf run only when a condition holds
// (the flows are branch-free), ETRACK on the driver's SECS, the IPI the driver sends to
// the enclave's CPUs, the enclave mutex, a SECINFO in either domain, and the outcome
// test the driver makes.
#pragma once

#include <cstddef>

#include "flows/layout.h"
#include "flows/program.h"
#include "flows/world.h"

namespace sgxref::proofs::flows {

// `leaf(d, hw, op)` when `when` holds; nothing otherwise. Returns the leaf's outcome
// (meaningless when `when` does not hold).
template <model::Domain D, class Leaf, class Op>
arch::Outcome<D> leaf_if(const D& d, World<D>& w, const typename D::Bool& when, Leaf leaf,
                         const Op& op) {
  arch::State<D> after = w.hw;
  const arch::Outcome<D> out = leaf(d, after, op);
  w.hw = ite(when, after, w.hw);
  return out;
}

// A concrete SECINFO as domain values.
template <model::Domain D>
arch::SecInfo<D> secinfo(const D& d, const arch::SecInfo<model::Concrete>& c) {
  return {d.lit(c.reserved), d.num(c.type), d.lit(c.r), d.lit(c.w), d.lit(c.x),
          d.lit(c.pending), d.lit(c.modified), d.lit(c.pr)};
}

// EMODT to `change`'s type when `trim`, else EMODPR to its rights, from `cpu` on the page
// in EPC slot `slot`, when `when`. The SECINFO carries the type or the rights alone (the
// PR and MODIFIED bits are EACCEPT's).
template <model::Domain D>
arch::Outcome<D> modify_if(const D& d, World<D>& w, const typename D::Bool& when, bool trim,
                           arch::SecInfo<model::Concrete> change, int64_t cpu,
                           const typename D::Int& slot) {
  change.pr = false;
  change.modified = false;
  const arch::ModifyOp<D> op{d.num(cpu), slot, secinfo(d, change)};
  if (trim) {
    return leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::ModifyOp<D>& o) {
      return arch::emodt(dd, s, o);
    }, op);
  }
  return leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::ModifyOp<D>& o) {
    return arch::emodpr(dd, s, o);
  }, op);
}

// on_each_cpu_mask over the enclave's CPUs: every CPU but the kernel's own, when `when`;
// the driver's call ends at the scheduling point "ipi_mask.end".
template <model::Domain D>
void ipi_enclave_cpus(const D& d, World<D>& w, const typename D::Bool& when) {
  for (size_t c = 0; c < w.hw.cpu.size(); ++c) {
    if (int64_t(c) == Layout::kernel_cpu()) continue;
    leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::CpuOp<D>& op) {
      return arch::ipi(dd, s, op);
    }, arch::CpuOp<D>{d.num(int64_t(c))});
  }
}

// sgx_zap_enclave_ptes on `page`: its PTE gone, and with it the Accessed bit the
// reclaimer's aging reads; the TLB shootdown IPIs the CPUs of the enclave's address
// space, as the driver's own IPIs do (a thread inside exits).
template <model::Domain D>
void zap_page(const D& d, World<D>& w, const typename D::Int& page) {
  leaf_if(d, w, d.lit(true), [](const D& dd, arch::State<D>& s, const arch::PteClearOp<D>& op) {
    return arch::pte_clear(dd, s, op);
  }, arch::PteClearOp<D>{d.num(0), page});
  put(d, w.accessed, page, d.lit(true), Flag<D>{d.lit(false)});
  ipi_enclave_cpus(d, w, d.lit(true));
}

// ETRACK from the kernel's CPU on the SECS the driver has, when `when`.
template <model::Domain D>
arch::Outcome<D> etrack_if(const D& d, World<D>& w, const typename D::Bool& when) {
  return leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::EtrackOp<D>& op) {
    return arch::etrack(dd, s, op);
  }, arch::EtrackOp<D>{d.num(Layout::kernel_cpu()), w.drv.secs});
}

// encl->lock. As in the driver, mutex_lock's scheduling point comes before the lock is
// taken: a flow's lock instruction only reaches that point, and each instruction of the
// critical section takes the mutex as it starts (a no-op when its thread holds it), so
// it is ready only while the mutex is free or its own.
template <model::Domain D>
typename D::Bool mutex_free_or_mine(const D& d, const World<D>& w, size_t t) {
  return w.drv.mutex == d.num(0) || w.drv.mutex == d.num(int64_t(t) + 1);
}
template <model::Domain D>
void lock_mutex(const D& d, World<D>& w, size_t t) {
  w.drv.mutex = d.num(int64_t(t) + 1);
}
template <model::Domain D>
void unlock_mutex(const D& d, World<D>& w) {
  w.drv.mutex = d.num(0);
}
// The readiness of an instruction inside the critical section (program.h's `ready`).
inline constexpr auto kHoldsMutex = [](const auto& d, const auto& w, size_t t) {
  return mutex_free_or_mine(d, w, t);
};

// When `when`, the step ends at no scheduling point of the driver: its region goes on
// into the thread's next step, before any other thread moves.
template <model::Domain D>
void continue_region_if(Thread<D>& me, const typename D::Bool& when) {
  me.off_point = me.off_point || when;
  me.runs_on = me.runs_on || when;
}

// When `when`, the thread's next step comes before any other thread's (world.h's
// `runs_on`); the step still ends at its point.
template <model::Domain D>
void run_on_if(Thread<D>& me, const typename D::Bool& when) {
  me.runs_on = me.runs_on || when;
}

// A lock instruction: the thread reaches encl->lock's point, and takes the lock in its
// next step at once if it is free (ready only then: reaching the point changes nothing
// another thread sees, so it may as well wait until the lock is free).
template <model::Domain D>
void reach_lock(const D& d, World<D>& w, size_t t, int64_t next) {
  go_if(d, w.th[t], d.lit(true), next);
  run_on_if(w.th[t], d.lit(true));
}


template <model::Domain D>
typename D::Bool succeeded(const arch::Outcome<D>& o) {
  return o.kind == arch::kind::kOk;
}

}  // namespace sgxref::proofs::flows
