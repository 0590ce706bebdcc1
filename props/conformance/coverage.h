// File: the states a conformance run must reach to mean anything, recognised from the
// model's state before an operation, the operation and its outcome: the flows' key steps
// (EWB, NOT_TRACKED, PREV_TRK_INCMPL, a stale-TLB write, EACCEPT after EMODPR, ELDU,
// EACCEPTCOPY), every EPCM check a TLB fill makes failing on its own, each field ELDU's
// MAC binds being what fails it, the measurement EINIT compares, EREPORT's key, contents
// read back through the TLB and through a walk, a translation the page table no longer
// has, and each kind of lock a leaf in flight holds refusing another leaf.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/op.h"

namespace sgxref::conformance {

enum Event : int {
  kEwbSuccess,
  kNotTracked,
  kPrevTrkIncmpl,
  kStaleTlbWrite,
  kAcceptAfterEmodpr,
  kMacCompareFail,
  kVaSlotOccupied,
  kEpcPageConflict,
  kEldSuccess,
  kAcceptcopySuccess,
  kLoadThroughTlb,
  kLoadThroughWalk,
  kStoreThroughTlb,
  kStoreThroughWalk,
  kStalePteUsed,
  kFillInvalid,
  kFillEnclave,
  kFillAddress,
  kFillType,
  kFillBlocked,
  kFillPending,
  kFillModified,
  kFillR,
  kFillW,
  kFillX,
  kMacVersion,
  kMacEnclave,
  kMacAddress,
  kMacFlags,
  kMacContents,
  kEinitSuccess,
  kEinitMeasurement,
  kEreportOwnKey,
  kEreportOtherKey,
  kOtherSpaceEntry,
  kLockPage,
  kLockSgx2,
  kLockVaSlot,
  kLockTracking,
  kLockMeasurement,
  kEventCount
};

inline constexpr const char* kEventNames[kEventCount] = {
    "EWB success",          "SGX_NOT_TRACKED",       "SGX_PREV_TRK_INCMPL",
    "stale-TLB write",      "EACCEPT after EMODPR",  "SGX_MAC_COMPARE_FAIL",
    "SGX_VA_SLOT_OCCUPIED", "SGX_EPC_PAGE_CONFLICT", "ELDB/ELDU success",
    "EACCEPTCOPY success",  "load through the TLB",  "load through a walk",
    "store through the TLB", "store through a walk", "stale PTE translation used",
    "fill refused: invalid", "fill refused: enclave", "fill refused: address",
    "fill refused: type",   "fill refused: BLOCKED", "fill refused: PENDING",
    "fill refused: MODIFIED", "fill refused: R",     "fill refused: W",
    "fill refused: X",      "MAC fails: version",    "MAC fails: enclave",
    "MAC fails: address",   "MAC fails: flags",      "MAC fails: contents",
    "EINIT success",        "EINIT measurement",     "EREPORT own key",
    "EREPORT other key",    "entry in space 1",      "lock: page",
    "lock: SGX2",           "lock: VA slot",         "lock: tracking",
    "lock: measurement"};

// The events one operation shows. `before` is the model's state it ran in.
std::vector<Event> events(const model::arch::State<model::test::C>& before,
                          const model::test::Op& op,
                          const model::arch::Outcome<model::test::C>& out);

// The events an overlap shows: the other operation's, and the lock that refused it.
std::vector<Event> overlap_events(const model::arch::State<model::test::C>& before,
                                  const model::test::OverlapOp& op,
                                  const model::test::OverlapOutcome& out);

// Counts events over a whole run, and how many test cases saw each.
class Coverage {
 public:
  void start_case() { seen_.fill(false); }
  void add(Event e) {
    ++commands_[size_t(e)];
    if (!seen_[size_t(e)]) ++cases_[size_t(e)];
    seen_[size_t(e)] = true;
  }
  uint64_t commands(Event e) const { return commands_[size_t(e)]; }
  uint64_t cases(Event e) const { return cases_[size_t(e)]; }
  std::string report() const;

 private:
  std::array<uint64_t, kEventCount> commands_{};
  std::array<uint64_t, kEventCount> cases_{};
  std::array<bool, kEventCount> seen_{};
};

}  // namespace sgxref::conformance
