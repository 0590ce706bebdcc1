// File: the return of an ioctl that changes a range of pages one at a time (the
// built-in RESTRICT_PERMISSIONS and MODIFY_TYPES, and a flow file's): `count` is the
// pages done, and D3 holds when exactly those pages changed, as the hardware holds them.
#pragma once

#include <cstdint>

#include "flows/program.h"
#include "flows/world.h"

namespace sgxref::proofs::flows {

// The page's type and rights as the hardware holds them: in its EPCM entry, or in the
// blob EWB sealed while it is evicted.
template <class D>
struct PageState {
  typename D::Int type, rights;  // rights: R 4, W 2, X 1
};

template <model::Domain D>
PageState<D> state_of(const D& d, const World<D>& w, const typename D::Int& page) {
  const PageRecord<D> rec = at(d, w.drv.pages, page);
  const arch::Epcm<D> e = at(d, w.hw.epcm, rec.slot);
  const arch::Blob<D> b = at(d, w.hw.blob, page);
  const auto bits = [&](const auto& r, const auto& wr, const auto& x) {
    return ite(r, d.num(4), d.num(0)) + ite(wr, d.num(2), d.num(0)) + ite(x, d.num(1), d.num(0));
  };
  return {ite(rec.resident, e.type, b.type), ite(rec.resident, bits(e.r, e.w, e.x), bits(b.r, b.w, b.x))};
}

// When `when`, the ioctl over pages [first, first + n) returns: `count` is the pages
// done (its loop index) and the thread goes to `end`. D3: each page before `count` is
// changed (read-only, or TRIM), each page after it is as the layout has it (REG RW).
template <model::Domain D>
void ioctl_return(const D& d, int64_t first, int64_t n, bool trim, World<D>& w, Thread<D>& me,
                  const typename D::Bool& when, int64_t end) {
  typename D::Bool exact = d.lit(true);
  for (int64_t i = 0; i < n; ++i) {
    const PageState<D> st = state_of(d, w, d.num(first + i));
    const typename D::Bool untouched = st.type == arch::pt::kReg && st.rights == 6;
    const typename D::Bool changed =
        trim ? st.type == arch::pt::kTrim : st.type == arch::pt::kReg && st.rights == 4;
    exact = exact && ite(me.index <= i, untouched, changed);
  }
  w.ghost.contract = w.ghost.contract || (when && !exact);
  me.count = ite(when, me.index, me.count);
  go_if(d, me, when, end);
}

}  // namespace sgxref::proofs::flows
