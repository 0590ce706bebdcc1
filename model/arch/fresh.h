// File: fresh enclave ids and versions. CR_NEXT_EID and the paging version only grow on
// real hardware; the model hands out the smallest value nothing in the state holds, so
// its state space stays finite (the checker's k-induction needs that) while every value
// it gives is as new as a counter's to everything that could compare it. Conformance
// compares ids and versions up to a renaming for that reason (docs/model.md "Sizes and
// widths").
#pragma once

#include "arch/flight.h"
#include "arch/types.h"

namespace sgxref::model::arch {

// The smallest value in [1, limit] for which `used` is false (there is always one: the
// callers' limits exceed the number of places a value can sit in).
template <Domain D, class U>
typename D::Int smallest_unused(const D& d, int64_t limit, unsigned bits, U&& used) {
  typename D::Int r = d.num(limit, bits);
  for (int64_t k = limit - 1; k >= 1; --k) r = ite(used(k), r, d.num(k, bits));
  return r;
}

// An enclave id no SECS, evicted SECS or blob holds.
template <Domain D>
typename D::Int fresh_eid(const D& d, const State<D>& s) {
  const auto used = [&](int64_t k) {
    typename D::Bool u = d.lit(false);
    for (size_t j = 0; j < s.epcm.size(); ++j)
      u = u || (s.epcm[j].valid && s.epcm[j].type == pt::kSecs && s.data[j].eid == k);
    for (const Blob<D>& b : s.blob) u = u || (b.valid && (b.eid == k || b.data.eid == k));
    return u;
  };
  return smallest_unused(d, int64_t(eid_places(s.sz)) + 1, widths(s.sz).eid, used);
}

// A version no VA slot (resident or evicted), blob or EWB in flight holds.
template <Domain D>
typename D::Int fresh_version(const D& d, const State<D>& s) {
  const auto used = [&](int64_t k) {
    typename D::Bool u = d.lit(false);
    for (size_t j = 0; j < s.epcm.size(); ++j) {
      const typename D::Bool va = s.epcm[j].valid && s.epcm[j].type == pt::kVa;
      for (const typename D::Int& v : s.data[j].va) u = u || (va && v == k);
    }
    for (const Blob<D>& b : s.blob) {
      u = u || (b.valid && b.version == k);
      for (const typename D::Int& v : b.data.va) u = u || (b.valid && b.type == pt::kVa && v == k);
    }
    for (const Cpu<D>& c : s.cpu) u = u || (c.flight.leaf == flight::kEwb && c.flight.version == k);
    return u;
  };
  return smallest_unused(d, int64_t(version_places(s.sz)) + 1, widths(s.sz).version, used);
}

}  // namespace sgxref::model::arch
