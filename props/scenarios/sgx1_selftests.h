// File: our mirror of each SGX1 test of the kernel selftests
// (tools/testing/selftests/sgx/main.c), run on the driver through the loader and the
// vDSO's entry, named after the test it mirrors and asserting what it asserts, plus what
// every run here must end with (every EPC page free once everything is closed, no
// driver WARN). A library, not a gtest: `sgxref simulate` runs and prints them, and
// sgx1_selftests_test.cc asserts on the results.
#pragma once

#include <string>
#include <vector>

#include "scenarios/scenario.h"
#include "scenarios/scenario_result.h"

namespace sgxref::scenarios {

ScenarioResult unclobbered_vdso(const ScenarioOptions& o);
ScenarioResult unclobbered_vdso_oversubscribed(const ScenarioOptions& o);
ScenarioResult clobbered_vdso(const ScenarioOptions& o);
ScenarioResult clobbered_vdso_and_user_function(const ScenarioOptions& o);
ScenarioResult tcs_entry(const ScenarioOptions& o);
ScenarioResult pte_permissions(const ScenarioOptions& o);

// Every SGX1 selftest mirror, in main.c's order.
const std::vector<Scenario>& sgx1_selftests();
// The one named `name`, or null.
const Scenario* find_sgx1_selftest(const std::string& name);

}  // namespace sgxref::scenarios
