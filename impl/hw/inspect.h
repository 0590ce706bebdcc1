// File: inspection, the emulator's third face: read-only views of the architectural
// state software cannot read (the EPCM, SECS contents, a CPU's TLB and enclave
// context, tracking, VA slots, page bytes, the counters) for props, proofs, cli, bench
// and the bindings. impl/kernel and impl/driver may not include it
// (scripts/check-layering): Linux cannot read an EPCM entry either.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/crypto/aes_gcm.h"
#include "hw/epcm_entry.h"
#include "hw/machine.h"
#include "hw/machine_state.h"
#include "hw/snapshot.h"
#include "sched/mutex.h"

namespace sgxref::hw {

// Cheap to make: it holds a reference to the machine, which must outlive it.
class Inspector {
 public:
  explicit Inspector(const Machine& m) : m_(m), s_(m) {}

  EpcmEntry epcm(uint32_t slot) const EXCLUDES(s_.mu_);
  // The entry read without the state mutex, for a controlled run's strategy at a
  // decision (where taking a lock would be a scheduling point inside the scheduler):
  // every other thread of the run stands at a scheduling point then, and no leaf holds
  // the mutex across one, so the EPCM is between updates. Sound nowhere else.
  EpcmEntry epcm_at_decision(uint32_t slot) const NO_THREAD_SAFETY_ANALYSIS {
    return s_.epc_.epcm(slot);
  }
  SecsView secs(uint32_t slot) const EXCLUDES(s_.mu_);
  // Takes every CPU's lock, then the state mutex: call it holding neither.
  Snapshot snapshot() const EXCLUDES(s_.mu_);
  Counters counters() const EXCLUDES(s_.mu_);
  CpuView cpu_view(uint32_t cpu) const EXCLUDES(s_.mu_);
  TrackingView tracking(uint32_t secs_slot) const EXCLUDES(s_.mu_);
  // The 512 version slots of `slot` if it holds a valid VA page, else nothing.
  std::vector<uint64_t> va_slots(uint32_t slot) const EXCLUDES(s_.mu_);
  // The bytes of EPC page `slot` as they are now; read them while no leaf writes there.
  const uint8_t* page(uint32_t slot) const { return s_.page(slot); }
  // The cipher keyed with CR_BASE_PK, to open the blobs EWB writes.
  const AesGcmPage& paging_cipher() const { return s_.paging_cipher(); }

 private:
  const Machine& m_;
  const MachineState& s_;
};

}  // namespace sgxref::hw
