// File: the ETRACK epoch rule of docs/hw.md "Tracking", for the leaves that need
// them: ETRACK advances an enclave's epoch; EENTER/ERESUME record it on the CPU;
// EBLOCK, EMODPR and EMODT stamp the page they change; EWB (of REG/TCS/TRIM pages) and
// EACCEPT refuse with SGX_NOT_TRACKED until the stamp is tracked; EREMOVE refuses with
// SGX_ENCLAVE_ACT while a CPU runs in the enclave. All under MachineState::mu().
#pragma once

#include <cstdint>

#include "hw/machine_state.h"

namespace sgxref::hw {

// The epoch E of the enclave whose SECS is in `secs_slot`.
uint64_t epoch(MachineState& m, uint32_t secs_slot) REQUIRES(m.mu());

// Whether a CPU inside that enclave entered before its last ETRACK (SDM's
// SECS.TRACKING != 0): the next ETRACK answers SGX_PREV_TRK_INCMPL.
bool tracking_incomplete(MachineState& m, uint32_t secs_slot) REQUIRES(m.mu());

// Whether any logical CPU is executing inside that enclave.
bool enclave_active(MachineState& m, uint32_t secs_slot) REQUIRES(m.mu());

// EBLOCK, EMODPR and EMODT: stamp the page in `slot` with its enclave's current epoch.
void stamp(MachineState& m, uint32_t slot) REQUIRES(m.mu());

// "Tracking correct" for the page in `slot`: it is unstamped, or an ETRACK has run since
// the stamp and no CPU that was inside at the stamp is still inside. EWB and EACCEPT
// answer SGX_NOT_TRACKED otherwise.
bool tracking_correct(MachineState& m, uint32_t slot) REQUIRES(m.mu());

}  // namespace sgxref::hw
