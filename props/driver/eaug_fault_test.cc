// EAUG on fault (Linux encl.c sgx_encl_eaug_page, reached from sgx_vma_fault when the
// CPU has SGX2 and the address has no page): the new page is PENDING, so the access
// that faulted it in faults again with PFEC.SGX until the enclave EACCEPTs it; EACCEPT of
// an unbacked page faults, is EAUGed and retried (augment_via_eaccept); the SECS is
// reloaded first if it was evicted (c6c2adcba50c); out of EPC without reclaim, for the
// page or its VA page, the fault is taken again (NOPAGE, 81fa6fd13b5c) while other
// allocation failures are SIGBUS or OOM; and the loser of two faults racing to add the
// same page gets SIGBUS, as Linux answers it.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "driver/driver_fixture.h"
#include "driver/encl.h"
#include "driver/fixture_test_encl.h"
#include "driver/staged_strategy.h"
#include "hw/inspect.h"
#include "kernel/errno.h"
#include "kernel/fault_inject.h"
#include "kernel/mm.h"
#include "kernel/run_queue.h"
#include "kernel/user_mode.h"
#include "kernel/vm_flags.h"
#include "sched/controlled.h"
#include "sched/rw_mutex.h"
#include "sched/thread.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"

namespace sgxref::testlib {
namespace {

namespace sf = uapi::secinfo_flag;
namespace te = user::test_encl;
constexpr uint64_t kPage = hw::kPageSize;
constexpr uint64_t kPendingReg = sf::kR | sf::kW | sf::type(uapi::PageType::kReg) | sf::kPending;

uint64_t calls(DriverFixture& f, hw::Leaf l) {
  return hw::Inspector(f.machine()).counters().calls[int(l)];
}

kernel::FaultResult load(hw::LAddr a) {
  kernel::CpuHold cpu;
  uint64_t v = 0;
  return kernel::user_load(a, &v, sizeof(v));
}

// The VMA's fault handler called once, as the arch fault path would, without the retry
// user_load makes after NOPAGE.
kernel::VmFault fault_once(DriverFixture& f, hw::LAddr a) {
  kernel::CpuHold cpu;
  kernel::Mm& mm = f.process().mm();
  sched::ReaderLock l(mm.mmap_lock);
  kernel::Vma* vma = mm.find_vma(a);
  EXPECT_NE(vma, nullptr);
  if (vma == nullptr) return kernel::VmFault::kSigbus;
  return vma->ops->fault(*vma, a, false);
}

size_t records(DriverFixture& f, int fd) {
  driver::Encl& encl = f.encl_of(fd);
  sched::MutexLock l(encl.lock);
  return encl.page_array.size();
}

// The thread of TCS #2 faults and waits (its one SSA frame in use); TCS #1 accepts the
// page; TCS #2 resumes and its access goes through, as the selftests' augment test does
// it with ERESUME.
TEST(DriverEaugFault, AnEnclaveAccessToAnUnbackedPageGetsAPendingPageAndFaultsWithPfecSgx) {
  DriverFixture f;
  FixtureTestEncl e(f, 0);
  const uint64_t page = e.holes();
  const uint64_t eaugs = calls(f, hw::Leaf::kEaug);
  const uint64_t free_pages = f.sgx().nr_free_pages();
  const hw::LAddr op2 = f.user_alloc(kPage);

  user::EnclOpPutToAddr put{{user::kEnclOpPutToAddress}, 5, e.base() + page};
  const uapi::EnclaveRun w = e.call(put, te::kTcs2, op2);
  // The first fault (no PTE) was EAUG's, resumed by the vDSO; the second is the EPCM's.
  EXPECT_EQ(w.function, uapi::enclu::kEresume);
  EXPECT_EQ(w.exception_vector, 14);
  EXPECT_EQ(w.exception_error_code, 0x8007) << "SGX|U|W|P: the page is PENDING";
  EXPECT_EQ(w.exception_addr, e.base() + page);
  EXPECT_EQ(calls(f, hw::Leaf::kEaug), eaugs + 1);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_pages - 1);
  const std::optional<driver::EnclPage> rec = e.record(page);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->type, uapi::PageType::kReg);
  EXPECT_EQ(rec->vm_max_prot_bits, kernel::VM_READ | kernel::VM_WRITE | kernel::VM_EXEC);
  const hw::EpcmEntry epcm = e.epcm(page);
  EXPECT_TRUE(epcm.pending);
  EXPECT_EQ(epcm.type, hw::PageType::kReg);

