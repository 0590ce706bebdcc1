// File: what EWB binds to an evicted page besides its bytes: the 128-byte MAC header
// (the SDM's TMP_HEADER) and the SECINFO.FLAGS that carry a page's EPCM attributes
// through PCMD. The SDM names the header's fields (EID, SECINFO, LINADDR, RSVD) without
// offsets; this layout is ours. The version is bound through the GCM IV, not the header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hw/crypto/aes_gcm.h"
#include "hw/epcm_entry.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {

struct MacHeader {
  uint64_t eid;              // the SECS's EID for REG/TCS/TRIM pages, 0 for SECS and VA
  uapi::SecInfo secinfo;     // PCMD.SECINFO: FLAGS holds PT, RWX, PENDING, MODIFIED, PR
  uint64_t linaddr;          // ENCLAVEADDRESS at EWB, PAGEINFO.LINADDR at ELDx
  uint8_t pcmd_reserved[40];  // PCMD.RESERVED, which EWB writes as zeros
  uint8_t zero[8];

  AesGcmPage::Header bytes() const {
    AesGcmPage::Header h;
    std::memcpy(h.data(), this, sizeof *this);
    return h;
  }
};
static_assert(sizeof(MacHeader) == 128);
static_assert(offsetof(MacHeader, linaddr) == 72);

// Page types whose eviction is bound to their enclave: they need EBLOCK and tracking
// before EWB and name their SECS on ELDx.
inline bool is_child_type(PageType t) {
  return t == PageType::kReg || t == PageType::kTcs || t == PageType::kTrim;
}

// SECINFO.FLAGS recording the attributes EWB preserves.
inline uint64_t paging_flags(const EpcmEntry& e) {
  namespace sf = uapi::secinfo_flag;
  return sf::type(e.type) | (e.r ? sf::kR : 0) | (e.w ? sf::kW : 0) | (e.x ? sf::kX : 0) |
         (e.pending ? sf::kPending : 0) | (e.modified ? sf::kModified : 0) |
         (e.pr ? sf::kPr : 0);
}

// The page type a PCMD.SECINFO.FLAGS names (not necessarily a valid one).
inline uint64_t flags_type(uint64_t flags) {
  return (flags & uapi::secinfo_flag::kTypeMask) >> uapi::secinfo_flag::kTypeShift;
}

}  // namespace sgxref::hw
