// File: whether an enclave still has pages resident in the EPC, the condition under
// which its SECS may be neither removed nor evicted (SGX_CHILD_PRESENT).
#pragma once

#include <cstdint>

#include "hw/machine_state.h"

namespace sgxref::hw {

// Whether any valid EPC page names the SECS in `secs_slot` as its enclave. SECS and VA
// pages belong to no enclave (their ENCLAVESECS is meaningless).
inline bool has_resident_child(MachineState& m, uint32_t secs_slot) REQUIRES(m.mu()) {
  for (uint32_t i = 0; i < m.epc_pages(); ++i) {
    const EpcmEntry& e = m.epcm_entry(i);
    if (e.valid && e.type != PageType::kSecs && e.type != PageType::kVa && e.secs == secs_slot) {
      return true;
    }
  }
  return false;
}

}  // namespace sgxref::hw
