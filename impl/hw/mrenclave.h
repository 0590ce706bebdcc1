// File: the running MRENCLAVE of an enclave being built. ECREATE starts it, EADD and
// EEXTEND extend it, EINIT finalizes it; it lives in MachineState::measurements() by the
// enclave id that the SECS page's hardware-private area holds (secs_private.h).
#pragma once

#include <cstdint>
#include <cstdlib>

#include "hw/crypto/sha256.h"
#include "hw/machine_state.h"
#include "hw/secs_private.h"

namespace sgxref::hw {

// The running hash of the uninitialized enclave whose SECS is in `secs_slot`.
inline Sha256& running_mrenclave(MachineState& m, uint32_t secs_slot) REQUIRES(m.mu()) {
  auto it = m.measurements().find(load_secs_private(m.page(secs_slot)).eid);
  // ECREATE creates the entry with the SECS and only EINIT or EREMOVE of that SECS
  // drops it, so an uninitialized SECS without one is an emulator bug.
  if (it == m.measurements().end()) std::abort();
  return it->second;
}

}  // namespace sgxref::hw
