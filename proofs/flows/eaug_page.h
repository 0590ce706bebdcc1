// File: sgx_encl_eaug_page's work under encl->lock, once the SECS is in, as the EAUG
// fault flow and an enclave thread's fault on an erased page share it: the lowest free
// EPC slot, EAUG into the SECS at the page, the driver's record (a resident REG page, one
// more child, off the free list) and the PTE.
#pragma once

#include "flows/leaf_calls.h"
#include "flows/load_page.h"

namespace sgxref::proofs::flows {

// What the EAUG did, when it ran: `busy`, no free EPC slot (-EBUSY, no leaf); else
// `tried`, and `ok` when the hardware took it.
template <class D>
struct EaugStep {
  typename D::Bool busy, tried, ok;
};

template <model::Domain D>
EaugStep<D> eaug_page(const D& d, World<D>& w, int64_t cpu, const typename D::Int& page,
                      const typename D::Bool& when) {
  typename D::Bool any_free = d.lit(false);
  const typename D::Int slot = lowest_free(d, w, any_free);
  const typename D::Bool tried = when && any_free;
  const arch::Outcome<D> out =
      leaf_if(d, w, tried, [](const D& dd, arch::State<D>& s, const arch::EaugOp<D>& op) {
        return arch::eaug(dd, s, op);
      }, arch::EaugOp<D>{d.num(cpu), slot, w.drv.secs, page});
  const typename D::Bool ok = tried && succeeded(out);
  put(d, w.drv.pages, page, ok,
      PageRecord<D>{slot, d.num(arch::pt::kReg), d.lit(true), d.lit(false), d.lit(false), d.num(0)});
  put(d, w.drv.free, slot, ok, Flag<D>{d.lit(false)});
  w.drv.children = ite(ok, w.drv.children + 1, w.drv.children);
  leaf_if(d, w, ok, [](const D& dd, arch::State<D>& s, const arch::PteSetOp<D>& op) {
    return arch::pte_set(dd, s, op);
  }, arch::PteSetOp<D>{d.num(0), page, slot, d.lit(true), d.lit(false)});
  return {when && !any_free, tried, ok};
}

}  // namespace sgxref::proofs::flows
