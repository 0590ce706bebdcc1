// File: the enclave's mapping as user space changes it: mmap, munmap and mprotect over
// the modelled part of ELRANGE.
#pragma once

#include <algorithm>
#include <cstdint>

#include "enclave_state.h"

namespace sgxref::model::uapi {

// Where the VMA that maps `at` ends: at the next VMA's start or the first page no VMA
// maps, whichever comes first.
inline uint64_t vma_end(const Enclave& e, uint64_t at) {
  uint64_t off = at + kPage;
  while (off < e.size && e.vma_prot.count(off) != 0 && e.vma_starts.count(off) == 0) off += kPage;
  return off;
}

// munmap of [offset, offset + length): whatever maps a page there goes (the unmapped
// pages in the range included, which munmap accepts); a VMA reaching past the range
// keeps its part after it, which starts a VMA of its own.
inline long munmap(Enclave& e, uint64_t offset, uint64_t length) {
  const uint64_t end = offset + length;
  for (uint64_t off = offset; off < end; off += kPage) {
    e.vma_prot.erase(off);
    e.vma_starts.erase(off);
  }
  if (e.vma_prot.count(end) != 0) e.vma_starts.insert(end);
  return 0;
}

// Whether every existing page of [offset, end) may be mapped with `rights` (Linux
// sgx_encl_may_map: rights within its vm_max_prot_bits; holes take anything).
inline bool may_map(const Enclave& e, uint64_t offset, uint64_t end, uint8_t rights) {
  for (auto it = e.pages.lower_bound(offset); it != e.pages.end() && it->first < end; ++it) {
    if ((rights & ~it->second.max_prot) != 0) return false;
  }
  return true;
}

// mmap of the enclave's file with MAP_FIXED over [offset, offset + length): -EINVAL for a
// private mapping (sgx_get_unmapped_area, before anything changes). Otherwise whatever
// mapped the range goes first (mmap_region clears it before the driver's mmap, so a
// refusal cannot bring it back and leaves a gap), then sgx_mmap refuses with -EACCES a
// range past ELRANGE (the enclave is initialized) or with a page that may not be mapped
// with `rights` (sgx_encl_may_map); else one new VMA maps the range, never merged with
// its neighbours (VM_PFNMAP).
inline long mmap(Enclave& e, uint64_t offset, uint64_t length, uint8_t rights, bool shared) {
  if (!shared) return err::kInval;
  const uint64_t end = offset + length;
  munmap(e, offset, std::min(end, e.size) - offset);
  if (end > e.size || !may_map(e, offset, end, rights)) return err::kAccess;
  e.vma_starts.insert(offset);
  for (uint64_t off = offset; off < end; off += kPage) e.vma_prot[off] = rights;
  return 0;
}

// mprotect of [offset, offset + length) (Linux do_mprotect_pkey, sgx_vma_mprotect), VMA by
// VMA: -ENOMEM at a page no VMA maps, -EACCES at a VMA with a page that may not be mapped
// with `rights`; either leaves the VMAs before it changed. Otherwise the VMA's part in
// the range takes the rights, split off when its rights were others (mprotect_fixup).
inline long mprotect(Enclave& e, uint64_t offset, uint64_t length, uint8_t rights) {
  const uint64_t end = offset + length;
  for (uint64_t at = offset; at < end;) {
    if (e.vma_prot.count(at) == 0) return err::kNoMem;
    const uint64_t to = std::min(end, vma_end(e, at));
    if (!may_map(e, at, to, rights)) return err::kAccess;
    if (e.vma_prot.at(at) != rights) {
      e.vma_starts.insert(at);
      if (to < e.size && e.vma_prot.count(to) != 0) e.vma_starts.insert(to);
      for (uint64_t off = at; off < to; off += kPage) e.vma_prot[off] = rights;
    }
    at = to;
  }
  return 0;
}

}  // namespace sgxref::model::uapi
