// File: the small pieces flows are written with: a leaf run only when a condition holds
// (the flows are branch-free), ETRACK on the driver's SECS, the IPI the driver sends to
// the enclave's CPUs, the enclave mutex, a SECINFO in either domain, and the outcome
// test the driver makes.
#pragma once

#include <cstddef>

#include "flows/layout.h"
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

// on_each_cpu_mask over the enclave's CPUs: every CPU but the kernel's own, when `when`.
template <model::Domain D>
void ipi_enclave_cpus(const D& d, World<D>& w, const typename D::Bool& when) {
  for (size_t c = 0; c < w.hw.cpu.size(); ++c) {
    if (int64_t(c) == Layout::kernel_cpu()) continue;
    leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::CpuOp<D>& op) {
      return arch::ipi(dd, s, op);
    }, arch::CpuOp<D>{d.num(int64_t(c))});
  }
}

// ETRACK from the kernel's CPU on the SECS the driver has, when `when`.
template <model::Domain D>
arch::Outcome<D> etrack_if(const D& d, World<D>& w, const typename D::Bool& when) {
  return leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::EtrackOp<D>& op) {
    return arch::etrack(dd, s, op);
  }, arch::EtrackOp<D>{d.num(Layout::kernel_cpu()), w.drv.secs});
}

// encl->lock: free, taken by thread `t`, dropped.
template <model::Domain D>
typename D::Bool mutex_free(const D& d, const World<D>& w) {
  return w.drv.mutex == d.num(0);
}
template <model::Domain D>
void lock_mutex(const D& d, World<D>& w, size_t t) {
  w.drv.mutex = d.num(int64_t(t) + 1);
}
template <model::Domain D>
void unlock_mutex(const D& d, World<D>& w) {
  w.drv.mutex = d.num(0);
}
// The readiness of an instruction that takes the mutex (program.h's `ready`).
inline constexpr auto kMutexFree = [](const auto& d, const auto& w, size_t) { return mutex_free(d, w); };

// A concrete SECINFO as domain values.
template <model::Domain D>
arch::SecInfo<D> secinfo(const D& d, const arch::SecInfo<model::Concrete>& c) {
  return {d.lit(c.reserved), d.num(c.type), d.lit(c.r), d.lit(c.w), d.lit(c.x),
          d.lit(c.pending), d.lit(c.modified), d.lit(c.pr)};
}

template <model::Domain D>
typename D::Bool succeeded(const arch::Outcome<D>& o) {
  return o.kind == arch::kind::kOk;
}

}  // namespace sgxref::proofs::flows
