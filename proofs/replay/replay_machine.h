// File: impl/driver running a flow's threads under a schedule. The machine builds the
// replay enclave (replay_enclave.h) through the loader, maps and touches every page so
// no first-touch fault adds scheduling points, clears the data pages' Accessed bits and
// leaves only the data pages on the LRU, as the flows' world starts; the layout's holes
// are mapped with no page behind them; for REMOVE_PAGES the data pages are trimmed first
// (MODIFY_TYPES, before the run). Then one controlled run: the flow's ioctl
// (RESTRICT_PERMISSIONS to read-only, MODIFY_TYPES to TRIM, or REMOVE_PAGES, over the
// data pages) or
// the EAUG fault (a read of the first hole) from a task of the process, ksgxd's batch
// from a kernel thread (manual mode: sgx_reclaim_pages once), each enclave thread
// through the vDSO;
// thread t of the flow is thread t + 1 of the run (0 is its main). Afterwards every
// evicted data page is loaded back so its EPCM entry can be read.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driver/alternatives.h"
#include "hw/epcm_entry.h"
#include "flows/layout.h"
#include "sched/schedule.h"

namespace sgxref::proofs::replay {

// What a flow's thread is on the driver.
enum class Role { kRestrictIoctl, kModifyTypesIoctl, kRemoveIoctl, kEaugFault, kKsgxd, kEnclaveThread };

inline constexpr uint64_t kNoAnswer = ~uint64_t(0);

// What the driver did in one run.
struct DriverOutcome {
  sched::Outcome run;
  bool ioctl_returned = false;
  long rv = 0;               // the ioctl's return value
  uint64_t count_pages = 0;  // its `count`, in pages
  bool fault_returned = false;
  bool hole_mapped = false;  // the EAUG fault's read went through (else SIGBUS)
  // By enclave thread, by data page: EACCEPT's answer (RAX), or kNoAnswer.
  std::vector<std::vector<uint64_t>> accepts;
  std::map<std::string, uint64_t> warnings;  // the driver's WARNs by what failed
  // By data page: its EPCM entry after the run, or none for a page that could not be
  // loaded back (its write-out failed: the page is lost) or that REMOVE_PAGES removed.
  std::vector<std::optional<hw::EpcmEntry>> epcm;
  std::vector<bool> removed;  // by data page: no longer in the enclave's page_array
  // With `states` asked: the driver and EPCM after each step of the plan.
  std::vector<std::string> states;
};



class ReplayMachine {
 public:
  // `ioctl`: thread 0's role (for an ioctl, the one the enclave threads' EACCEPTs answer).
  ReplayMachine(const flows::Layout& l, const driver::Alternatives& alt, Role ioctl);
  ~ReplayMachine();
  ReplayMachine(const ReplayMachine&) = delete;
  ReplayMachine& operator=(const ReplayMachine&) = delete;

  // One run of `roles` (the flow's threads in order) under replay(plan, vocabulary).
  // Once per machine.
  DriverOutcome run(const std::vector<Role>& roles, const sched::Schedule& plan,
                    const std::vector<std::string>& vocabulary, bool states);

 private:
  struct Parts;
  std::unique_ptr<Parts> p_;
};

}  // namespace sgxref::proofs::replay