  EXPECT_EQ(e.eaccept(page, kPendingReg), 0u);
  EXPECT_EQ(e.resume(te::kTcs2, op2).function, uapi::enclu::kEexit);
  uint64_t v = 0;
  EXPECT_EQ(e.get(page, v).function, uapi::enclu::kEexit);
  EXPECT_EQ(v, 5u);

  // A read: SGX|U|P.
  const uint64_t second = page + kPage;
  user::EnclOpGetFromAddr get{{user::kEnclOpGetFromAddress}, 1, e.base() + second};
  const uapi::EnclaveRun r = e.call(get, te::kTcs2, op2);
  EXPECT_EQ(r.exception_vector, 14);
  EXPECT_EQ(r.exception_error_code, 0x8005);
  EXPECT_EQ(calls(f, hw::Leaf::kEaug), eaugs + 2);
  EXPECT_EQ(e.eaccept(second, kPendingReg), 0u);
  EXPECT_EQ(e.resume(te::kTcs2, op2).function, uapi::enclu::kEexit);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEaugFault, EacceptOfAnUnbackedPageFaultsIsAugmentedAndRetried) {
  // The selftests' augment_via_eaccept.
  DriverFixture f;
  FixtureTestEncl e(f, 0);
  const uint64_t page = e.holes() + kPage;
  const uint64_t eaugs = calls(f, hw::Leaf::kEaug);
  EXPECT_EQ(e.eaccept(page, kPendingReg), 0u);
  EXPECT_EQ(calls(f, hw::Leaf::kEaug), eaugs + 1);
  EXPECT_FALSE(e.epcm(page).pending);
  uint64_t v = 1;
  EXPECT_EQ(e.get(page, v).function, uapi::enclu::kEexit);
  EXPECT_EQ(v, 0u) << "EAUG gives a zeroed page";
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEaugFault, AnEvictedSecsIsReloadedBeforeEaug) {
  DriverFixture f;
  FixtureTestEncl e(f, 0);
  {
    kernel::CpuHold cpu;
    for (int i = 0; i < 1000 && f.sgx().lru_pages() > 0; ++i) f.sgx().reclaim_pages();
  }
  driver::Encl& encl = f.encl_of(e.fd());
  {
    sched::MutexLock l(encl.lock);
    ASSERT_EQ(encl.secs.epc_page, nullptr);
  }
  const hw::Counters before = hw::Inspector(f.machine()).counters();
  EXPECT_EQ(load(e.base() + e.holes()), kernel::FaultResult::kHandled);
  const hw::Counters after = hw::Inspector(f.machine()).counters();
  EXPECT_EQ(after.reloads - before.reloads, 1u) << "the SECS alone";
  EXPECT_EQ(after.calls[int(hw::Leaf::kEaug)] - before.calls[int(hw::Leaf::kEaug)], 1u);
  EXPECT_TRUE(e.epcm(e.holes()).pending);
  EXPECT_EQ(e.eaccept(e.holes(), kPendingReg), 0u);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEaugFault, NoFreeEpcWithoutReclaimIsTakenAgainAndChangesNothing) {
  DriverFixture f;
  FixtureTestEncl e(f, 0);
  const hw::LAddr a = e.base() + e.holes();
  const size_t n = records(f, e.fd());
  const uint64_t free_pages = f.sgx().nr_free_pages();
  f.kernel().faults().enable(kernel::FailPoint::kEpcAlloc, 100, 1);
  EXPECT_EQ(fault_once(f, a), kernel::VmFault::kNoPage);
  f.kernel().faults().disable_all();
  EXPECT_EQ(records(f, e.fd()), n);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_pages);
  EXPECT_EQ(load(a), kernel::FaultResult::kHandled);
  EXPECT_EQ(records(f, e.fd()), n + 1);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

// VM_FAULT_OOM, which user code takes again once the OOM killer has run: the access
// goes through as soon as the allocation does (found while writing the fault property:
// the vDSO reported it as an exception, which Linux never does for OOM).
TEST(DriverEaugFault, NoMemoryForThePageRecordIsOomAndTheAccessIsTakenAgain) {
  DriverFixture f;
  FixtureTestEncl e(f, 0);
  const hw::LAddr a = e.base() + e.holes();
  const size_t n = records(f, e.fd());
  f.kernel().faults().enable(kernel::FailPoint::kKmalloc, 100, 1);
  EXPECT_EQ(fault_once(f, a), kernel::VmFault::kOom);
  EXPECT_EQ(records(f, e.fd()), n);
  f.kernel().faults().enable(kernel::FailPoint::kKmalloc, 75, 1);
  EXPECT_EQ(load(a), kernel::FaultResult::kHandled);
  EXPECT_GE(f.kernel().faults().failures(kernel::FailPoint::kKmalloc), 2u);
  f.kernel().faults().disable_all();
  EXPECT_EQ(records(f, e.fd()), n + 1);
}

