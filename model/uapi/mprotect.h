// File: mprotect of the enclave's mapping as user space sees it.
#pragma once

#include <cstdint>

#include "enclave_state.h"

namespace sgxref::model::uapi {

// mprotect of the pages [offset, offset + length) of the modelled part (Linux
// sgx_vma_mprotect, sgx_encl_may_map): -EACCES if a page there may not be mapped with
// `rights` (holes take anything); otherwise their mappings take them.
inline long mprotect(Enclave& e, uint64_t offset, uint64_t length, uint8_t rights) {
  for (uint64_t off = offset; off < offset + length; off += kPage) {
    const auto it = e.pages.find(off);
    if (it != e.pages.end() && (rights & ~it->second.max_prot) != 0) return err::kAccess;
  }
  for (uint64_t off = offset; off < offset + length; off += kPage) e.vma_prot[off] = rights;
  return 0;
}

}  // namespace sgxref::model::uapi
