// File: what `sgxref simulate` and the scenario part of `sgxref check` print: a
// scenario of props/scenarios run on the driver, with its transcript (each system call
// and its return, each enclave entry with the sgx_enclave_run fields it left, EPC
// evictions and reloads, driver WARNs) or one PASS/FAIL line.
#pragma once

#include <ostream>
#include <string>

#include "scenarios/sgx1_selftests.h"

namespace sgxref::cli {

// The scenarios' names and summaries, one a line.
void list_scenarios(std::ostream& out);

// Runs `s` and prints its whole transcript; true when its assertions held.
bool simulate(const scenarios::Scenario& s, const scenarios::ScenarioOptions& o,
              std::ostream& out);

// Runs every SGX1 selftest mirror, one PASS/FAIL line each (with the assertions that
// did not hold under a FAIL); true when all passed.
bool check_scenarios(const scenarios::ScenarioOptions& o, std::ostream& out);

}  // namespace sgxref::cli
