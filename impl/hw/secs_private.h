// File: the hardware-private part of a SECS page. Real processors keep the enclave id
// and tracking state in the SECS's reserved area, invisible to software; we do the
// same at a fixed offset inside reserved4, so EWB of a SECS seals it with the page.
// The tracking epoch is read and written under MachineState::mu().
// ECREATE checks the area is zero on input before writing it.
#pragma once

#include <cstdint>
#include <cstring>

#include "uapi/secs.h"

namespace sgxref::hw {

struct SecsPrivate {
  uint64_t eid = 0;  // CR_NEXT_EID at ECREATE
  // The enclave's tracking epoch E (docs/hw.md "Tracking"): 0 at ECREATE, +1 per
  // successful ETRACK. Sealed with the SECS by EWB, so it survives eviction.
  uint64_t epoch = 0;
};

inline constexpr size_t kSecsPrivateOffset = 3072;
static_assert(kSecsPrivateOffset >= offsetof(uapi::Secs, reserved4));
static_assert(kSecsPrivateOffset + sizeof(SecsPrivate) <= sizeof(uapi::Secs));

inline SecsPrivate load_secs_private(const uint8_t* secs_page) {
  SecsPrivate p;
  std::memcpy(&p, secs_page + kSecsPrivateOffset, sizeof p);
  return p;
}

inline void store_secs_private(uint8_t* secs_page, const SecsPrivate& p) {
  std::memcpy(secs_page + kSecsPrivateOffset, &p, sizeof p);
}

inline uapi::Secs load_secs(const uint8_t* secs_page) {
  uapi::Secs s;
  std::memcpy(&s, secs_page, sizeof s);
  return s;
}

}  // namespace sgxref::hw
