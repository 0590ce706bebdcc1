// The enclave VMA's fault handler (Linux encl.c sgx_vma_fault and
// sgx_encl_load_page_in_vma): an address with no enclave page is SIGBUS, a resident page
// is mapped, a page ksgxd evicted is reloaded by ELDU (its SECS first if that went too).
#include <gtest/gtest.h>

#include <vector>

#include "driver/encl.h"
#include "driver_fixture.h"
#include "kernel/errno.h"
#include "kernel/run_queue.h"
#include "kernel/user_mode.h"
#include "kernel/vm_flags.h"
#include "sched/rw_mutex.h"

namespace sgxref::testlib {
namespace {

constexpr uint64_t kPage = hw::kPageSize;

kernel::FaultResult load(hw::LAddr a, uint64_t& v) {
  kernel::CpuHold cpu;
  return kernel::user_load(a, &v, sizeof(v));
}

kernel::FaultResult store(hw::LAddr a, uint64_t v) {
  kernel::CpuHold cpu;
  return kernel::user_store(a, &v, sizeof(v));
}

bool resident(DriverFixture& f, int fd, hw::LAddr a) {
  driver::Encl& encl = f.encl_of(fd);
  sched::MutexLock l(encl.lock);
  const auto it = encl.page_array.find(a >> hw::kPageShift);
  return it != encl.page_array.end() && it->second->epc_page != nullptr;
}

// Every page on the LRU written out (and, once the last child is gone, the SECS).
void evict_everything(DriverFixture& f) {
  kernel::CpuHold cpu;
  for (int i = 0; i < 1000 && f.sgx().lru_pages() > 0; ++i) f.sgx().reclaim_pages();
  ASSERT_EQ(f.sgx().lru_pages(), 0u);
}

// On a CPU without SGX2 there is no EAUG: such a fault is SIGBUS (with SGX2 it is
// sgx_encl_eaug_page, eaug_fault_test.cc).
TEST(DriverFault, AnAddressInElrangeWithNoPageIsSigbusWithoutSgx2) {
  DriverFixtureOptions o;
  o.sgx2 = false;
  DriverFixture f(o);
  EnclaveSpec spec;  // 4 REG pages: pages 5..7 of the 8-page range are holes
  const int fd = f.build_enclave(spec);
  const uint64_t free_pages = f.sgx().nr_free_pages();
  uint64_t v = 0;
  EXPECT_EQ(load(spec.base + 5 * kPage, v), kernel::FaultResult::kSigbus);
  EXPECT_EQ(load(spec.base + 7 * kPage + 8, v), kernel::FaultResult::kSigbus);
  EXPECT_EQ(store(spec.base + 6 * kPage, 1), kernel::FaultResult::kSigbus);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_pages) << "no EAUG without SGX2";
  {
    driver::Encl& encl = f.encl_of(fd);
    sched::MutexLock l(encl.lock);
    EXPECT_EQ(encl.page_array.size(), 1 + spec.reg_pages);
  }
  // The enclave's pages are unaffected.
  std::vector<uint8_t> got(kPage);
  EXPECT_EQ(f.peek(spec.base + kPage, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(spec, 0));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverFault, AnAddressWithNoPageBeforeInitIsSigbus) {
  // SIGBUS with or without SGX2: EAUG needs an initialized enclave.
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  ASSERT_EQ(f.create(fd, spec), 0);
  ASSERT_EQ(f.add_tcs(fd), 0);
  ASSERT_EQ(f.map(fd, spec, kernel::PROT_READ | kernel::PROT_WRITE), long(spec.base));
  const uint64_t free_pages = f.sgx().nr_free_pages();
  uint64_t v = 0;
  EXPECT_EQ(load(spec.base + 2 * kPage, v), kernel::FaultResult::kSigbus);
  EXPECT_EQ(store(spec.base + 3 * kPage, 1), kernel::FaultResult::kSigbus);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_pages);
  EXPECT_EQ(load(spec.base, v), kernel::FaultResult::kHandled) << "the TCS is there";
  f.finish_build(fd, spec, false);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverFault, AResidentPageIsMappedAndReadsAsTheAbortPageFromOutside) {
  DriverFixture f;
  EnclaveSpec spec;
  f.build_enclave(spec);
  uint64_t v = 0;
  EXPECT_EQ(load(spec.base + 2 * kPage, v), kernel::FaultResult::kHandled);
  EXPECT_EQ(v, ~uint64_t(0));
  EXPECT_EQ(store(spec.base + 2 * kPage, 0x1234), kernel::FaultResult::kHandled)
      << "dropped by the abort page";
  std::vector<uint8_t> got(kPage);
  EXPECT_EQ(f.peek(spec.base + 2 * kPage, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(spec, 1));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverFault, APageKsgxdEvictedIsReloadedByTheFault) {
  DriverFixtureOptions o;
  o.epc_pages = 64;  // watermarks 2 and 4
  DriverFixture f(o);
  EnclaveSpec spec;
  spec.reg_pages = 58;  // SECS, VA, TCS and 58 REG pages leave 3 free: below the high mark
  const int fd = f.build_enclave(spec);
  ASSERT_LT(f.sgx().nr_free_pages(), f.sgx().high_watermark());
  ASSERT_GT(f.sgx().ksgxd_step(), 0);
  // The first REG pages were at the head of the LRU.
  hw::LAddr evicted = 0;
  for (uint64_t i = 0; i < spec.reg_pages && evicted == 0; ++i) {
    if (!resident(f, fd, spec.base + (1 + i) * kPage)) evicted = spec.base + (1 + i) * kPage;
  }
  ASSERT_NE(evicted, 0u) << "ksgxd evicted nothing";
  const uint64_t free_pages = f.sgx().nr_free_pages();
  uint64_t v = 0;
  EXPECT_EQ(load(evicted, v), kernel::FaultResult::kHandled);
  EXPECT_EQ(v, ~uint64_t(0));
  EXPECT_TRUE(resident(f, fd, evicted));
  EXPECT_EQ(f.sgx().nr_free_pages(), free_pages - 1) << "ELDU took one page";
  std::vector<uint8_t> got(kPage);
  const uint64_t index = (evicted - spec.base) / kPage - 1;
  EXPECT_EQ(f.peek(evicted, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(spec, index));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverFault, AFaultAfterTheSecsWasEvictedReloadsTheSecsThenThePage) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  evict_everything(f);
  ASSERT_EQ(f.encl_of(fd).secs.epc_page, nullptr) << "the SECS goes with its last child";
  const uint64_t free_pages = f.sgx().nr_free_pages();
  uint64_t v = 0;
  EXPECT_EQ(store(spec.base + 3 * kPage, 7), kernel::FaultResult::kHandled);
  EXPECT_NE(f.encl_of(fd).secs.epc_page, nullptr);
  EXPECT_TRUE(resident(f, fd, spec.base + 3 * kPage));
  EXPECT_EQ(f.sgx().nr_free_pages(), free_pages - 2) << "the SECS and the page";
  EXPECT_EQ(load(spec.base + 3 * kPage, v), kernel::FaultResult::kHandled);
  // Every page, reloaded on demand, still holds what was added.
  for (uint64_t i = 0; i < spec.reg_pages; ++i) {
    std::vector<uint8_t> got(kPage);
    EXPECT_EQ(f.peek(spec.base + (1 + i) * kPage, got.data(), int(kPage)), int(kPage));
    EXPECT_EQ(got, DriverFixture::page_bytes(spec, i)) << i;
  }
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverFault, AVmaWithRightsAboveThePagesMaximumIsSigbus) {
  DriverFixture f;
  EnclaveSpec spec;
  f.build_enclave(spec);
  {
    // mmap and mprotect cannot make such a VMA (may_map); the fault handler checks
    // anyway (sgx_encl_load_page_in_vma), so the test makes one by hand.
    kernel::CpuHold cpu;
    sched::WriterLock l(f.process().mm().mmap_lock);
    kernel::Vma* vma = f.process().mm().find_vma(spec.base);
    ASSERT_NE(vma, nullptr);
    vma->flags |= kernel::VM_EXEC;
  }
  uint64_t v = 0;
  EXPECT_EQ(load(spec.base + kPage, v), kernel::FaultResult::kSigbus);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
