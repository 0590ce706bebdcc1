// The debugger's way into an enclave (Linux encl.c sgx_vma_access, reached through
// access_process_vm / PTRACE_PEEKDATA and POKEDATA): a debug enclave is read and written
// 8 bytes at a time through EDBGRD/EDBGWR, reloading evicted pages; a non-debug enclave
// answers -EFAULT, as does an address with no enclave page.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "driver/encl.h"
#include "driver_fixture.h"
#include "kernel/errno.h"
#include "kernel/run_queue.h"

namespace sgxref::testlib {
namespace {

constexpr uint64_t kPage = hw::kPageSize;

TEST(DriverAccess, ANonDebugEnclaveIsEfaultForReadsAndWrites) {
  DriverFixture f;
  EnclaveSpec spec;
  spec.attributes = uapi::attr::kMode64Bit;
  const int fd = f.build_enclave(spec);
  ASSERT_FALSE(f.encl_of(fd).test_flag(driver::SGX_ENCL_DEBUG));
  const uint64_t free_pages = f.sgx().nr_free_pages();
  uint8_t buf[16] = {1, 2, 3};
  // Our kernel slice hands the hook's errno back when nothing was copied; Linux's
  // ptrace would turn the 0 bytes into -EIO. Either way the debugger gets an error.
  EXPECT_EQ(f.peek(spec.base + kPage, buf, 8), -EFAULT);
  EXPECT_EQ(f.poke(spec.base + kPage, buf, 8), -EFAULT);
  EXPECT_EQ(f.peek(spec.base, buf, 16), -EFAULT) << "the TCS";
  EXPECT_EQ(f.sgx().nr_free_pages(), free_pages);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverAccess, ADebugEnclaveWrittenAtAnyAlignmentReadsBackByteForByte) {
  DriverFixture f;
  EnclaveSpec spec;
  f.build_enclave(spec);
  std::vector<uint8_t> expect = DriverFixture::page_bytes(spec, 1);
  // 13 bytes from offset 5: a partial first word, a whole one, a partial last one.
  const uint8_t patch[13] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6,
                             0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC};
  const hw::LAddr page = spec.base + 2 * kPage;
  EXPECT_EQ(f.poke(page + 5, patch, sizeof(patch)), int(sizeof(patch)));
  std::memcpy(expect.data() + 5, patch, sizeof(patch));
  uint8_t back[13] = {};
  EXPECT_EQ(f.peek(page + 5, back, sizeof(back)), int(sizeof(back)));
  EXPECT_EQ(0, std::memcmp(back, patch, sizeof(patch)));
  std::vector<uint8_t> got(kPage);
  EXPECT_EQ(f.peek(page, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, expect) << "the bytes around the patch are unchanged";
  // The neighbouring pages too.
  EXPECT_EQ(f.peek(spec.base + kPage, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(spec, 0));
  EXPECT_EQ(f.peek(spec.base + 3 * kPage, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(spec, 2));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverAccess, AnAccessAcrossTwoPagesMovesEveryByte) {
  DriverFixture f;
  EnclaveSpec spec;
  f.build_enclave(spec);
  std::vector<uint8_t> patch(300);
  for (size_t i = 0; i < patch.size(); ++i) patch[i] = uint8_t(i * 3 + 1);
  const hw::LAddr at = spec.base + 2 * kPage - 150;
  EXPECT_EQ(f.poke(at, patch.data(), int(patch.size())), int(patch.size()));
  std::vector<uint8_t> back(patch.size());
  EXPECT_EQ(f.peek(at, back.data(), int(back.size())), int(back.size()));
  EXPECT_EQ(back, patch);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverAccess, AnAddressWithNoEnclavePageIsEfault) {
  DriverFixture f;
  EnclaveSpec spec;
  f.build_enclave(spec);
  uint8_t buf[8];
  EXPECT_EQ(f.peek(spec.base + 6 * kPage, buf, 8), -EFAULT);
  EXPECT_EQ(f.poke(spec.base + 6 * kPage, buf, 8), -EFAULT);
  // Running from a page into a hole: the bytes before the hole are copied.
  std::vector<uint8_t> got(2 * kPage);
  EXPECT_EQ(f.peek(spec.base + 4 * kPage, got.data(), int(got.size())), int(kPage));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverAccess, AnEvictedPageIsReloadedForTheDebugger) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  {
    kernel::CpuHold cpu;
    for (int i = 0; i < 100 && f.sgx().lru_pages() > 0; ++i) f.sgx().reclaim_pages();
  }
  ASSERT_EQ(f.encl_of(fd).secs.epc_page, nullptr);
  const uint8_t patch[8] = {9, 8, 7, 6, 5, 4, 3, 2};
  EXPECT_EQ(f.poke(spec.base + 4 * kPage + 64, patch, 8), 8);
  std::vector<uint8_t> expect = DriverFixture::page_bytes(spec, 3);
  std::memcpy(expect.data() + 64, patch, 8);
  std::vector<uint8_t> got(kPage);
  EXPECT_EQ(f.peek(spec.base + 4 * kPage, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, expect);
  EXPECT_EQ(f.peek(spec.base + kPage, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(spec, 0));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
