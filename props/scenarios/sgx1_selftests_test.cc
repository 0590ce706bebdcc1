// The SGX1 kernel selftests (tools/testing/selftests/sgx/main.c) mirrored on the driver
// (scenarios/sgx1_selftests.h): each test asserts, from the values the scenario
// observed, what the selftest of the same name asserts, and that closing everything
// left the EPC free with no driver WARN. The scenario's own verdict is checked last, so
// a failure here names the value, not just "the scenario failed".
#include <gtest/gtest.h>

#include "scenarios/selftest_enclave.h"
#include "scenarios/sgx1_selftests.h"
#include "uapi/enclave_run.h"
#include "user/test_encl.h"

namespace sgxref::scenarios {
namespace {

constexpr uint32_t kEexit = uapi::enclu::kEexit;

std::string transcript(const ScenarioResult& r) {
  std::string s;
  for (const std::string& l : r.transcript) s += l + "\n";
  return s;
}

void expect_clean_eexit(const EnclaveCall& c) {
  EXPECT_EQ(c.ret, 0) << c.step;
  EXPECT_EQ(c.function, kEexit) << c.step;
  EXPECT_EQ(c.exception_vector, 0) << c.step;
  EXPECT_EQ(c.exception_error_code, 0) << c.step;
  EXPECT_EQ(c.exception_addr, 0u) << c.step;
}

// What closing everything leaves, for every scenario.
void expect_clean_teardown(const ScenarioResult& r) {
  EXPECT_EQ(r.load_ret, 0);
  EXPECT_EQ(r.free_pages_after_close, r.total_pages);
  EXPECT_EQ(r.total_pages, r.epc_pages);
  EXPECT_EQ(r.epcm_valid_after_close, 0u);
  EXPECT_EQ(r.mac_failures, 0u);
  EXPECT_EQ(r.warnings, 0u);
  for (const SysCall& s : r.syscalls) EXPECT_EQ(s.ret, 0) << s.what;
  EXPECT_TRUE(r.passed()) << transcript(r);
}

void expect_magic_put_and_got(const ScenarioResult& r) {
  ASSERT_EQ(r.calls.size(), 2u) << transcript(r);
  const EnclaveCall& put = r.calls[0];
  const EnclaveCall& get = r.calls[1];
  expect_clean_eexit(put);
  EXPECT_EQ(put.user_data, 0u);
  expect_clean_eexit(get);
  EXPECT_EQ(get.value, kMagic);
  EXPECT_EQ(get.user_data, 0u);
  EXPECT_EQ(put.tcs, r.base + user::test_encl::kTcs1);
}

TEST(Sgx1Selftest, unclobbered_vdso) {
  const ScenarioResult r = unclobbered_vdso({});
  expect_magic_put_and_got(r);
  for (const EnclaveCall& c : r.calls) EXPECT_TRUE(c.callee_saved_kept) << c.step;
  EXPECT_EQ(r.evictions, 0u);
  expect_clean_teardown(r);
}

TEST(Sgx1Selftest, unclobbered_vdso_oversubscribed) {
  const ScenarioResult r = unclobbered_vdso_oversubscribed({});
  EXPECT_GE(r.epc_pages, 1024u);
  EXPECT_EQ(r.heap_pages, r.epc_pages);
  expect_magic_put_and_got(r);
  for (const EnclaveCall& c : r.calls) EXPECT_TRUE(c.callee_saved_kept) << c.step;
  // A heap as large as the EPC: the build wrote out at least the pages the EPC could not
  // hold (the image's nine and the SECS beyond the heap), and the first entry brought
  // the image's back.
  EXPECT_GE(r.evictions, 9 + 1 + r.heap_pages - r.epc_pages);
  EXPECT_GT(r.calls[0].reloads, 0u);
  EXPECT_GT(r.reloads, 0u);
  EXPECT_GT(r.ksgxd_batches, 0u) << transcript(r);
  expect_clean_teardown(r);
}

TEST(Sgx1Selftest, unclobbered_vdso_oversubscribed_asked_for_a_small_epc_still_oversubscribes) {
  ScenarioOptions o;
  o.epc_pages = 64;
  const ScenarioResult r = unclobbered_vdso_oversubscribed(o);
  EXPECT_EQ(r.epc_pages, kOversubscribedMinEpcPages);
  EXPECT_GT(r.reloads, 0u);
  expect_clean_teardown(r);
}

TEST(Sgx1Selftest, clobbered_vdso) {
  const ScenarioResult r = clobbered_vdso({});
  expect_magic_put_and_got(r);
  // Called directly, the enclave's register clearing reaches the caller.
  for (const EnclaveCall& c : r.calls) EXPECT_FALSE(c.callee_saved_kept) << c.step;
  expect_clean_teardown(r);
}

TEST(Sgx1Selftest, clobbered_vdso_and_user_function) {
  const ScenarioResult r = clobbered_vdso_and_user_function({});
  // user_data was 0xdeadbeef going in; the handler cleared it.
  expect_magic_put_and_got(r);
  expect_clean_teardown(r);
}

TEST(Sgx1Selftest, tcs_entry) {
  const ScenarioResult r = tcs_entry({});
  ASSERT_EQ(r.calls.size(), 2u) << transcript(r);
  expect_clean_eexit(r.calls[0]);
  EXPECT_EQ(r.calls[0].tcs, r.base + user::test_encl::kTcs1);
  expect_clean_eexit(r.calls[1]);
  EXPECT_EQ(r.calls[1].tcs, r.base + user::test_encl::kTcs2);
  expect_clean_teardown(r);
}

TEST(Sgx1Selftest, pte_permissions) {
  const ScenarioResult r = pte_permissions({});
  ASSERT_EQ(r.calls.size(), 5u) << transcript(r);
  const uint64_t page2 = r.base + user::test_encl::kBuffer + 0x1000;
  expect_clean_eexit(r.calls[0]);  // write MAGIC
  expect_clean_eexit(r.calls[1]);  // read it
  EXPECT_EQ(r.calls[1].value, kMagic);

  const EnclaveCall& fault = r.calls[2];  // write MAGIC2 with the PTE read-only
  EXPECT_EQ(fault.ret, 0);
  EXPECT_EQ(fault.function, uapi::enclu::kEresume);
  EXPECT_EQ(fault.exception_vector, 14);
  EXPECT_EQ(fault.exception_error_code, 0x7);
  EXPECT_EQ(fault.exception_addr, page2);

  EXPECT_EQ(r.calls[3].leaf, uapi::enclu::kEresume);
  expect_clean_eexit(r.calls[3]);  // the write finished after mprotect RW
  expect_clean_eexit(r.calls[4]);
  EXPECT_EQ(r.calls[4].value, kMagic2);

  ASSERT_GE(r.syscalls.size(), 2u);
  EXPECT_EQ(r.syscalls[0].ret, 0) << r.syscalls[0].what;
  EXPECT_EQ(r.syscalls[1].ret, 0) << r.syscalls[1].what;
  expect_clean_teardown(r);
}

TEST(Sgx1Selftest, registry_names_every_mirror_in_main_c_order) {
  std::vector<std::string> names;
  for (const Scenario& s : sgx1_selftests()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"unclobbered_vdso", "unclobbered_vdso_oversubscribed",
                                             "clobbered_vdso", "clobbered_vdso_and_user_function",
                                             "tcs_entry", "pte_permissions"}));
  EXPECT_EQ(find_sgx1_selftest("tcs_entry")->run, &tcs_entry);
  EXPECT_EQ(find_sgx1_selftest("tcs_permissions"), nullptr);
}

TEST(Sgx1Selftest, same_seed_same_transcript) {
  ScenarioOptions o;
  o.seed = 42;
  EXPECT_EQ(pte_permissions(o).transcript, pte_permissions(o).transcript);
}

}  // namespace
}  // namespace sgxref::scenarios
