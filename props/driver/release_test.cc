// Teardown (Linux driver.c sgx_release, encl.c sgx_encl_release and the mmu notifier):
// the enclave lives while its file or a mapping of it does; when the last goes every
// EPC page it held (children, SECS, VA pages) is EREMOVEd and free again.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "driver/encl.h"
#include "driver_fixture.h"
#include "kernel/errno.h"
#include "kernel/run_queue.h"

namespace sgxref::testlib {
namespace {

constexpr uint64_t kPage = hw::kPageSize;

void expect_all_free(DriverFixture& f) {
  EXPECT_EQ(f.sgx().nr_free_pages(), f.sgx().total_pages());
  EXPECT_EQ(f.sgx().lru_pages(), 0u);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverRelease, ClosingTheFileThenUnmappingFreesEveryEpcPage) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const uint64_t size = DriverFixture::size_of(spec);
  ASSERT_EQ(f.process().close(fd), 0);
  // The mapping holds the file: the enclave is still there and readable.
  EXPECT_LT(f.sgx().nr_free_pages(), f.sgx().total_pages());
  std::vector<uint8_t> got(kPage);
  EXPECT_EQ(f.peek(spec.base + kPage, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(spec, 0));
  ASSERT_EQ(f.process().munmap(spec.base, size), 0);
  expect_all_free(f);
}

TEST(DriverRelease, UnmappingThenClosingTheFileFreesEveryEpcPage) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  ASSERT_EQ(f.process().munmap(spec.base, DriverFixture::size_of(spec)), 0);
  EXPECT_LT(f.sgx().nr_free_pages(), f.sgx().total_pages()) << "the file holds the enclave";
  EXPECT_TRUE(f.encl_of(fd).test_flag(driver::SGX_ENCL_INITIALIZED));
  ASSERT_EQ(f.process().close(fd), 0);
  expect_all_free(f);
}

TEST(DriverRelease, AnEnclaveWithEvictedPagesAndSecsFreesEverythingIncludingVaPages) {
  DriverFixture f;
  EnclaveSpec spec;
  spec.reg_pages = 12;
  const int fd = f.build_enclave(spec);
  {
    kernel::CpuHold cpu;
    for (int i = 0; i < 100 && f.sgx().lru_pages() > 0; ++i) f.sgx().reclaim_pages();
  }
  ASSERT_EQ(f.encl_of(fd).secs.epc_page, nullptr);
  // Some pages back in, some left out.
  std::vector<uint8_t> got(kPage);
  EXPECT_EQ(f.peek(spec.base + 3 * kPage, got.data(), int(kPage)), int(kPage));
  ASSERT_EQ(f.process().close(fd), 0);
  ASSERT_EQ(f.process().munmap(spec.base, DriverFixture::size_of(spec)), 0);
  expect_all_free(f);
}

TEST(DriverRelease, AnUninitializedEnclaveFreesItsPagesOnClose) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  ASSERT_EQ(f.create(fd, spec), 0);
  ASSERT_EQ(f.add_tcs(fd), 0);
  ASSERT_EQ(f.add_reg(fd, spec, 0, 2), 0);
  ASSERT_LT(f.sgx().nr_free_pages(), f.sgx().total_pages());
  ASSERT_EQ(f.process().close(fd), 0);
  expect_all_free(f);
}

TEST(DriverRelease, AFileNeverCreatedClosesCleanly) {
  DriverFixture f;
  const int fd = f.open_enclave();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(f.process().close(fd), 0);
  EXPECT_EQ(f.process().close(fd), -EBADF);
  expect_all_free(f);
}

TEST(DriverRelease, AForkedChildsMappingKeepsTheEnclaveUntilItExits) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  std::unique_ptr<kernel::Process> child = f.process().fork();
  EXPECT_EQ(f.encl_of(fd).mm_list().size(), 2u) << "the child's address space joined";
  ASSERT_EQ(f.process().close(fd), 0);
  ASSERT_EQ(f.process().munmap(spec.base, DriverFixture::size_of(spec)), 0);
  EXPECT_LT(f.sgx().nr_free_pages(), f.sgx().total_pages()) << "the child still maps it";
  child->exit();
  expect_all_free(f);
}

TEST(DriverRelease, TheProcessExitingFreesEveryEpcPage) {
  DriverFixture f;
  EnclaveSpec spec;
  f.build_enclave(spec);
  f.build_enclave([] {
    EnclaveSpec s;
    s.base = 0x8000'0000;
    s.reg_pages = 3;
    return s;
  }());
  f.process().exit();
  expect_all_free(f);
}

}  // namespace
}  // namespace sgxref::testlib
