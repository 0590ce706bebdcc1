// File: mprotect of the enclave's mapping as user space sees it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "enclave_state.h"

namespace sgxref::model::uapi {

// mprotect of the pages [offset, offset + length) of the modelled part (Linux
// do_mprotect_pkey, sgx_vma_mprotect, sgx_encl_may_map), VMA by VMA: -EACCES if a page
// of the VMA in the range may not be mapped with `rights` (holes take anything), which
// leaves the VMAs before it changed; otherwise the VMA's part in the range takes them,
// split off when its rights were others (mprotect_fixup; the enclave's VMAs are
// VM_PFNMAP and never merge again).
inline long mprotect(Enclave& e, uint64_t offset, uint64_t length, uint8_t rights) {
  const uint64_t end = offset + length;
  for (uint64_t at = offset; at < end;) {
    const auto next = e.vma_starts.upper_bound(at);
    const uint64_t to = std::min(end, next == e.vma_starts.end() ? e.size : *next);
    for (uint64_t off = at; off < to; off += kPage) {
      const auto it = e.pages.find(off);
      if (it != e.pages.end() && (rights & ~it->second.max_prot) != 0) return err::kAccess;
    }
    if (e.vma_prot.at(at) != rights) {
      e.vma_starts.insert(at);
      if (to < e.size) e.vma_starts.insert(to);
      for (uint64_t off = at; off < to; off += kPage) e.vma_prot[off] = rights;
    }
    at = to;
  }
  return 0;
}

}  // namespace sgxref::model::uapi
