// File: one run of a kernel selftest mirror, as the selftests' harness runs a TEST_F of
// FIXTURE(enclave): a fresh machine, setup_test_encl with the heap the test asks for,
// the test's body, encl_delete and the checks every run ends with; plus EXPECT_EEXIT as
// the mirrors assert it. Shared by the SGX1 and the SGX2 mirrors.
#pragma once

#include <cstdint>
#include <functional>

#include "scenarios/scenario.h"
#include "scenarios/scenario_result.h"
#include "scenarios/selftest_enclave.h"

namespace sgxref::scenarios {

// The heap setup_test_encl adds: one page (ENCL_HEAP_SIZE_DEFAULT), or the whole EPC.
enum class Heap { kDefault, kWholeEpc };

using Body = std::function<void(SelftestEnclave&, Recorder&, ScenarioResult&)>;

// FIXTURE_SETUP, the test's body, FIXTURE_TEARDOWN on an EPC of o.epc_pages (or
// kDefaultEpcPages) raised to `min_epc`; the machine is gone before the result is
// returned, so the transcript ends with everything the process's exit did.
ScenarioResult run_selftest(const char* name, const ScenarioOptions& o, uint32_t min_epc,
                            Heap heap, const Body& body);

// EXPECT_EEXIT with ENCL_CALL's return 0 and the exception fields a clean exit leaves
// at zero.
void expect_clean_eexit(Recorder& rec, const EnclaveCall& c);

}  // namespace sgxref::scenarios
