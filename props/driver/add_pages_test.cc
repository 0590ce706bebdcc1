// SGX_IOC_ENCLAVE_ADD_PAGES: the success path and every errno of
// sgx_ioc_enclave_add_pages, sgx_validate_offset_length, sgx_validate_secinfo and
// sgx_encl_add_page (Linux arch/x86/kernel/cpu/sgx/ioctl.c). Each refusal checks the
// count Linux copies back, that the enclave's pages, VA pages and the EPC are as they
// were, that no WARN was raised, and that the build then goes on to INIT with the
// MRENCLAVE of the pages that were really added.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "driver/encl.h"
#include "driver_fixture.h"
#include "kernel/errno.h"
#include "kernel/fault_inject.h"
#include "kernel/run_queue.h"
#include "kernel/vm_flags.h"
#include "sched/rw_mutex.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/tcs.h"

namespace sgxref::testlib {
namespace {

namespace sf = uapi::secinfo_flag;
using kernel::FailPoint;
constexpr uint64_t kPage = hw::kPageSize;
constexpr uint64_t kRegRw = sf::kR | sf::kW | sf::type(uapi::PageType::kReg);
constexpr uint64_t kTcsFlags = sf::type(uapi::PageType::kTcs);

// What an ADD_PAGES may change.
struct State {
  uint64_t free_pages = 0;
  uint64_t lru_pages = 0;
  uint32_t page_cnt = 0;
  size_t pages = 0;
  uint32_t secs_child_cnt = 0;
  size_t va_pages = 0;
  bool operator==(const State&) const = default;
};

std::ostream& operator<<(std::ostream& os, const State& s) {
  return os << "{free " << s.free_pages << ", lru " << s.lru_pages << ", page_cnt " << s.page_cnt
            << ", pages " << s.pages << ", child_cnt " << s.secs_child_cnt << ", va "
            << s.va_pages << "}";
}

State state(DriverFixture& f, int fd) {
  driver::Encl& encl = f.encl_of(fd);
  State s;
  s.free_pages = f.sgx().nr_free_pages();
  s.lru_pages = f.sgx().lru_pages();
  s.page_cnt = encl.page_cnt.load();
  sched::MutexLock l(encl.lock);
  s.pages = encl.page_array.size();
  s.secs_child_cnt = encl.secs_child_cnt;
  s.va_pages = encl.va_pages.size();
  return s;
}

// A created enclave of 4 REG pages (ELRANGE 8 pages) with its TCS added.
struct Created {
  DriverFixture f;
  EnclaveSpec spec;
  int fd = -1;
  explicit Created(bool add_tcs = true) {
    fd = f.open_enclave();
    EXPECT_EQ(f.create(fd, spec), 0);
    if (add_tcs) {
      EXPECT_EQ(f.add_tcs(fd), 0);
    }
  }
  // ADD_PAGES with every argument given; count comes back in `arg.count`.
  long add(uapi::EnclaveAddPages& arg) { return f.ioctl(fd, uapi::ioctl::kEnclaveAddPages, arg); }
  // An argument adding REG pages 0..n-1 of the spec at their offsets.
  uapi::EnclaveAddPages reg_arg(uint64_t n, uint64_t secinfo_flags = kRegRw) {
    return {f.user_pages(DriverFixture::reg_bytes(spec, 0, n)), kPage, n * kPage,
            f.user_secinfo(secinfo_flags), uapi::kPageMeasure, 0};
  }
};

// The refusal changed nothing, and the build goes on from there.
void expect_unchanged_and_build(Created& c, const State& before, bool with_tcs = false) {
  EXPECT_EQ(state(c.f, c.fd), before);
  EXPECT_FALSE(c.f.encl_of(c.fd).test_flag(driver::SGX_ENCL_IOCTL));
  EXPECT_EQ(c.f.sgx().warnings(), 0u);
  c.f.finish_build(c.fd, c.spec, with_tcs);
  EXPECT_EQ(c.f.sgx().warnings(), 0u);
}

TEST(DriverAddPages, AddsEachPageWithItsEpcPageOnTheLruAndCountsEveryByte) {
  Created c(false);
  const State s0 = state(c.f, c.fd);
  uint64_t count = 0;
  ASSERT_EQ(c.f.add_tcs(c.fd, &count), 0);
  EXPECT_EQ(count, kPage);
  uapi::EnclaveAddPages arg = c.reg_arg(c.spec.reg_pages);
  ASSERT_EQ(c.add(arg), 0);
  EXPECT_EQ(arg.count, c.spec.reg_pages * kPage);
  const State s1 = state(c.f, c.fd);
  const uint64_t added = 1 + c.spec.reg_pages;
  EXPECT_EQ(s1.free_pages, s0.free_pages - added);
  EXPECT_EQ(s1.lru_pages, added);
  EXPECT_EQ(s1.pages, added);
  EXPECT_EQ(s1.secs_child_cnt, added);
  EXPECT_EQ(s1.page_cnt, 1 + added);
  EXPECT_EQ(s1.va_pages, 1u);
  {
    driver::Encl& encl = c.f.encl_of(c.fd);
    sched::MutexLock l(encl.lock);
    const auto tcs = encl.page_array.find(c.spec.base >> hw::kPageShift);
    ASSERT_NE(tcs, encl.page_array.end());
    EXPECT_EQ(tcs->second->type, uapi::PageType::kTcs);
    EXPECT_EQ(tcs->second->vm_max_prot_bits, kernel::VM_READ | kernel::VM_WRITE)
        << "a TCS is always RW for mappings";
    for (uint64_t i = 0; i < c.spec.reg_pages; ++i) {
      const auto it = encl.page_array.find((c.spec.base >> hw::kPageShift) + 1 + i);
      ASSERT_NE(it, encl.page_array.end());
      EXPECT_EQ(it->second->type, uapi::PageType::kReg);
      EXPECT_EQ(it->second->vm_max_prot_bits, kernel::VM_READ | kernel::VM_WRITE);
      EXPECT_NE(it->second->epc_page, nullptr);
    }
  }
  EXPECT_EQ(c.f.sgx().warnings(), 0u);
  c.f.finish_build(c.fd, c.spec, false, {0, 1, 2, 3});
}

TEST(DriverAddPages, TheSecinfoPermissionsBecomeTheMaximumProtection) {
  Created c;
  uapi::EnclaveAddPages arg = c.reg_arg(1, sf::kR | sf::kX | sf::type(uapi::PageType::kReg));
  ASSERT_EQ(c.add(arg), 0);
  uapi::EnclaveAddPages ro{c.f.user_pages(DriverFixture::reg_bytes(c.spec, 1, 1)), 2 * kPage,
                           kPage, c.f.user_secinfo(sf::kR | sf::type(uapi::PageType::kReg)), 0,
                           0};
  ASSERT_EQ(c.add(ro), 0);
  driver::Encl& encl = c.f.encl_of(c.fd);
  sched::MutexLock l(encl.lock);
  EXPECT_EQ(encl.page_array.at((c.spec.base >> hw::kPageShift) + 1)->vm_max_prot_bits,
            kernel::VM_READ | kernel::VM_EXEC);
  EXPECT_EQ(encl.page_array.at((c.spec.base >> hw::kPageShift) + 2)->vm_max_prot_bits,
            kernel::VM_READ);
}

TEST(DriverAddPages, BeforeCreateIsEinval) {
  Created c;
  const int fd = c.f.open_enclave();
  uapi::EnclaveAddPages arg = c.reg_arg(1);
  const uint64_t free_before = c.f.sgx().nr_free_pages();
  EXPECT_EQ(c.f.ioctl(fd, uapi::ioctl::kEnclaveAddPages, arg), -EINVAL);
  EXPECT_EQ(arg.count, 0u) << "returned before the copy back";
  EXPECT_EQ(c.f.sgx().nr_free_pages(), free_before);
  EXPECT_EQ(c.f.encl_of(fd).page_cnt.load(), 0u);
  EXPECT_EQ(c.f.sgx().warnings(), 0u);
}

TEST(DriverAddPages, AfterInitIsEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  spec.size = 16 * kPage;
  const int fd = f.build_enclave(spec);
  const State before = state(f, fd);
  uapi::EnclaveAddPages arg{f.user_pages(DriverFixture::reg_bytes(spec, 9, 1)), 10 * kPage, kPage,
                            f.user_secinfo(kRegRw), uapi::kPageMeasure, 0};
  EXPECT_EQ(f.ioctl(fd, uapi::ioctl::kEnclaveAddPages, arg), -EINVAL);
  EXPECT_EQ(arg.count, 0u);
  EXPECT_EQ(state(f, fd), before);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverAddPages, AnArgumentPointerNothingMapsIsEfault) {
  Created c;
  const State before = state(c.f, c.fd);
  EXPECT_EQ(c.f.process().ioctl(c.fd, uapi::ioctl::kEnclaveAddPages, 0), -EFAULT);
  EXPECT_EQ(c.f.process().ioctl(c.fd, uapi::ioctl::kEnclaveAddPages, 0x7000'0000'0000), -EFAULT);
  expect_unchanged_and_build(c, before);
}

TEST(DriverAddPages, ASourceNotPageAlignedIsEinval) {
  Created c;
  const State before = state(c.f, c.fd);
  uapi::EnclaveAddPages arg = c.reg_arg(1);
  arg.src += 8;
  EXPECT_EQ(c.add(arg), -EINVAL);
  EXPECT_EQ(arg.count, 0u);
  expect_unchanged_and_build(c, before);
}

TEST(DriverAddPages, OffsetsAndLengthsTheRangeCheckRefusesAreEinval) {
  Created c;
  const uint64_t size = DriverFixture::size_of(c.spec);
  const State before = state(c.f, c.fd);
  struct Case {
    const char* what;
    uint64_t offset;
    uint64_t length;
  };
  const Case cases[] = {
      {"offset not page aligned", kPage + 16, kPage},
      {"length 0", kPage, 0},
      {"length not page aligned", kPage, kPage + 1},
      {"length under a page", kPage, 16},
      // offset + length wraps to one page: without the overflow check the last-page
      // test (offset + length - 4096 = 0 < size) would let it through.
      {"offset + length overflows", ~uint64_t(0) - kPage + 1, 2 * kPage},
      {"offset + length overflows to 0", ~uint64_t(0) - kPage + 1, kPage},
      {"offset at the size", size, kPage},
      {"last page beyond the size", size - kPage, 2 * kPage},
      {"far beyond", 1ull << 40, kPage},
  };
  for (const Case& k : cases) {
    uapi::EnclaveAddPages arg = c.reg_arg(2);
    arg.offset = k.offset;
    arg.length = k.length;
    EXPECT_EQ(c.add(arg), -EINVAL) << k.what;
    EXPECT_EQ(arg.count, 0u) << k.what;
    EXPECT_EQ(state(c.f, c.fd), before) << k.what;
  }
  expect_unchanged_and_build(c, before);
}

TEST(DriverAddPages, TheLastPageOfTheRangeIsAccepted) {
  Created c;
  const uint64_t size = DriverFixture::size_of(c.spec);
  uapi::EnclaveAddPages arg = c.reg_arg(1);
  arg.offset = size - kPage;
  EXPECT_EQ(c.add(arg), 0);
  EXPECT_EQ(arg.count, kPage);
  EXPECT_EQ(c.f.sgx().warnings(), 0u);
}

TEST(DriverAddPages, ASecinfoPointerNothingMapsIsEfault) {
  Created c;
  const State before = state(c.f, c.fd);
  uapi::EnclaveAddPages arg = c.reg_arg(1);
  arg.secinfo = 0x7000'0000'0000;
  EXPECT_EQ(c.add(arg), -EFAULT);
  EXPECT_EQ(arg.count, 0u);
  arg.secinfo = 0;
  EXPECT_EQ(c.add(arg), -EFAULT);
  expect_unchanged_and_build(c, before);
}

TEST(DriverAddPages, SecinfosTheDriverRefusesAreEinval) {
  Created c;
  const State before = state(c.f, c.fd);
  struct Case {
    const char* what;
    uint64_t flags;
  };
  const Case cases[] = {
      {"type SECS", sf::kR | sf::kW | sf::type(uapi::PageType::kSecs)},
      {"type VA", sf::kR | sf::kW | sf::type(uapi::PageType::kVa)},
      {"type TRIM", sf::kR | sf::kW | sf::type(uapi::PageType::kTrim)},
      {"type 0x7f", sf::kR | (0x7Full << sf::kTypeShift)},
      {"W without R", sf::kW | sf::type(uapi::PageType::kReg)},
      {"W|X without R", sf::kW | sf::kX | sf::type(uapi::PageType::kReg)},
      {"TCS with R", sf::kR | kTcsFlags},
      {"TCS with R|W", sf::kR | sf::kW | kTcsFlags},
      {"TCS with X", sf::kX | kTcsFlags},
      {"PENDING", kRegRw | sf::kPending},
      {"MODIFIED", kRegRw | sf::kModified},
      {"PR", kRegRw | sf::kPr},
      {"bit 6", kRegRw | (1ull << 6)},
      {"bit 7", kRegRw | (1ull << 7)},
      {"bit 16", kRegRw | (1ull << 16)},
      {"bit 63", kRegRw | (1ull << 63)},
  };
  for (const Case& k : cases) {
    uapi::EnclaveAddPages arg = c.reg_arg(1, k.flags);
    EXPECT_EQ(c.add(arg), -EINVAL) << k.what;
    EXPECT_EQ(arg.count, 0u) << k.what;
    EXPECT_EQ(state(c.f, c.fd), before) << k.what;
  }
  for (const size_t byte : {size_t(0), size_t(31), size_t(55)}) {
    uapi::SecInfo si{};
    si.flags = kRegRw;
    si.reserved[byte] = 1;
    uapi::EnclaveAddPages arg = c.reg_arg(1);
    arg.secinfo = c.f.user_copy(si);
    EXPECT_EQ(c.add(arg), -EINVAL) << "reserved byte " << byte;
    EXPECT_EQ(state(c.f, c.fd), before) << "reserved byte " << byte;
  }
  expect_unchanged_and_build(c, before);
}

TEST(DriverAddPages, ASourceNoVmaHoldsIsEfaultAndUnwindsThePage) {
  Created c;
  const State before = state(c.f, c.fd);
  uapi::EnclaveAddPages arg = c.reg_arg(1);
  arg.src = 0x7000'0000'0000;
  EXPECT_EQ(c.add(arg), -EFAULT);
  EXPECT_EQ(arg.count, 0u) << "count is copied back on a per-page error";
  expect_unchanged_and_build(c, before);
}

TEST(DriverAddPages, ASourceInAMappingThatCannotBeExecutableIsEacces) {
  Created c;
  const State before = state(c.f, c.fd);
  uapi::EnclaveAddPages arg = c.reg_arg(1);
  {
    // What a noexec mount gives: mmap leaves VM_MAYEXEC off. The kernel slice has no
    // mounts, so the test takes the flag off the source VMA itself.
    kernel::CpuHold cpu;
    sched::WriterLock l(c.f.process().mm().mmap_lock);
    kernel::Vma* vma = c.f.process().mm().find_vma(arg.src);
    ASSERT_NE(vma, nullptr);
    vma->flags &= ~kernel::VM_MAYEXEC;
  }
  EXPECT_EQ(c.add(arg), -EACCES);
  EXPECT_EQ(arg.count, 0u);
  expect_unchanged_and_build(c, before);
}

TEST(DriverAddPages, ASourceRangeUnmappedAfterItsFirstPageStopsThereWithEfaultAndCount) {
  Created c;
  uapi::EnclaveAddPages arg = c.reg_arg(3);
  const hw::LAddr at = c.f.user_copy(arg);
  ASSERT_EQ(c.f.process().munmap(arg.src + kPage, 2 * kPage), 0);
  const State before = state(c.f, c.fd);
  EXPECT_EQ(c.f.process().ioctl(c.fd, uapi::ioctl::kEnclaveAddPages, at), -EFAULT);
  c.f.user_read(at, &arg, sizeof(arg));
  EXPECT_EQ(arg.count, kPage) << "the first page went in";
  const State after = state(c.f, c.fd);
  EXPECT_EQ(after.pages, before.pages + 1);
  EXPECT_EQ(after.free_pages, before.free_pages - 1);
  EXPECT_EQ(c.f.sgx().warnings(), 0u);
  c.f.finish_build(c.fd, c.spec, false, {0});
}

TEST(DriverAddPages, APageAlreadyAddedIsEbusyWithTheCountWhereItStopped) {
  Created c;
  // Page 2 first, then the range of pages 0..2: 0 and 1 go in, 2 is there already.
  uint64_t count = 0;
  ASSERT_EQ(c.f.add_reg(c.fd, c.spec, 2, 1, &count), 0);
  const State before = state(c.f, c.fd);
  uapi::EnclaveAddPages arg = c.reg_arg(3);
  EXPECT_EQ(c.add(arg), -EBUSY);
  EXPECT_EQ(arg.count, 2 * kPage);
  const State after = state(c.f, c.fd);
  EXPECT_EQ(after.pages, before.pages + 2);
  EXPECT_EQ(after.secs_child_cnt, before.secs_child_cnt + 2);
  EXPECT_EQ(after.free_pages, before.free_pages - 2) << "the refused page's EPC page is freed";
  EXPECT_EQ(after.page_cnt, before.page_cnt + 2);
  // The TCS again: refused at once.
  uint64_t tcs_count = 1;
  EXPECT_EQ(c.f.add_tcs(c.fd, &tcs_count), -EBUSY);
  EXPECT_EQ(tcs_count, 0u);
  EXPECT_EQ(state(c.f, c.fd), after);
  EXPECT_EQ(c.f.sgx().warnings(), 0u);
  c.f.finish_build(c.fd, c.spec, false, {2, 0, 1});
}

TEST(DriverAddPages, ASignalPendingBeforeTheFirstPageIsEintrWithCountZero) {
  Created c;
  const State before = state(c.f, c.fd);
  uapi::EnclaveAddPages arg = c.reg_arg(2);
  arg.count = 0xdead;
  const hw::LAddr at = c.f.user_copy(arg);
  c.f.task().send_signal();
  EXPECT_EQ(c.f.process().ioctl(c.fd, uapi::ioctl::kEnclaveAddPages, at), -EINTR);
  EXPECT_FALSE(c.f.task().signal_pending());
  c.f.user_read(at, &arg, sizeof(arg));
  EXPECT_EQ(arg.count, 0u) << "count is copied back even for -ERESTARTSYS";
  expect_unchanged_and_build(c, before);
}

// The first seed whose signal.pending draws at `percent` are no, then yes: the second
// page's check sees a signal, the first's does not. (FaultInjection draws
// mt19937_64() % 100 < percent, from the seed enable() gave it.)
uint64_t seed_failing_second_draw(int percent) {
  for (uint64_t seed = 1;; ++seed) {
    std::mt19937_64 rng(seed);
    const bool first = int(rng() % 100) < percent;
    const bool second = int(rng() % 100) < percent;
    if (!first && second) return seed;
  }
}

TEST(DriverAddPages, ASignalAfterTheFirstPageIsAPartialSuccessReturningZero) {
  Created c;
  const State before = state(c.f, c.fd);
  uapi::EnclaveAddPages arg = c.reg_arg(3);
  const hw::LAddr at = c.f.user_copy(arg);
  c.f.kernel().faults().enable(FailPoint::kSignalPending, 50, seed_failing_second_draw(50));
  const long ret = c.f.process().ioctl(c.fd, uapi::ioctl::kEnclaveAddPages, at);
  c.f.kernel().faults().disable_all();
  EXPECT_EQ(c.f.kernel().faults().failures(FailPoint::kSignalPending), 1u);
  EXPECT_EQ(ret, 0) << "the loop breaks and returns the last page's 0";
  c.f.user_read(at, &arg, sizeof(arg));
  EXPECT_EQ(arg.count, kPage) << "ret 0 with count < length";
  const State after = state(c.f, c.fd);
  EXPECT_EQ(after.pages, before.pages + 1);
  EXPECT_EQ(after.free_pages, before.free_pages - 1);
  EXPECT_EQ(c.f.sgx().warnings(), 0u);
  c.f.finish_build(c.fd, c.spec, false, {0});
}

TEST(DriverAddPages, ACountThatCannotBeCopiedBackIsEfaultAfterThePagesWentIn) {
  Created c;
  const State before = state(c.f, c.fd);
  uapi::EnclaveAddPages arg = c.reg_arg(2);
  const hw::LAddr at = c.f.user_copy(arg);
  ASSERT_EQ(c.f.process().mprotect(at, kPage, kernel::PROT_READ), 0);
  EXPECT_EQ(c.f.process().ioctl(c.fd, uapi::ioctl::kEnclaveAddPages, at), -EFAULT);
  const State after = state(c.f, c.fd);
  EXPECT_EQ(after.pages, before.pages + 2) << "both pages were added before the copy back";
  EXPECT_EQ(after.free_pages, before.free_pages - 2);
  EXPECT_EQ(c.f.sgx().warnings(), 0u);
  c.f.finish_build(c.fd, c.spec, false, {0, 1});
}

TEST(DriverAddPages, AMalformedTcsEaddRefusesIsEioAndLeavesTheMeasurementAlone) {
  Created c(false);
  const State before = state(c.f, c.fd);
  const std::array<uint8_t, 32> mr_before = c.f.mrenclave_of(c.fd);
  std::vector<uint8_t> tcs = DriverFixture::tcs_bytes();
  uapi::Tcs t;
  std::memcpy(&t, tcs.data(), sizeof(t));
  t.flags |= 1ull << 5;  // a reserved TCS flag: EADD #GPs
  std::memcpy(tcs.data(), &t, sizeof(t));
  uint64_t count = 1;
  EXPECT_EQ(c.f.add_pages(c.fd, 0, tcs, kTcsFlags, uapi::kPageMeasure, &count), -EIO);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(c.f.mrenclave_of(c.fd), mr_before);
  expect_unchanged_and_build(c, before, true);
}

TEST(DriverAddPages, AKmallocFailureIsEnomem) {
  Created c;
  const State before = state(c.f, c.fd);
  uapi::EnclaveAddPages arg = c.reg_arg(2);
  const hw::LAddr at = c.f.user_copy(arg);
  c.f.kernel().faults().enable(FailPoint::kKmalloc, 100, 1);
  EXPECT_EQ(c.f.process().ioctl(c.fd, uapi::ioctl::kEnclaveAddPages, at), -ENOMEM);
  c.f.kernel().faults().disable_all();
  c.f.user_read(at, &arg, sizeof(arg));
  EXPECT_EQ(arg.count, 0u);
  expect_unchanged_and_build(c, before);
}

TEST(DriverAddPages, NoEpcPageAndNothingReclaimableIsEnomem) {
  Created c(false);
  const State before = state(c.f, c.fd);
  ASSERT_EQ(before.lru_pages, 0u);
  c.f.kernel().faults().enable(FailPoint::kEpcAlloc, 100, 1);
  uint64_t count = 1;
  EXPECT_EQ(c.f.add_tcs(c.fd, &count), -ENOMEM);
  c.f.kernel().faults().disable_all();
  EXPECT_EQ(count, 0u);
  expect_unchanged_and_build(c, before, true);
}

}  // namespace
}  // namespace sgxref::testlib
