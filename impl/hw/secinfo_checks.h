// File: the checks leaves make on a SECINFO they read (SDM vol. 3D "SECINFO"): its
// reserved bits and bytes, the page type it names, and the one combination of rights no
// page may have. Each leaf makes the ones it needs at its own place in the SDM's order
// and answers #GP when one fails.
#pragma once

#include <cstdint>

#include "hw/all_zero.h"
#include "hw/epcm_entry.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {

// No reserved FLAGS bit and none of the 56 reserved bytes set.
inline bool secinfo_reserved_clear(const uapi::SecInfo& si) {
  return (si.flags & uapi::secinfo_flag::kReservedMask) == 0 && all_zero(si.reserved);
}

// SECINFO.FLAGS.PT names page type `t`.
inline bool secinfo_type_is(uint64_t flags, PageType t) {
  return (flags & uapi::secinfo_flag::kTypeMask) == uapi::secinfo_flag::type(t);
}

// W without R, which the EPCM never grants: EADD of a REG page, EMODPR, EACCEPTCOPY and
// EMODPE (when the page has no R either) refuse to ask for it.
inline bool write_without_read(uint64_t flags) {
  return (flags & uapi::secinfo_flag::kW) != 0 && (flags & uapi::secinfo_flag::kR) == 0;
}

}  // namespace sgxref::hw
