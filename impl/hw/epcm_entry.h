// File: one EPCM entry: the hardware's security attributes for one EPC page
// (SDM vol. 3D "Enclave Page Cache Map"). ENCLAVESECS is kept as the SECS's EPC slot.
#pragma once

#include <cstdint>
#include <ostream>

#include "uapi/page_type.h"

namespace sgxref::hw {

using uapi::PageType;

struct EpcmEntry {
  bool valid = false;
  bool r = false;
  bool w = false;
  bool x = false;
  PageType type = PageType::kSecs;
  bool blocked = false;
  bool pending = false;
  bool modified = false;
  bool pr = false;
  uint32_t secs = 0;             // ENCLAVESECS: EPC slot of the owning SECS
  uint64_t enclave_address = 0;  // ENCLAVEADDRESS: the page's linear address
  // Hardware-internal, not an SDM field: the enclave's epoch when EBLOCK, EMODPR or
  // EMODT last touched the page (docs/hw.md "Tracking"); EWB and EACCEPT compare it
  // with the CPUs inside. EADD, EAUG and ELDx leave a page unstamped. Compared by
  // operator== (so by Snapshot) because it decides later EWB/EACCEPT outcomes: a
  // refused leaf must not restamp a page.
  bool stamped = false;
  uint64_t stamp = 0;

  bool operator==(const EpcmEntry&) const = default;
};

std::ostream& operator<<(std::ostream& os, const EpcmEntry& e);

}  // namespace sgxref::hw
