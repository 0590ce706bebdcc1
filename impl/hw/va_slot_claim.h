// File: the Version Array slot one EWB or ELDB/ELDU is using. The leaf holds the VA page
// Shared (other slots of the page stay usable) and claims its own slot with
// claim_va_slot, under the state mutex, after the page lock; the claim is dropped when
// the leaf returns: by release_va_slot in the critical section of its commit, or else
// by the destructor.
#pragma once

#include "hw/address.h"
#include "hw/machine_state.h"

namespace sgxref::hw {

class VaSlotClaim {
 public:
  explicit VaSlotClaim(MachineState& m) : m_(m) {}
  ~VaSlotClaim();
  VaSlotClaim(const VaSlotClaim&) = delete;
  VaSlotClaim& operator=(const VaSlotClaim&) = delete;

 private:
  friend bool claim_va_slot(MachineState& m, VaSlotClaim& claim, PAddr slot_addr);
  friend void release_va_slot(MachineState& m, VaSlotClaim& claim);
  MachineState& m_;
  PAddr slot_addr_ = 0;
  bool held_ = false;
};

// Claims the slot at `slot_addr` for the leaf holding `claim` (made for `m`); false if
// another running leaf has it.
bool claim_va_slot(MachineState& m, VaSlotClaim& claim, PAddr slot_addr) REQUIRES(m.mu());

// Drops the claim, if `claim` holds one.
void release_va_slot(MachineState& m, VaSlotClaim& claim) REQUIRES(m.mu());

}  // namespace sgxref::hw
