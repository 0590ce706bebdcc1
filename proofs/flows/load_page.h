// File: sgx_encl_load_page as flows run it, one leaf per step: a page the driver has in
// the EPC is there; one the reclaimer has marked is busy (-EBUSY); otherwise the step
// runs the next ELDU, the SECS first, into the lowest free EPC slot, handing back the
// PCMD EWB wrote (the blob's SECINFO), and the caller stays at its instruction until the
// page is in. No free EPC slot is -EBUSY (the load path allocates without reclaiming);
// an ELDU the hardware refuses is a driver bug (D1) and -EFAULT.
#pragma once

#include "flows/layout.h"
#include "flows/leaf_calls.h"

namespace sgxref::proofs::flows {

// What one load step found or did, when it ran; exactly one holds.
template <class D>
struct LoadStep {
  typename D::Bool in, busy, loading, failed;
};

// The lowest slot on the driver's free list, and whether there is one.
template <model::Domain D>
typename D::Int lowest_free(const D& d, const World<D>& w, typename D::Bool& any) {
  typename D::Int slot = d.num(0);
  any = d.lit(false);
  for (size_t k = w.drv.free.size(); k-- > 0;) {
    slot = ite(w.drv.free[k].on, d.num(int64_t(k)), slot);
    any = any || w.drv.free[k].on;
  }
  return slot;
}

// The lowest unused slot of the VA page (the flows size it so one is always there).
template <model::Domain D>
typename D::Int lowest_va(const D& d, const World<D>& w) {
  typename D::Int index = d.num(0);
  for (size_t k = w.drv.va_used.size(); k-- > 0;) index = ite(!w.drv.va_used[k].on, d.num(int64_t(k)), index);
  return index;
}

// ELDU of the page whose blob is `blob` into `slot` when `when`; its outcome.
template <model::Domain D>
arch::Outcome<D> eldu_if(const D& d, const Layout& l, World<D>& w, const typename D::Bool& when,
                         const typename D::Int& slot, const typename D::Int& va_index,
                         const typename D::Int& blob, const typename D::Int& page,
                         const typename D::Int& secs) {
  const arch::Blob<D> b = at(d, w.hw.blob, blob);
  const arch::SecInfo<D> pcmd{d.lit(false), b.type, b.r, b.w, b.x, b.pending, b.modified, b.pr};
  return leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::EldOp<D>& op) {
    return arch::eldu(dd, s, op);
  }, arch::EldOp<D>{d.num(Layout::kernel_cpu()), slot, d.num(l.va_slot()), va_index, blob, page, secs, pcmd, d.lit(true)});
}

// One step of loading the SECS when it is evicted (sgx_encl_load_secs); `loading`
// holds when this step ran its ELDU.
template <model::Domain D>
LoadStep<D> load_secs_step(const D& d, const Layout& l, World<D>& w, const typename D::Bool& when) {
  const auto no = d.lit(false);
  // Without a reclaimer nothing is ever evicted: no terms for loads that cannot happen.
  if (!l.reclaimer) return {when, no, no, no};
  typename D::Bool any_free = d.lit(false);
  const typename D::Int slot = lowest_free(d, w, any_free);
  const typename D::Bool need = when && !w.drv.secs_resident;
  const arch::Outcome<D> out =
      eldu_if(d, l, w, need && any_free, slot, w.drv.secs_va, d.num(l.secs_blob()), d.num(0),
              d.num(arch::null_slot(w.hw)));
  const typename D::Bool ok = need && any_free && succeeded(out);
  w.ghost.warn = w.ghost.warn || (need && any_free && !succeeded(out));
  put(d, w.drv.va_used, w.drv.secs_va, ok, Flag<D>{d.lit(false)});
  put(d, w.drv.free, slot, ok, Flag<D>{d.lit(false)});
  w.drv.secs = ite(ok, slot, w.drv.secs);
  w.drv.secs_resident = w.drv.secs_resident || ok;
  return {when && !need, need && !any_free, ok, need && any_free && !succeeded(out)};
}

template <model::Domain D>
LoadStep<D> load_page_step(const D& d, const Layout& l, World<D>& w, const typename D::Int& page,
                           const typename D::Bool& when) {
  const auto no = d.lit(false);
  if (!l.reclaimer) return {when, no, no, no};
  const PageRecord<D> rec = at(d, w.drv.pages, page);
  const typename D::Bool need = when && !rec.resident;
  // The SECS first; this step does nothing else when it loads it.
  const LoadStep<D> secs = load_secs_step(d, l, w, need);
  typename D::Bool any_free = d.lit(false);
  const typename D::Int slot = lowest_free(d, w, any_free);
  const typename D::Bool go = secs.in && any_free;
  const arch::Outcome<D> out = eldu_if(d, l, w, go, slot, rec.va, page, page, w.drv.secs);
  const typename D::Bool ok = go && succeeded(out);
  w.ghost.warn = w.ghost.warn || (go && !succeeded(out));
  PageRecord<D> loaded = rec;
  loaded.slot = slot;
  loaded.resident = d.lit(true);
  put(d, w.drv.pages, page, ok, loaded);
  put(d, w.drv.va_used, rec.va, ok, Flag<D>{d.lit(false)});
  put(d, w.drv.free, slot, ok, Flag<D>{d.lit(false)});
  w.drv.children = ite(ok, w.drv.children + 1, w.drv.children);
  return {when && rec.resident && !rec.reclaim,
          (when && rec.resident && rec.reclaim) || secs.busy || (secs.in && !any_free),
          secs.loading || ok, secs.failed || (go && !succeeded(out))};
}

}  // namespace sgxref::proofs::flows
