// File: the state the leaves work on and software cannot see: the EPC's bytes with the
// EPCM and the architectural lock state, the package registers (CR_NEXT_EID, the
// measurements of enclaves being built, paging), the CPUs' tracking state and the
// counters. Machine inherits it privately, so a kernel holding a Machine cannot reach
// it; the leaves (Cpu, a friend of Machine, and the helpers it passes the state to),
// the Inspector and, for tests that forge a state, hw/internals.h can.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "hw/address.h"
#include "hw/config.h"
#include "hw/cpu_tracking.h"
#include "hw/crypto/aes_gcm.h"
#include "hw/crypto/sha256.h"
#include "hw/epc.h"
#include "hw/fault.h"
#include "hw/leaf.h"
#include "hw/leaf_locks.h"
#include "hw/paging_state.h"
#include "sched/mutex.h"

namespace sgxref::hw {

class MachineState {
 public:
  explicit MachineState(const Config& cfg);
  MachineState(const MachineState&) = delete;
  MachineState& operator=(const MachineState&) = delete;

  // The EPC section's physical range, which the platform face shows too (Linux reads it
  // from CPUID leaf 12h).
  uint32_t epc_pages() const { return epc_.pages(); }
  std::optional<uint32_t> epc_slot(PAddr pa) const { return epc_.slot(pa); }
  PAddr epc_addr(uint32_t slot) const { return epc_.addr(slot); }

  // Page bytes are protected by the architectural lock of the leaf touching them; EPCM
  // entries and lock state by mu().
  uint8_t* page(uint32_t slot) { return epc_.page(slot); }
  const uint8_t* page(uint32_t slot) const { return epc_.page(slot); }
  EpcmEntry& epcm_entry(uint32_t slot) REQUIRES(mu_) { return epc_.epcm(slot); }
  const PageLockState& page_lock(uint32_t slot) const REQUIRES(mu_) { return epc_.lock(slot); }
  // Takes architectural lock `kind` on `slot` for the leaf holding `held`, or returns
  // false if a conflicting holder has it (the leaf then answers #GP or a code).
  bool lock_page(LeafLocks& held, uint32_t slot, LockKind kind) REQUIRES(mu_);
  // Releases every lock `held` has. A leaf's commit calls it in its own critical
  // section, sparing a second trip through the mutex; ~LeafLocks covers other returns.
  void unlock_pages(LeafLocks& held) REQUIRES(mu_);

  // The state mutex: guards the EPCM, the architectural lock state, the package
  // registers and the counters but the per-leaf ones. Leaves take it for short
  // critical sections and never hold it across a scheduling point. It comes after
  // every CPU's lock.
  sched::Mutex& mu() RETURN_CAPABILITY(mu_) { return mu_; }

  // Package registers.
  uint64_t take_next_eid() REQUIRES(mu_) { return next_eid_++; }
  // MRENCLAVE's running SHA-256 state for each enclave not yet initialized, by enclave
  // id. Kept beside the EPC (not in the SECS page) because the hash state is OpenSSL's
  // opaque context; keyed by EID so it follows the SECS through EWB and ELDU.
  std::map<uint64_t, Sha256>& measurements() REQUIRES(mu_) { return measurements_; }
  // Counts the outcome of a leaf logical CPU `cpu` finished; only the thread driving
  // that CPU calls it. Needs no lock: the counts are no part of any leaf's atomic step.
  void count(uint32_t cpu, int leaf, const Result& r);
  // Tracking state of every logical CPU, by CPU id (tracking.h).
  std::vector<CpuTracking>& cpu_tracking() REQUIRES(mu_) { return cpu_tracking_; }
  void count_aex(bool interrupt) REQUIRES(mu_) {
    ++aex_;
    if (interrupt) ++interrupts_;
  }
  // Paging (EWB, ELDB/ELDU): the version register, VA slots in use, counters; and the
  // cipher keyed with CR_BASE_PK, which needs no lock.
  PagingState& paging() REQUIRES(mu_) { return paging_; }
  const AesGcmPage& paging_cipher() const { return paging_cipher_; }

 private:
  friend class Inspector;

  // One CPU's counts, by leaf. Atomic so that inspection may read them while they grow.
  struct LeafCounts {
    std::array<std::atomic<uint64_t>, kLeafCount> calls{}, faults{}, codes{};
  };

  Epc epc_;
  mutable sched::Mutex mu_{"hw.state"};
  uint64_t next_eid_ GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Sha256> measurements_ GUARDED_BY(mu_);
  std::unique_ptr<LeafCounts[]> leaf_counts_;  // by CPU id
  uint64_t aex_ GUARDED_BY(mu_) = 0;
  uint64_t interrupts_ GUARDED_BY(mu_) = 0;
  std::vector<CpuTracking> cpu_tracking_ GUARDED_BY(mu_);
  PagingState paging_ GUARDED_BY(mu_);
  const AesGcmPage paging_cipher_;
};

}  // namespace sgxref::hw
