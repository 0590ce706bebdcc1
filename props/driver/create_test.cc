// SGX_IOC_ENCLAVE_CREATE: the success path and every errno of sgx_ioc_enclave_create and
// sgx_encl_create (Linux arch/x86/kernel/cpu/sgx/ioctl.c). Each refusal leaves the enclave
// uncreated, the EPC as it was and no WARN, and the same file then builds, initializes
// (with the MRENCLAVE the SIGSTRUCT names) and maps.
#include <gtest/gtest.h>

#include "driver/encl.h"
#include "driver_fixture.h"
#include "kernel/errno.h"
#include "kernel/fault_inject.h"

namespace sgxref::testlib {
namespace {

using kernel::FailPoint;
constexpr uint64_t kPage = hw::kPageSize;

// Nothing of a CREATE that failed is left: no flag, no VA or SECS page, no page count.
void expect_not_created(DriverFixture& f, int fd, uint64_t free_before) {
  driver::Encl& encl = f.encl_of(fd);
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_CREATED));
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_IOCTL)) << "the dispatch clears its flag";
  EXPECT_EQ(encl.page_cnt.load(), 0u);
  EXPECT_EQ(encl.secs.epc_page, nullptr);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverCreate, CreatesTheSecsAndAVaPageAndRecordsTheRange) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  ASSERT_GE(fd, 0);
  const uint64_t free_before = f.sgx().nr_free_pages();
  EXPECT_EQ(f.sgx().nr_free_pages(), f.sgx().total_pages());
  ASSERT_EQ(f.create(fd, spec), 0);
  driver::Encl& encl = f.encl_of(fd);
  EXPECT_TRUE(encl.test_flag(driver::SGX_ENCL_CREATED));
  EXPECT_TRUE(encl.test_flag(driver::SGX_ENCL_DEBUG));
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_INITIALIZED));
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_IOCTL));
  EXPECT_EQ(encl.base, spec.base);
  EXPECT_EQ(encl.size, DriverFixture::size_of(spec));
  EXPECT_EQ(encl.attributes, spec.attributes);
  EXPECT_EQ(encl.page_cnt.load(), 1u) << "the SECS needs a VA slot";
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before - 2) << "the SECS and one VA page";
  EXPECT_EQ(f.sgx().lru_pages(), 0u) << "neither the SECS nor a VA page is reclaimable";
  f.finish_build(fd, spec);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverCreate, ANonDebugSecsLeavesTheDebugFlagClear) {
  DriverFixture f;
  EnclaveSpec spec;
  spec.attributes = uapi::attr::kMode64Bit;
  const int fd = f.open_enclave();
  ASSERT_EQ(f.create(fd, spec), 0);
  EXPECT_FALSE(f.encl_of(fd).test_flag(driver::SGX_ENCL_DEBUG));
  f.finish_build(fd, spec);
}

TEST(DriverCreate, ASecondCreateIsEinvalAndChangesNothing) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  ASSERT_EQ(f.create(fd, spec), 0);
  const uint64_t free_before = f.sgx().nr_free_pages();
  EnclaveSpec other = spec;
  other.base = 0x8000'0000;
  EXPECT_EQ(f.create(fd, other), -EINVAL);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  EXPECT_EQ(f.encl_of(fd).base, spec.base);
  EXPECT_EQ(f.encl_of(fd).page_cnt.load(), 1u);
  f.finish_build(fd, spec);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverCreate, ACreateAfterInitIsEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const uint64_t free_before = f.sgx().nr_free_pages();
  EXPECT_EQ(f.create(fd, spec), -EINVAL);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverCreate, AnArgumentPointerNothingMapsIsEfault) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  const uint64_t free_before = f.sgx().nr_free_pages();
  EXPECT_EQ(f.process().ioctl(fd, uapi::ioctl::kEnclaveCreate, 0), -EFAULT);
  EXPECT_EQ(f.process().ioctl(fd, uapi::ioctl::kEnclaveCreate, 0x7000'0000'0000), -EFAULT);
  expect_not_created(f, fd, free_before);
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
}

TEST(DriverCreate, ASecsPointerNothingMapsIsEfault) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  const uint64_t free_before = f.sgx().nr_free_pages();
  uapi::EnclaveCreate create{0x7000'0000'0000};
  EXPECT_EQ(f.ioctl(fd, uapi::ioctl::kEnclaveCreate, create), -EFAULT);
  expect_not_created(f, fd, free_before);
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
}

TEST(DriverCreate, ASecsWhoseSecondHalfIsUnmappedIsEfault) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  // The SECS starts mid-page before an unmapped page: the 4096-byte copy runs off the
  // end of its mapping.
  const hw::LAddr page = f.user_alloc(2 * kPage);
  const uapi::Secs secs = f.secs_for(spec);
  f.user_write(page + kPage / 2, &secs, kPage / 2);
  const uint64_t free_before = f.sgx().nr_free_pages();
  const hw::LAddr arg = f.user_copy(uapi::EnclaveCreate{page + kPage / 2});
  ASSERT_EQ(f.process().munmap(page + kPage, kPage), 0);
  EXPECT_EQ(f.process().ioctl(fd, uapi::ioctl::kEnclaveCreate, arg), -EFAULT);
  expect_not_created(f, fd, free_before);
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
}

TEST(DriverCreate, ASizeThatIsNotAPowerOfTwoIsEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  const uint64_t free_before = f.sgx().nr_free_pages();
  for (const uint64_t size : {uint64_t(0), 3 * kPage, 12 * kPage, ~uint64_t(0)}) {
    uapi::Secs secs = f.secs_for(spec);
    secs.size = size;
    EXPECT_EQ(f.create_secs(fd, secs), -EINVAL) << "size " << size;
    expect_not_created(f, fd, free_before);
  }
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
}

