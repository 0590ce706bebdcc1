// File: our mirror of each SGX2 test of the kernel selftests
// (tools/testing/selftests/sgx/main.c): the page-modification ioctls (RESTRICT_PERMISSIONS,
// MODIFY_TYPES, REMOVE_PAGES), EAUG on fault, EACCEPT and EMODPE from inside, run on the
// driver through the loader and the vDSO's entry, named after the test it mirrors and
// asserting what it asserts (ioctl return, errno, result and count; run.function and
// the exception fields; values read back; EACCEPT's return), plus what every run here
// ends with (every EPC page free once everything is closed, no driver WARN).
//
// Where a selftest SKIPs (the ioctl missing: ENOTTY; no SGX2: ENODEV; no EAUG), the
// mirror does not: the machine has SGX2, so it asserts Linux's answer on the SGX2 path.
// Where a selftest uses sizes that would take minutes here, the mirror scales them down
// and says so (ScenarioResult::scaled, the transcript, the summary).
// A library, not a gtest: `sgxref simulate` and `check` run them, and
// sgx2_selftests_test.cc asserts on the results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/scenario.h"
#include "scenarios/scenario_result.h"

namespace sgxref::scenarios {

// augment_via_eaccept's edmm_space (8 GiB in the selftest, every page EACCEPTed): the
// pages of ELRANGE the 64 KiB test enclave leaves past its image and one-page heap,
// less one, so the selftest's EXPECT_LT(total_size + edmm_space, encl_size) holds.
inline constexpr uint64_t kEdmmSpacePages = 5;

ScenarioResult unclobbered_vdso_oversubscribed_remove(const ScenarioOptions& o);
ScenarioResult tcs_permissions(const ScenarioOptions& o);
ScenarioResult epcm_permissions(const ScenarioOptions& o);
ScenarioResult augment(const ScenarioOptions& o);
ScenarioResult augment_via_eaccept(const ScenarioOptions& o);
ScenarioResult tcs_create(const ScenarioOptions& o);
ScenarioResult remove_added_page_no_eaccept(const ScenarioOptions& o);
ScenarioResult remove_added_page_invalid_access(const ScenarioOptions& o);
ScenarioResult remove_added_page_invalid_access_after_eaccept(const ScenarioOptions& o);
ScenarioResult remove_untouched_page(const ScenarioOptions& o);

// Every SGX2 selftest mirror, in main.c's order.
const std::vector<Scenario>& sgx2_selftests();
// The one named `name`, or null.
const Scenario* find_sgx2_selftest(const std::string& name);

}  // namespace sgxref::scenarios
