// File: the package's paging registers and bookkeeping for EWB and ELDB/ELDU: the
// version register (CR_PAGING_VERSION) that gives every eviction a fresh nonzero
// version, the Version Array slots a running leaf is using, and the paging counters;
// blank MAC headers and PCMDs for the leaves to fill. The paging key (CR_BASE_PK) lives
// beside it as the machine's AesGcmPage.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/address.h"
#include "hw/crypto/aes_gcm.h"
#include "hw/mac_header.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {

inline constexpr uint64_t kVaSlotSize = 8;
inline constexpr uint64_t kVaSlotsPerPage = kPageSize / kVaSlotSize;

struct PagingState {
  uint64_t next_version = 1;  // 0 marks an empty VA slot, so versions start at 1
  // VA slots (by physical address) claimed by an EWB or ELDx that has not returned: a
  // second leaf naming the same slot meanwhile is refused (#GP), as the SDM refuses a
  // leaf while "other instructions [are] modifying [the] VA slot". In no order; at most
  // one per leaf running, so a scan is cheap and, once grown, it never allocates.
  std::vector<PAddr> busy_va_slots;
  uint64_t evictions = 0;    // successful EWBs
  uint64_t reloads = 0;      // successful ELDBs and ELDUs
  uint64_t mac_failures = 0;  // ELDB/ELDU answering SGX_MAC_COMPARE_FAIL
};

// A MAC header and a PCMD of zeros, for EWB and ELDx to fill in. Zeroed field by field:
// g++ -O2 clears a block over 96 bytes with rep stos, slow on blocks this short.
MacHeader blank_mac_header();
uapi::Pcmd blank_pcmd();

// CR_BASE_PK from Config::seed: the first 16 bytes of
// SHA-256("sgxref CR_BASE_PK" || seed as 8 little-endian bytes).
AesGcmPage::Key derive_base_pk(uint64_t seed);

}  // namespace sgxref::hw
