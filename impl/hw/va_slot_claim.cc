#include "hw/va_slot_claim.h"

#include <algorithm>

namespace sgxref::hw {

bool claim_va_slot(MachineState& m, VaSlotClaim& claim, PAddr slot_addr) {
  std::vector<PAddr>& busy = m.paging().busy_va_slots;
  if (std::find(busy.begin(), busy.end(), slot_addr) != busy.end()) return false;
  busy.push_back(slot_addr);
  claim.slot_addr_ = slot_addr;
  claim.held_ = true;
  return true;
}

void release_va_slot(MachineState& m, VaSlotClaim& claim) {
  if (!claim.held_) return;
  std::vector<PAddr>& busy = m.paging().busy_va_slots;
  *std::find(busy.begin(), busy.end(), claim.slot_addr_) = busy.back();
  busy.pop_back();
  claim.held_ = false;
}

VaSlotClaim::~VaSlotClaim() {
  if (!held_) return;
  sched::MutexLock l(m_.mu());
  release_va_slot(m_, *this);
}

}  // namespace sgxref::hw
