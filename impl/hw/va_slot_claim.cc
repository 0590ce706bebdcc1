#include "hw/va_slot_claim.h"

namespace sgxref::hw {

bool claim_va_slot(Machine& m, VaSlotClaim& claim, PAddr slot_addr) {
  if (!m.paging().busy_va_slots.insert(slot_addr).second) return false;
  claim.slot_addr_ = slot_addr;
  claim.held_ = true;
  return true;
}

VaSlotClaim::~VaSlotClaim() {
  if (!held_) return;
  sched::MutexLock l(m_.mu());
  m_.paging().busy_va_slots.erase(slot_addr_);
}

}  // namespace sgxref::hw