// 510 REG pages and the TCS bring page_cnt (the SECS counted) to 512, so the next page
// needs a new VA page; an EPC of 514 pages leaves one page free for the EAUGed page and
// none for its VA page.
TEST(DriverEaugFault, AVaPageThatCannotBeAllocatedWithoutReclaimIsTakenAgainNotSigbus) {
  DriverFixtureOptions o;
  o.epc_pages = 514;
  DriverFixture f(o);
  EnclaveSpec spec;
  spec.reg_pages = 510;
  const int fd = f.build_enclave(spec);
  driver::Encl& encl = f.encl_of(fd);
  ASSERT_EQ(encl.page_cnt.load(), 512u);
  ASSERT_EQ(f.sgx().nr_free_pages(), 1u);
  const hw::LAddr hole = spec.base + 511 * kPage;
  const size_t n = records(f, fd);

  // va.alloc: the VA page's allocation failing for want of memory (-ENOMEM) is SIGBUS,
  // as in Linux, which retries only -EBUSY.
  f.kernel().faults().enable(kernel::FailPoint::kVaAlloc, 100, 1);
  EXPECT_EQ(fault_once(f, hole), kernel::VmFault::kSigbus);
  f.kernel().faults().disable_all();
  EXPECT_EQ(records(f, fd), n);
  EXPECT_EQ(encl.page_cnt.load(), 512u);
  EXPECT_EQ(f.sgx().nr_free_pages(), 1u);

  // Nothing free for the VA page and no reclaim under the mutex: -EBUSY, NOPAGE.
  EXPECT_EQ(fault_once(f, hole), kernel::VmFault::kNoPage);
  EXPECT_EQ(records(f, fd), n);
  EXPECT_EQ(encl.page_cnt.load(), 512u);
  EXPECT_EQ(f.sgx().nr_free_pages(), 1u);

  // ksgxd, woken by the allocator, makes room; the fault taken again succeeds.
  EXPECT_GT(f.sgx().ksgxd_step(), 0);
  EXPECT_EQ(load(hole), kernel::FaultResult::kHandled);
  EXPECT_EQ(records(f, fd), n + 1);
  EXPECT_EQ(encl.page_cnt.load(), 513u);
  {
    sched::MutexLock l(encl.lock);
    EXPECT_EQ(encl.va_pages.size(), 2u);
  }
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

// Two threads of the process fault on the same unbacked page. The first finds no page,
// and before it takes the enclave lock to add one, the second adds it; the first's
// xa_insert then fails and it gets SIGBUS (reference section 6, item 14: Linux answers
// the loser with SIGBUS, not NOPAGE).
TEST(DriverEaugFault, TheLoserOfTwoFaultsAddingTheSamePageGetsSigbus) {
  DriverFixture f;
  FixtureTestEncl e(f, 0);
  const hw::LAddr a = e.base() + e.holes();
  const size_t n = records(f, e.fd());
  const uint64_t eaugs = calls(f, hw::Leaf::kEaug);
  kernel::FaultResult first = kernel::FaultResult::kHandled;
  kernel::FaultResult second = kernel::FaultResult::kSigbus;
  // The first faulter's third pass at the enclave lock: its look-up took and dropped the
  // lock, and it is about to take it again to add the page.
  auto staged = std::make_unique<StagedStrategy>(
      std::vector<Stage>{{1, "encl->lock", 3}, {2, ""}});
  StagedStrategy* plan = staged.get();
  sched::Controlled s(std::move(staged));
  const sched::Outcome o = s.run([&] {
    sched::Thread t1("first", [&] {
      kernel::Task task(f.process(), "first");
      kernel::TaskScope scope(task);
      first = load(a);
    });
    sched::Thread t2("second", [&] {
      kernel::Task task(f.process(), "second");
      kernel::TaskScope scope(task);
      second = load(a);
    });
    t1.join();
    t2.join();
  });
  ASSERT_TRUE(o.completed()) << o.report();
  EXPECT_TRUE(plan->all_reached());
  EXPECT_EQ(second, kernel::FaultResult::kHandled);
  EXPECT_EQ(first, kernel::FaultResult::kSigbus);
  EXPECT_EQ(records(f, e.fd()), n + 1);
  EXPECT_EQ(calls(f, hw::Leaf::kEaug), eaugs + 1);
  EXPECT_EQ(e.eaccept(e.holes(), kPendingReg), 0u) << "the winner's page is usable";
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
