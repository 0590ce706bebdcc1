// File: what `sgxref simulate` and the scenario part of `sgxref check` print: a
// scenario of props/scenarios run on the driver, with its transcript (each system call
// and its return, each enclave entry with the sgx_enclave_run fields it left, EPC
// evictions and reloads, driver WARNs) or one PASS/FAIL line.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "scenarios/scenario.h"

namespace sgxref::cli {

// The scenarios' names and summaries, one a line: the SGX1 mirrors, then the SGX2 ones.
void list_scenarios(std::ostream& out);

// The SGX1 or SGX2 selftest mirror named `name`, or null.
const scenarios::Scenario* find_scenario(const std::string& name);

// Runs `s` and prints its whole transcript; true when its assertions held.
bool simulate(const scenarios::Scenario& s, const scenarios::ScenarioOptions& o,
              std::ostream& out);

// How many of each group passed.
struct CheckedScenarios {
  size_t sgx1_passed = 0;
  size_t sgx1_total = 0;
  size_t sgx2_passed = 0;
  size_t sgx2_total = 0;

  bool sgx2_all_passed() const { return sgx2_passed == sgx2_total; }
  bool all_passed() const { return sgx1_passed == sgx1_total && sgx2_all_passed(); }
};

// Runs every SGX1 selftest mirror, then every SGX2 one, one PASS/FAIL line each (with the
// assertions that did not hold under a FAIL, and what a scenario scaled down), then
// the total.
CheckedScenarios check_scenarios(const scenarios::ScenarioOptions& o, std::ostream& out);

}  // namespace sgxref::cli
