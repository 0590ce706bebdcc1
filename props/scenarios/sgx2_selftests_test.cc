// The SGX2 kernel selftests (tools/testing/selftests/sgx/main.c) mirrored on the driver
// (scenarios/sgx2_selftests.h): each test asserts, from the values the scenario
// observed, what the selftest of the same name asserts (ioctl return, errno, result and
// count; run.function and the exception fields; values read back; EACCEPT's return),
// and that closing everything left the EPC free with no driver WARN. The scenario's own
// verdict is checked last, so a failure here names the value first.
#include <gtest/gtest.h>

#include <cerrno>

#include "scenarios/selftest_enclave.h"
#include "scenarios/sgx2_selftests.h"
#include "uapi/enclave_run.h"
#include "user/test_encl.h"

namespace sgxref::scenarios {
namespace {

constexpr uint32_t kEexit = uapi::enclu::kEexit;
constexpr uint32_t kEresume = uapi::enclu::kEresume;
constexpr uint64_t kPage = 4096;
// The test enclave's page2: the second page of its data segment.
constexpr uint64_t kPage2 = user::test_encl::kBuffer + kPage;

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

void expect_accepted(const EnclaveCall& c) {
  expect_clean_eexit(c);
  EXPECT_EQ(c.eaccept_ret, 0u) << c.step;
}

void expect_page_fault(const EnclaveCall& c, uint16_t error_code, uint64_t addr) {
  EXPECT_EQ(c.ret, 0) << c.step;
  EXPECT_EQ(c.function, kEresume) << c.step;
  EXPECT_EQ(c.exception_vector, 14) << c.step;
  EXPECT_EQ(c.exception_error_code, error_code) << c.step;
  EXPECT_EQ(c.exception_addr, addr) << c.step;
}

// The selftests' zeroed probe, on a machine with SGX2 and a kernel with the ioctl.
void expect_probe_refused(const IoctlCall& c) {
  EXPECT_EQ(c.ret, -1) << c.what;
  EXPECT_EQ(c.err, EINVAL) << c.what;
}

void expect_ioctl(const IoctlCall& c, long ret, int err, uint64_t count) {
  EXPECT_EQ(c.ret, ret) << c.step;
  EXPECT_EQ(c.err, err) << c.step;
  EXPECT_EQ(c.result, 0u) << c.step;
  EXPECT_EQ(c.count, count) << c.step;
}

// What closing everything leaves, for every scenario.
void expect_clean_teardown(const ScenarioResult& r) {
  EXPECT_EQ(r.load_ret, 0);
  EXPECT_EQ(r.free_pages_after_close, r.total_pages);
  EXPECT_EQ(r.total_pages, r.epc_pages);
  EXPECT_EQ(r.epcm_valid_after_close, 0u);
  EXPECT_EQ(r.mac_failures, 0u);
  EXPECT_EQ(r.warnings, 0u);
  EXPECT_TRUE(r.passed()) << transcript(r);
}

// The remove_* tests' and epcm_permissions' opening: MAGIC to page2 and back.
void expect_magic_put_and_got(const ScenarioResult& r) {
  expect_clean_eexit(r.calls[0]);
  expect_clean_eexit(r.calls[1]);
  EXPECT_EQ(r.calls[1].value, kMagic);
}

TEST(Sgx2Selftest, unclobbered_vdso_oversubscribed_remove) {
  const ScenarioResult r = unclobbered_vdso_oversubscribed_remove({});
  EXPECT_GE(r.epc_pages, kOversubscribedMinEpcPages);
  EXPECT_EQ(r.heap_pages, r.epc_pages);
  EXPECT_FALSE(r.scaled.empty());
  const uint64_t heap_bytes = r.heap_pages * kPage;
  ASSERT_EQ(r.ioctls.size(), 3u) << transcript(r);
  expect_probe_refused(r.ioctls[0]);
  expect_ioctl(r.ioctls[1], 0, 0, heap_bytes);  // MODIFY_TYPES(TRIM) of the heap
  expect_ioctl(r.ioctls[2], 0, 0, heap_bytes);  // REMOVE_PAGES of the heap

  ASSERT_EQ(r.calls.size(), 2 + r.heap_pages) << transcript(r);
  expect_clean_eexit(r.calls[0]);
  EXPECT_EQ(r.calls[0].user_data, 0u);
  expect_clean_eexit(r.calls[1]);
  EXPECT_EQ(r.calls[1].value, kMagic);
  EXPECT_TRUE(r.calls[0].callee_saved_kept && r.calls[1].callee_saved_kept);
  for (size_t i = 2; i < r.calls.size(); ++i) expect_accepted(r.calls[i]);
  // Oversubscribed: pages went out and came back.
  EXPECT_GT(r.evictions, 0u);
  EXPECT_GT(r.reloads, 0u);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, unclobbered_vdso_oversubscribed_remove_asked_for_a_small_epc_still_oversubscribes) {
  ScenarioOptions o;
  o.epc_pages = 64;
  const ScenarioResult r = unclobbered_vdso_oversubscribed_remove(o);
  EXPECT_EQ(r.epc_pages, kOversubscribedMinEpcPages);
  EXPECT_EQ(r.heap_pages, kOversubscribedMinEpcPages);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, tcs_permissions) {
  const ScenarioResult r = tcs_permissions({});
  ASSERT_EQ(r.ioctls.size(), 2u) << transcript(r);
  expect_probe_refused(r.ioctls[0]);
  expect_ioctl(r.ioctls[1], -1, EINVAL, 0);  // RESTRICT_PERMISSIONS(R) of TCS#1
  EXPECT_TRUE(r.calls.empty());
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, epcm_permissions) {
  const ScenarioResult r = epcm_permissions({});
  const uint64_t data_start = r.base + kPage2;
  ASSERT_EQ(r.ioctls.size(), 2u) << transcript(r);
  expect_probe_refused(r.ioctls[0]);
  expect_ioctl(r.ioctls[1], 0, 0, kPage);  // RESTRICT_PERMISSIONS(R) of page2

  ASSERT_EQ(r.calls.size(), 7u) << transcript(r);
  expect_magic_put_and_got(r);
  expect_accepted(r.calls[2]);                        // EACCEPT(R|REG|PR)
  expect_page_fault(r.calls[3], 0x8007, data_start);  // the write, EPCM read-only
  expect_clean_eexit(r.calls[4]);                     // EMODPE(R|W) through TCS#2
  EXPECT_EQ(r.calls[4].tcs, r.base + user::test_encl::kTcs2);
  EXPECT_EQ(r.calls[5].leaf, kEresume);               // the write finishes
  EXPECT_EQ(r.calls[5].tcs, r.base + user::test_encl::kTcs1);
  expect_clean_eexit(r.calls[5]);
  expect_clean_eexit(r.calls[6]);
  EXPECT_EQ(r.calls[6].value, kMagic2);
  EXPECT_EQ(r.calls[6].user_data, 0u);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, augment) {
  const ScenarioResult r = augment({});
  // The first page of ELRANGE past the image and its one-page heap.
  const uint64_t added = r.base + user::test_encl::kImageEnd + kPage;
  EXPECT_LT(user::test_encl::kImageEnd + 2 * kPage, r.size);
  ASSERT_GE(r.syscalls.size(), 2u) << transcript(r);
  EXPECT_EQ(uint64_t(r.syscalls[0].ret), added) << r.syscalls[0].what;  // the RWX mmap
  EXPECT_EQ(r.syscalls[1].ret, 0) << r.syscalls[1].what;                // its munmap

  ASSERT_EQ(r.calls.size(), 4u) << transcript(r);
  expect_page_fault(r.calls[0], 0x8007, added);  // EAUGed, PENDING: the write faults
  expect_accepted(r.calls[1]);                   // EACCEPT through TCS#2
  EXPECT_EQ(r.calls[1].tcs, r.base + user::test_encl::kTcs2);
  EXPECT_EQ(r.calls[2].leaf, kEresume);
  expect_clean_eexit(r.calls[2]);
  expect_clean_eexit(r.calls[3]);
  EXPECT_EQ(r.calls[3].value, kMagic);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, augment_via_eaccept) {
  const ScenarioResult r = augment_via_eaccept({});
  const uint64_t first = r.base + user::test_encl::kImageEnd + kPage;
  EXPECT_FALSE(r.scaled.empty());
  EXPECT_LT(user::test_encl::kImageEnd + kPage + kEdmmSpacePages * kPage, r.size);
  ASSERT_GE(r.syscalls.size(), 2u) << transcript(r);
  EXPECT_EQ(uint64_t(r.syscalls[0].ret), first) << r.syscalls[0].what;
  EXPECT_EQ(r.syscalls[1].ret, 0) << r.syscalls[1].what;

  ASSERT_EQ(r.calls.size(), kEdmmSpacePages + 2) << transcript(r);
  for (uint64_t i = 0; i < kEdmmSpacePages; ++i) expect_accepted(r.calls[i]);
  expect_clean_eexit(r.calls[kEdmmSpacePages]);
  expect_clean_eexit(r.calls[kEdmmSpacePages + 1]);
  EXPECT_EQ(r.calls[kEdmmSpacePages + 1].value, kMagic);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, tcs_create) {
  const ScenarioResult r = tcs_create({});
  const uint64_t new_tcs = r.base + user::test_encl::kImageEnd + 2 * kPage;
  ASSERT_EQ(r.ioctls.size(), 4u) << transcript(r);
  expect_probe_refused(r.ioctls[0]);
  expect_ioctl(r.ioctls[1], 0, 0, kPage);      // MODIFY_TYPES(TCS)
  expect_ioctl(r.ioctls[2], 0, 0, 3 * kPage);  // MODIFY_TYPES(TRIM) of the three
  expect_ioctl(r.ioctls[3], 0, 0, 3 * kPage);  // REMOVE_PAGES of the three

  ASSERT_EQ(r.calls.size(), 13u) << transcript(r);
  for (size_t i : {0, 1, 2}) expect_accepted(r.calls[i]);  // EAUG by EACCEPT
  expect_clean_eexit(r.calls[3]);                          // INIT_TCS_PAGE
  expect_accepted(r.calls[4]);                             // EACCEPT(TCS|MODIFIED)
  EXPECT_EQ(r.calls[5].tcs, new_tcs);                      // the new thread runs
  expect_clean_eexit(r.calls[5]);
  expect_clean_eexit(r.calls[6]);
  EXPECT_EQ(r.calls[6].value, kMagic);
  for (size_t i : {7, 8, 9}) expect_accepted(r.calls[i]);  // EACCEPT(TRIM|MODIFIED)
  EXPECT_EQ(r.calls[7].tcs, r.base + user::test_encl::kTcs1);
  expect_accepted(r.calls[10]);  // a regular page EAUGed where the TCS was
  expect_clean_eexit(r.calls[11]);
  expect_clean_eexit(r.calls[12]);
  EXPECT_EQ(r.calls[12].value, kMagic);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, remove_added_page_no_eaccept) {
  const ScenarioResult r = remove_added_page_no_eaccept({});
  ASSERT_EQ(r.ioctls.size(), 3u) << transcript(r);
  expect_probe_refused(r.ioctls[0]);
  expect_ioctl(r.ioctls[1], 0, 0, kPage);      // MODIFY_TYPES(TRIM) of page2
  expect_ioctl(r.ioctls[2], -1, EPERM, 0);     // REMOVE_PAGES without EACCEPT
  ASSERT_EQ(r.calls.size(), 2u) << transcript(r);
  expect_magic_put_and_got(r);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, remove_added_page_invalid_access) {
  const ScenarioResult r = remove_added_page_invalid_access({});
  ASSERT_EQ(r.ioctls.size(), 2u) << transcript(r);
  expect_probe_refused(r.ioctls[0]);
  expect_ioctl(r.ioctls[1], 0, 0, kPage);
  ASSERT_EQ(r.calls.size(), 3u) << transcript(r);
  expect_magic_put_and_got(r);
  expect_page_fault(r.calls[2], 0x8005, r.base + kPage2);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, remove_added_page_invalid_access_after_eaccept) {
  const ScenarioResult r = remove_added_page_invalid_access_after_eaccept({});
  ASSERT_EQ(r.ioctls.size(), 2u) << transcript(r);
  expect_probe_refused(r.ioctls[0]);
  expect_ioctl(r.ioctls[1], 0, 0, kPage);
  ASSERT_EQ(r.calls.size(), 4u) << transcript(r);
  expect_magic_put_and_got(r);
  expect_accepted(r.calls[2]);
  expect_page_fault(r.calls[3], 0x8005, r.base + kPage2);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, remove_untouched_page) {
  const ScenarioResult r = remove_untouched_page({});
  ASSERT_EQ(r.ioctls.size(), 3u) << transcript(r);
  expect_probe_refused(r.ioctls[0]);
  expect_ioctl(r.ioctls[1], 0, 0, kPage);  // MODIFY_TYPES(TRIM)
  expect_ioctl(r.ioctls[2], 0, 0, kPage);  // REMOVE_PAGES
  ASSERT_EQ(r.calls.size(), 1u) << transcript(r);
  expect_accepted(r.calls[0]);
  expect_clean_teardown(r);
}

TEST(Sgx2Selftest, registry_names_every_mirror_in_main_c_order) {
  std::vector<std::string> names;
  for (const Scenario& s : sgx2_selftests()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "unclobbered_vdso_oversubscribed_remove", "tcs_permissions",
                       "epcm_permissions", "augment", "augment_via_eaccept", "tcs_create",
                       "remove_added_page_no_eaccept", "remove_added_page_invalid_access",
                       "remove_added_page_invalid_access_after_eaccept", "remove_untouched_page"}));
  EXPECT_EQ(find_sgx2_selftest("tcs_create")->run, &tcs_create);
  EXPECT_EQ(find_sgx2_selftest("tcs_entry"), nullptr);
}

TEST(Sgx2Selftest, same_seed_same_transcript) {
  ScenarioOptions o;
  o.seed = 42;
  EXPECT_EQ(tcs_create(o).transcript, tcs_create(o).transcript);
}

}  // namespace
}  // namespace sgxref::scenarios
