// File: the small pieces flows are written with: a leaf run only when a condition holds
// (the flows are branch-free), the IPI the driver sends to the enclave's CPUs, and the
// outcome tests the driver makes (encls_faulted, encls_failed).
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

template <model::Domain D>
typename D::Bool succeeded(const arch::Outcome<D>& o) {
  return o.kind == arch::kind::kOk;
}

}  // namespace sgxref::proofs::flows
