// File: the states a conformance run must reach to mean anything (issue: EWB success,
// NOT_TRACKED, PREV_TRK_INCMPL, a stale-TLB write, EACCEPT after EMODPR,
// MAC_COMPARE_FAIL, VA_SLOT_OCCUPIED, EPC_PAGE_CONFLICT), recognised from the model's
// state before an operation, the operation and its outcome.
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
  kEventCount
};

inline constexpr const char* kEventNames[kEventCount] = {
    "EWB success",       "SGX_NOT_TRACKED",      "SGX_PREV_TRK_INCMPL",  "stale-TLB write",
    "EACCEPT after EMODPR", "SGX_MAC_COMPARE_FAIL", "SGX_VA_SLOT_OCCUPIED", "SGX_EPC_PAGE_CONFLICT"};

// The events one operation shows. `before` is the model's state it ran in.
std::vector<Event> events(const model::arch::State<model::test::C>& before,
                          const model::test::Op& op,
                          const model::arch::Outcome<model::test::C>& out);

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