TEST(DriverCreate, ASecsEcreateRefusesIsEioAndUnwindsTheVaPageAndTheSecsPage) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  const uint64_t free_before = f.sgx().nr_free_pages();
  {
    uapi::Secs secs = f.secs_for(spec);
    secs.base = spec.base + kPage;  // not aligned to the size
    EXPECT_EQ(f.create_secs(fd, secs), -EIO) << "base not aligned to size";
    expect_not_created(f, fd, free_before);
  }
  {
    uapi::Secs secs = f.secs_for(spec);
    secs.ssa_frame_size = 0;
    EXPECT_EQ(f.create_secs(fd, secs), -EIO) << "no SSA frame";
    expect_not_created(f, fd, free_before);
  }
  {
    uapi::Secs secs = f.secs_for(spec);
    secs.attributes |= 1ull << 3;  // a reserved attribute
    EXPECT_EQ(f.create_secs(fd, secs), -EIO) << "reserved attribute";
    expect_not_created(f, fd, free_before);
  }
  {
    uapi::Secs secs = f.secs_for(spec);
    secs.xfrm = 0;  // x87 and SSE are required
    EXPECT_EQ(f.create_secs(fd, secs), -EIO) << "XFRM without x87|SSE";
    expect_not_created(f, fd, free_before);
  }
  {
    uapi::Secs secs = f.secs_for(spec);
    secs.size = 1ull << 62;  // a power of two beyond CPUID's maximum enclave size
    secs.base = 0;
    EXPECT_EQ(f.create_secs(fd, secs), -EIO) << "size beyond the maximum";
    expect_not_created(f, fd, free_before);
  }
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
}

TEST(DriverCreate, AKmallocFailureIsEnomem) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  const uint64_t free_before = f.sgx().nr_free_pages();
  f.kernel().faults().enable(FailPoint::kKmalloc, 100, 1);
  EXPECT_EQ(f.create(fd, spec), -ENOMEM);
  f.kernel().faults().disable_all();
  EXPECT_GE(f.kernel().faults().failures(FailPoint::kKmalloc), 1u);
  expect_not_created(f, fd, free_before);
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
}

TEST(DriverCreate, NoEpcPageForTheSecsOrTheVaPageIsEnomem) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  const uint64_t free_before = f.sgx().nr_free_pages();
  f.kernel().faults().enable(FailPoint::kEpcAlloc, 100, 1);
  EXPECT_EQ(f.create(fd, spec), -ENOMEM);
  f.kernel().faults().disable_all();
  expect_not_created(f, fd, free_before);
  f.kernel().faults().enable(FailPoint::kVaAlloc, 100, 1);
  EXPECT_EQ(f.create(fd, spec), -ENOMEM);
  f.kernel().faults().disable_all();
  expect_not_created(f, fd, free_before);
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
}

TEST(DriverCreate, AnEpcFullOfUnreclaimablePagesIsEnomem) {
  DriverFixtureOptions o;
  o.epc_pages = 9;
  DriverFixture f(o);
  // Created enclaves without pages: a SECS and a VA page each, neither on the LRU.
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) {
    EnclaveSpec s;
    s.base = 0x4000'0000 + uint64_t(i) * 0x100'0000;
    fds.push_back(f.open_enclave());
    ASSERT_EQ(f.create(fds.back(), s), 0) << i;
  }
  ASSERT_EQ(f.sgx().nr_free_pages(), 1u);
  ASSERT_EQ(f.sgx().lru_pages(), 0u);
  EnclaveSpec spec;
  spec.base = 0x8000'0000;
  const int fd = f.open_enclave();
  // The VA page takes the last free page; the SECS finds none and nothing to reclaim.
  EXPECT_EQ(f.create(fd, spec), -ENOMEM);
  expect_not_created(f, fd, 1);
  // With one of the others gone, the same file builds.
  ASSERT_EQ(f.process().close(fds[0]), 0);
  ASSERT_EQ(f.process().close(fds[1]), 0);
  EXPECT_EQ(f.sgx().nr_free_pages(), 5u);
  spec.reg_pages = 1;
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
}

TEST(DriverCreate, ASignalWhileTheAllocatorWouldReclaimIsEintr) {
  DriverFixtureOptions o;
  o.epc_pages = 16;
  DriverFixture f(o);
  // One uninitialized enclave fills the EPC with reclaimable REG pages.
  EnclaveSpec big;
  big.reg_pages = 13;
  const int big_fd = f.open_enclave();
  ASSERT_EQ(f.create(big_fd, big), 0);
  ASSERT_EQ(f.add_tcs(big_fd), 0);
  ASSERT_EQ(f.add_reg(big_fd, big, 0, big.reg_pages), 0);
  ASSERT_EQ(f.sgx().nr_free_pages(), 0u);
  ASSERT_GT(f.sgx().lru_pages(), 0u);
  EnclaveSpec spec;
  spec.base = 0x8000'0000;
  spec.reg_pages = 1;
  const int fd = f.open_enclave();
  const uapi::Secs secs = f.secs_for(spec);
  const uapi::EnclaveCreate create{f.user_copy(secs)};
  const hw::LAddr arg = f.user_copy(create);
  f.task().send_signal();
  // sgx_alloc_epc_page: nothing free, something reclaimable, a signal pending:
  // -ERESTARTSYS, which the way back to user space turns into -EINTR.
  EXPECT_EQ(f.process().ioctl(fd, uapi::ioctl::kEnclaveCreate, arg), -EINTR);
  EXPECT_FALSE(f.task().signal_pending()) << "delivered on the way out";
  expect_not_created(f, fd, 0);
  // Without the signal the allocator reclaims and the build goes through.
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
}

}  // namespace
}  // namespace sgxref::testlib
