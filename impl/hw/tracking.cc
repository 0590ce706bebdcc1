#include "hw/tracking.h"

#include "hw/secs_private.h"

namespace sgxref::hw {

uint64_t epoch(MachineState& m, uint32_t secs_slot) {
  return load_secs_private(m.page(secs_slot)).epoch;
}

bool tracking_incomplete(MachineState& m, uint32_t secs_slot) {
  const uint64_t e = epoch(m, secs_slot);
  for (const CpuTracking& c : m.cpu_tracking()) {
    if (c.inside && c.secs == secs_slot && c.entry_epoch < e) return true;
  }
  return false;
}

bool enclave_active(MachineState& m, uint32_t secs_slot) {
  for (const CpuTracking& c : m.cpu_tracking()) {
    if (c.inside && c.secs == secs_slot) return true;
  }
  return false;
}

void stamp(MachineState& m, uint32_t slot) {
  EpcmEntry& e = m.epcm_entry(slot);
  e.stamp = epoch(m, e.secs);
  e.stamped = true;
}

bool tracking_correct(MachineState& m, uint32_t slot) {
  const EpcmEntry& e = m.epcm_entry(slot);
  if (!e.stamped) return true;
  if (e.stamp >= epoch(m, e.secs)) return false;
  for (const CpuTracking& c : m.cpu_tracking()) {
    if (c.inside && c.secs == e.secs && c.entry_epoch <= e.stamp) return false;
  }
  return true;
}

}  // namespace sgxref::hw
