// File: the emulated SGX machine: physical memory (RAM and EPC with its EPCM), the
// logical CPUs, and the package-wide registers (CR_NEXT_EID, the measurement state of
// enclaves being built). Thread-safe: any number of host threads may drive its CPUs.
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
#include "hw/crypto/sha256.h"
#include "hw/epc.h"
#include "hw/fault.h"
#include "hw/leaf_locks.h"
#include "hw/paging_state.h"
#include "hw/ram.h"
#include "hw/snapshot.h"
#include "sched/mutex.h"

namespace sgxref::hw {

class Cpu;

class Machine {
 public:
  explicit Machine(const Config& cfg = Config{});
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const Config& config() const { return cfg_; }
  uint32_t cpu_count() const { return uint32_t(cpus_.size()); }
  Cpu& cpu(uint32_t i) { return *cpus_.at(i); }

  Ram& ram() { return ram_; }

  // Delivers an interrupt to logical CPU `cpu`, as an OS's IPI does: if the CPU is in
  // enclave mode it performs an AEX there, under that CPU's lock, and the thread
  // driving the CPU sees it at its next step; otherwise nothing architectural happens.
  // Waits only for the instruction the CPU is executing (an ENCLU leaf, a memory
  // access) to finish, never for a lock the driving thread holds outside the emulator.
  // Call it holding no emulator lock (Machine::mu() comes after every CPU's lock).
  void ipi(uint32_t cpu);

  // The EPC. Page bytes are protected by the architectural lock of the leaf touching
  // them; EPCM entries and lock state by mu().
  uint32_t epc_pages() const { return epc_.pages(); }
  std::optional<uint32_t> epc_slot(PAddr pa) const { return epc_.slot(pa); }
  PAddr epc_addr(uint32_t slot) const { return epc_.addr(slot); }
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

  // Non-enclave access to physical memory, as ring-0 code (and ENCLS reading its
  // operands) makes it: RAM reads and writes; EPC reads return all-ones and writes are
  // dropped (abort-page semantics); anything else is #PF(addr). [pa, pa+n) must lie in
  // one page.
  Result read(PAddr pa, void* out, size_t n) const;
  Result write(PAddr pa, const void* in, size_t n);

  // Inspection.
  EpcmEntry epcm(uint32_t slot) const EXCLUDES(mu_);
  SecsView secs(uint32_t slot) const EXCLUDES(mu_);
  Snapshot snapshot() const EXCLUDES(mu_);
  Counters counters() const EXCLUDES(mu_);
  CpuView cpu_view(uint32_t cpu) const;
  TrackingView tracking(uint32_t secs_slot) const EXCLUDES(mu_);
  // The 512 version slots of `slot` if it holds a valid VA page, else nothing.
  std::vector<uint64_t> va_slots(uint32_t slot) const EXCLUDES(mu_);

  // The state mutex: guards the EPCM, the architectural lock state, the package
  // registers and the counters but the per-leaf ones. Leaves take it for short
  // critical sections and never hold it across a scheduling point.
  sched::Mutex& mu() RETURN_CAPABILITY(mu_) { return mu_; }

  // Package registers, used by the leaves.
  uint64_t take_next_eid() REQUIRES(mu_) { return next_eid_++; }
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
  // One CPU's counts, by leaf. Atomic so that inspection may read them while they grow.
  struct LeafCounts {
    std::array<std::atomic<uint64_t>, kLeafCount> calls{}, faults{}, codes{};
  };

  Config cfg_;
  Ram ram_;
  Epc epc_;
  std::vector<std::unique_ptr<Cpu>> cpus_;
  mutable sched::Mutex mu_{"hw.state"};
  uint64_t next_eid_ GUARDED_BY(mu_) = 1;
  // MRENCLAVE's running SHA-256 state for each enclave not yet initialized, by enclave
  // id. Kept beside the EPC (not in the SECS page) because the hash state is OpenSSL's
  // opaque context; keyed by EID so it follows the SECS through EWB and ELDU.
  std::map<uint64_t, Sha256> measurements_ GUARDED_BY(mu_);
  std::unique_ptr<LeafCounts[]> leaf_counts_;  // by CPU id
  uint64_t aex_ GUARDED_BY(mu_) = 0;
  uint64_t interrupts_ GUARDED_BY(mu_) = 0;
  std::vector<CpuTracking> cpu_tracking_ GUARDED_BY(mu_);
  PagingState paging_ GUARDED_BY(mu_);
  const AesGcmPage paging_cipher_;
};

}  // namespace sgxref::hw
