// File: the states a uapi conformance run must reach to mean anything, counted per test
// case. For the enclave's run: the driver's (issue 10's list, as far as these commands
// go: a fault that reloads a page by ELDU, one that reloads the SECS first, an EAUG on
// fault, an SGX2 ioctl that stopped partway) and the model's (each kind of change
// accepted, an EACCEPTCOPY, a page removed, rights extended, a new TCS and the SIGBUS of its old
// mapping, a stopped thread resumed, mprotect refused and stopped at a gap, mmap
// refused, an access its mapping forbids with and without a PTE there: the two members
// of that allowed set, and one where nothing is mapped). For the build:
// CREATE refused, ADD_PAGES refusing an added offset, a TCS EADD refuses and stopping
// partway, INIT succeeding (with PROVISIONKEY too) and refusing (-EPERM, -EACCES, and
// -EINVAL for a reserved bit).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sgxref::props {

class UapiCoverage {
 public:
  explicit UapiCoverage(std::vector<std::string> required = {}) : required_(std::move(required)) {}

  // The enclave's run: the driver's states, then the model's.
  static std::vector<std::string> running() {
    return {"ELDU on fault",
            "SECS reloaded on fault",
            "EAUG on fault",
            "partial count",
            "EACCEPT of an EAUG",
            "EACCEPT of a restriction",
            "EACCEPT of a TRIM",
            "EACCEPT of a TCS",
            "EACCEPTCOPY of an EAUG",
            "page removed",
            "EMODPE",
            "REG made TCS",
            "SIGBUS: mapped beyond max",
            "ERESUME completed",
            "mprotect refused",
            "mprotect over a gap",
            "mmap refused: beyond a page's max",
            "SIGSEGV: the mapping forbids, PTE there",
            "SIGSEGV: the mapping forbids, no PTE",
            "SIGSEGV: no mapping",
            "a charge refused at the group's limit",
            "a fault waited for the group's reclaim"};
  }
  // The fault properties: each failure point stopping a call, and absorbed.
  // The fault properties: each failure point that the run can meet, stopping a call
  // (its answer only the failure explains) or absorbed by the driver (a fault taken
  // again, EWB's page put back on the LRU). The running enclave never needs a new VA
  // page (66 pages fill one), and its SGX2 walks check no signal.
  static std::vector<std::string> running_under_faults() {
    return {"backing.alloc: absorbed", "epc.alloc: a call stopped", "epc.alloc: absorbed",
            "kmalloc: absorbed", "copy_from_user: a call stopped"};
  }
  static std::vector<std::string> building_under_faults() {
    return {"backing.alloc: absorbed",      "epc.alloc: a call stopped",
            "epc.alloc: absorbed",          "va.alloc: a call stopped",
            "kmalloc: a call stopped",      "copy_from_user: a call stopped",
            "signal.pending: a call stopped"};
  }
  // The build.
  static std::vector<std::string> building() {
    return {"CREATE refused",
            "ADD_PAGES -EBUSY",
            "ADD_PAGES -EIO",
            "ADD_PAGES partial count",
            "enclave built and initialized",
            "initialized with PROVISIONKEY",
            "INIT refused: not built as signed",
            "INIT refused: PROVISIONKEY not allowed",
            "INIT refused: a reserved bit asked for"};
  }
  const std::vector<std::string>& required() const { return required_; }

  void note(const std::string& event) { seen_.insert(event); }
  void end_case() {
    for (const std::string& e : seen_) ++cases_[e];
    seen_.clear();
    ++total_;
  }
  uint64_t cases(const std::string& event) const {
    const auto it = cases_.find(event);
    return it == cases_.end() ? 0 : it->second;
  }
  std::string report() const {
    std::string s;
    for (const std::string& e : required_) {
      s += "  " + e + ": " + std::to_string(cases(e)) + " of " + std::to_string(total_) +
           " cases\n";
    }
    return s;
  }

 private:
  std::vector<std::string> required_;
  std::map<std::string, uint64_t> cases_;
  std::set<std::string> seen_;
  uint64_t total_ = 0;
};

}  // namespace sgxref::props
