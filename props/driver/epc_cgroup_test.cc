// EPC accounting as the misc cgroup's sgx_epc resource (the "Add Cgroup support for SGX
// EPC memory" series, v16: epc_cgroup.c sgx_cgroup_try_charge, sgx_cgroup_reclaim_pages,
// sgx_cgroup_should_reclaim, the work function; main.c sgx_alloc_epc_page and
// sgx_free_epc_page; kernel/cgroup/misc.c misc_cg_try_charge; docs/epc-accounting.md):
// every EPC page is charged to the allocating task's group and its ancestors; a group at
// its limit reclaims its own subtree's pages, -ENOMEM when it has none, -EBUSY without
// reclaim; misc.current, peak, max and events; teardown uncharges everything.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "driver/encl.h"
#include "driver/epc_cgroup.h"
#include "driver_fixture.h"
#include "kernel/errno.h"
#include "kernel/run_queue.h"
#include "kernel/mm.h"
#include "kernel/task.h"
#include "sched/controlled.h"
#include "sched/thread.h"
#include "staged_strategy.h"
#include "uapi/sgx_ioctl.h"

namespace sgxref::testlib {
namespace {

using driver::EpcCgroup;
using driver::kNoLimit;
constexpr uint64_t kPage = hw::kPageSize;

// The EPC pages an enclave holds now: SECS (if resident), VA pages, resident children.
uint64_t pages_held(DriverFixture& f, int fd) {
  driver::Encl& encl = f.encl_of(fd);
  sched::MutexLock l(encl.lock);
  uint64_t n = encl.va_pages.size() + (encl.secs.epc_page != nullptr ? 1 : 0);
  for (const auto& [pfn, page] : encl.page_array) n += page->epc_page != nullptr ? 1 : 0;
  return n;
}

bool resident(DriverFixture& f, int fd, hw::LAddr a) {
  driver::Encl& encl = f.encl_of(fd);
  sched::MutexLock l(encl.lock);
  const auto it = encl.page_array.find(a >> hw::kPageShift);
  return it != encl.page_array.end() && it->second->epc_page != nullptr;
}

// Every page on an LRU written out (and each initialized enclave's SECS after it).
void evict_everything(DriverFixture& f) {
  kernel::CpuHold cpu;
  for (int i = 0; i < 1000 && f.sgx().lru_pages() > 0; ++i) f.sgx().reclaim_pages();
  ASSERT_EQ(f.sgx().lru_pages(), 0u);
}

// Faults evicted pages of `spec` back in (ELDU, which does not reclaim) until the
// group's limit refuses one: the fault handler answers NOPAGE, so the access would just
// fault again, and the page stays out. That page, or 0 if every page came back.
hw::LAddr fault_in_until_refused(DriverFixture& f, int fd, const EnclaveSpec& spec) {
  kernel::Mm& mm = f.process().mm();
  for (uint64_t i = 0; i < spec.reg_pages; ++i) {
    const hw::LAddr a = spec.base + (1 + i) * kPage;
    if (resident(f, fd, a)) continue;
    kernel::CpuHold cpu;
    EXPECT_EQ(mm.handle_mm_fault(a, false, false), kernel::FaultResult::kHandled);
    if (!resident(f, fd, a)) return a;
  }
  return 0;
}

void expect_page_reads_back(DriverFixture& f, const EnclaveSpec& spec, uint64_t i) {
  std::vector<uint8_t> got(kPage);
  ASSERT_EQ(f.peek(spec.base + (1 + i) * kPage, got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(spec, i)) << "REG page " << i;
}

EnclaveSpec spec_at(uint64_t base, uint64_t reg_pages, uint8_t seed) {
  EnclaveSpec spec;
  spec.base = base;
  spec.reg_pages = reg_pages;
  spec.seed = seed;
  return spec;
}

TEST(DriverEpcCgroup, TheRootGroupHasNoLimitAndIsChargedForEveryPageInUse) {
  DriverFixture f;
  EpcCgroup& root = f.sgx().cgroups().root();
  EXPECT_EQ(root.max(), kNoLimit);
  EXPECT_EQ(root.current(), 0u) << "sanitized pages are charged to no one";
  const int fd = f.build_enclave(spec_at(0x4000'0000, 4, 1));
  // SECS, a VA page, the TCS and 4 REG pages.
  EXPECT_EQ(root.current(), 7u);
  EXPECT_EQ(root.current(), f.sgx().total_pages() - f.sgx().nr_free_pages());
  EXPECT_EQ(root.current(), pages_held(f, fd));
  EXPECT_EQ(root.peak(), 7u);
  EXPECT_EQ(root.events(), 0u);
  EXPECT_EQ(root.events_local(), 0u);
  EXPECT_EQ(root.lru_pages(), 5u) << "the children are on the root's LRU";
  EXPECT_EQ(f.sgx().lru_pages(), 5u);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, ChargesForTheSecsVaPageAndChildrenAddUpToWhatTheEnclaveHolds) {
  DriverFixture f;
  EpcCgroup& root = f.sgx().cgroups().root();
  EpcCgroup& g = f.sgx().cgroups().create(root, "g");
  f.sgx().cgroups().attach(f.process(), g);
  const EnclaveSpec spec = spec_at(0x4000'0000, 6, 2);
  const int fd = f.open_enclave();
  ASSERT_EQ(f.create(fd, spec), 0);
  EXPECT_EQ(g.current(), 2u) << "the SECS and a VA page";
  EXPECT_EQ(g.lru_pages(), 0u) << "neither is reclaimable";
  ASSERT_EQ(f.add_tcs(fd), 0);
  EXPECT_EQ(g.current(), 3u);
  ASSERT_EQ(f.add_reg(fd, spec, 0, 6), 0);
  EXPECT_EQ(g.current(), 9u);
  EXPECT_EQ(g.current(), pages_held(f, fd));
  EXPECT_EQ(g.lru_pages(), 7u) << "the TCS and REG pages, on the group's own LRU";
  EXPECT_EQ(root.lru_pages(), 0u);
  EXPECT_EQ(root.current(), g.current()) << "misc.current counts the descendants";
  EXPECT_EQ(root.current(), f.sgx().total_pages() - f.sgx().nr_free_pages());
  f.finish_build(fd, spec, false, {0, 1, 2, 3, 4, 5});
  EXPECT_EQ(g.current(), pages_held(f, fd));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, AGroupAtItsLimitReclaimsItsOwnPagesAndTheBuildSucceeds) {
  DriverFixture f;  // 64 EPC pages: the EPC itself is never short here
  EpcCgroup& root = f.sgx().cgroups().root();
  EpcCgroup& a = f.sgx().cgroups().create(root, "a");
  EpcCgroup& b = f.sgx().cgroups().create(root, "b");
  b.set_max(12);
  f.sgx().cgroups().attach(f.process(), a);
  const EnclaveSpec s1 = spec_at(0x4000'0000, 8, 3);
  const int fd1 = f.build_enclave(s1);
  ASSERT_EQ(a.current(), 11u);
  ASSERT_EQ(a.lru_pages(), 9u);

  f.sgx().cgroups().attach(f.process(), b);
  const EnclaveSpec s2 = spec_at(0x8000'0000, 24, 4);
  const int fd2 = f.build_enclave(s2);  // asserts every ioctl succeeded, INIT included
  EXPECT_TRUE(f.encl_of(fd2).test_flag(driver::SGX_ENCL_INITIALIZED));
  EXPECT_LE(b.peak(), 12u);
  EXPECT_LE(b.current(), 12u);
  EXPECT_EQ(b.current(), pages_held(f, fd2));
  EXPECT_GT(b.events_local(), 0u) << "each charge refused at the limit counts";
  EXPECT_EQ(b.events(), b.events_local());
  EXPECT_EQ(root.events(), 0u);
  // The other group's pages were not touched.
  EXPECT_EQ(a.current(), 11u);
  EXPECT_EQ(a.lru_pages(), 9u);
  for (uint64_t i = 0; i < s1.reg_pages; ++i) {
    EXPECT_TRUE(resident(f, fd1, s1.base + (1 + i) * kPage)) << "page " << i << " of a's enclave";
  }
  EXPECT_EQ(f.sgx().nr_free_pages(), f.sgx().total_pages() - a.current() - b.current());
  // What b evicted of its own comes back intact once it may grow.
  b.set_max(kNoLimit);
  for (uint64_t i = 0; i < s2.reg_pages; ++i) expect_page_reads_back(f, s2, i);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, NothingReclaimableOfItsOwnIsEnomemFromAddPagesAndChangesNothing) {
  DriverFixture f;
  EpcCgroup& root = f.sgx().cgroups().root();
  // The root has reclaimable pages; the group may not take them.
  const EnclaveSpec s0 = spec_at(0x4000'0000, 4, 5);
  const int fd0 = f.build_enclave(s0);
  EpcCgroup& c = f.sgx().cgroups().create(root, "c");
  c.set_max(2);
  f.sgx().cgroups().attach(f.process(), c);
  const EnclaveSpec spec = spec_at(0x8000'0000, 2, 6);
  const int fd = f.open_enclave();
  ASSERT_EQ(f.create(fd, spec), 0);
  ASSERT_EQ(c.current(), 2u);
  const uint64_t free_before = f.sgx().nr_free_pages();
  const uint64_t root_lru = root.lru_pages();
  const auto mrenclave = f.mrenclave_of(fd);

  uint64_t count = ~uint64_t(0);
  EXPECT_EQ(f.add_tcs(fd, &count), -ENOMEM);
  EXPECT_EQ(count, 0u);
  driver::Encl& encl = f.encl_of(fd);
  {
    sched::MutexLock l(encl.lock);
    EXPECT_TRUE(encl.page_array.empty());
  }
  EXPECT_EQ(encl.page_cnt.load(), 1u) << "only the SECS needs a VA slot";
  EXPECT_EQ(f.mrenclave_of(fd), mrenclave) << "no EADD, no EEXTEND";
  EXPECT_EQ(c.current(), 2u);
  EXPECT_EQ(c.events_local(), 1u);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  EXPECT_EQ(root.lru_pages(), root_lru);
  for (uint64_t i = 0; i < s0.reg_pages; ++i) {
    EXPECT_TRUE(resident(f, fd0, s0.base + (1 + i) * kPage));
  }
  // The refusal left the enclave buildable.
  c.set_max(kNoLimit);
  f.finish_build(fd, spec);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, CreateWithRoomForOnlyTheVaPageIsEnomemAndUnchargesIt) {
  DriverFixture f;
  EpcCgroup& c = f.sgx().cgroups().create(f.sgx().cgroups().root(), "c");
  c.set_max(1);
  f.sgx().cgroups().attach(f.process(), c);
  const EnclaveSpec spec = spec_at(0x4000'0000, 2, 7);
  const int fd = f.open_enclave();
  EXPECT_EQ(f.create(fd, spec), -ENOMEM) << "the VA page fits, the SECS does not";
  EXPECT_FALSE(f.encl_of(fd).test_flag(driver::SGX_ENCL_CREATED));
  EXPECT_EQ(c.current(), 0u) << "sgx_encl_shrink freed and uncharged the VA page";
  EXPECT_EQ(c.peak(), 1u);
  EXPECT_EQ(c.events_local(), 1u);
  EXPECT_EQ(f.sgx().nr_free_pages(), f.sgx().total_pages());
  c.set_max(kNoLimit);
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, AChildAtItsParentsLimitReclaimsItsSubtreeAndTheParentCountsTheEvent) {
  DriverFixture f;
  EpcCgroup& root = f.sgx().cgroups().root();
  EpcCgroup& p = f.sgx().cgroups().create(root, "p");
  EpcCgroup& q = f.sgx().cgroups().create(p, "q");
  p.set_max(10);
  f.sgx().cgroups().attach(f.process(), q);
  const EnclaveSpec spec = spec_at(0x4000'0000, 16, 8);
  const int fd = f.build_enclave(spec);
  EXPECT_TRUE(f.encl_of(fd).test_flag(driver::SGX_ENCL_INITIALIZED));
  EXPECT_EQ(q.max(), kNoLimit);
  EXPECT_LE(q.current(), 10u) << "the parent's limit binds the child";
  EXPECT_LE(p.peak(), 10u);
  // misc_cg_try_charge updates each level's watermark as it goes up, and keeps it when a
  // level above refuses: q's peak saw a charge p then undid.
  EXPECT_EQ(q.peak(), 11u);
  EXPECT_EQ(p.current(), q.current());
  EXPECT_EQ(q.current(), pages_held(f, fd));
  EXPECT_GT(p.events_local(), 0u) << "the refusals happened at p";
  EXPECT_EQ(p.events(), p.events_local());
  EXPECT_EQ(q.events_local(), 0u);
  EXPECT_EQ(q.events(), 0u) << "events go up the tree, not down";
  EXPECT_EQ(root.events(), 0u);
  EXPECT_EQ(root.events_local(), 0u);
  p.set_max(kNoLimit);
  for (uint64_t i = 0; i < spec.reg_pages; ++i) expect_page_reads_back(f, spec, i);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, AFaultAtTheLimitIsEbusyUntilKsgxdRunsTheGroupsReclaimWork) {
  DriverFixture f;
  EpcCgroup& g = f.sgx().cgroups().create(f.sgx().cgroups().root(), "g");
  g.set_max(8);  // at most 4 x the low watermark: no margin kept below it
  f.sgx().cgroups().attach(f.process(), g);
  const EnclaveSpec spec = spec_at(0x4000'0000, 12, 9);
  const int fd = f.build_enclave(spec);
  kernel::Mm& mm = f.process().mm();
  const uint64_t events = g.events_local();
  const hw::LAddr refused = fault_in_until_refused(f, fd, spec);
  ASSERT_NE(refused, 0u) << "12 REG pages cannot all be resident in 8";
  EXPECT_EQ(g.current(), 8u);
  EXPECT_EQ(g.events_local(), events + 1);
  EXPECT_TRUE(g.work_queued()) << "-EBUSY queues the group's reclaim work";
  EXPECT_TRUE(f.sgx().cgroup_work_pending());
  const uint64_t wakeups = f.sgx().ksgxd_wakeups();

  EXPECT_GT(f.sgx().ksgxd_step(), 0);
  EXPECT_FALSE(g.work_queued());
  EXPECT_LT(g.current(), 8u);
  EXPECT_EQ(f.sgx().ksgxd_wakeups(), wakeups) << "queued work is not a global wake-up";
  {
    kernel::CpuHold cpu;
    EXPECT_EQ(mm.handle_mm_fault(refused, false, false), kernel::FaultResult::kHandled);
  }
  EXPECT_TRUE(resident(f, fd, refused));
  EXPECT_LE(g.peak(), 8u);
  EXPECT_EQ(g.current(), pages_held(f, fd));
  for (uint64_t i = 0; i < spec.reg_pages; ++i) {
    if (resident(f, fd, spec.base + (1 + i) * kPage)) expect_page_reads_back(f, spec, i);
  }
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

// v16's order in __sgx_cgroup_try_charge (docs/epc-accounting.md, "a transient
// -ENOMEM"): the LRU is asked before SGX_NO_RECLAIM, and a page the reclaimer has
// isolated for its batch is on no LRU. So a fault at the limit while a batch holds the
// group's whole LRU is -ENOMEM, and SIGBUS, where a moment earlier or later it is NOPAGE.
TEST(DriverEpcCgroup, AFaultAtTheLimitWhileABatchHoldsTheGroupsWholeLruIsSigbus) {
  DriverFixture f;
  EpcCgroup& g = f.sgx().cgroups().create(f.sgx().cgroups().root(), "g");
  g.set_max(8);
  f.sgx().cgroups().attach(f.process(), g);
  const EnclaveSpec spec = spec_at(0x4000'0000, 12, 9);
  const int fd = f.build_enclave(spec);
  kernel::Mm& mm = f.process().mm();
  const hw::LAddr evicted = fault_in_until_refused(f, fd, spec);
  ASSERT_NE(evicted, 0u) << "12 REG pages cannot all be resident in 8";
  ASSERT_EQ(g.current(), 8u);
  const uint64_t on_lru = g.lru_pages();
  ASSERT_GT(on_lru, 0u);
  ASSERT_LE(on_lru, uint64_t(driver::SGX_NR_TO_SCAN)) << "one batch takes the whole LRU";

  // The batch's second pass at the LRU lock is its release after isolating the pages;
  // the fault runs there, to its end.
  kernel::FaultResult fault = kernel::FaultResult::kHandled;
  uint64_t lru_during_fault = ~0ull;
  auto staged = std::make_unique<StagedStrategy>(
      std::vector<Stage>{{1, "sgx_cg->lru.lock", 2}, {2, ""}});
  StagedStrategy* plan = staged.get();
  sched::Controlled s(std::move(staged));
  const sched::Outcome o = s.run([&] {
    sched::Thread reclaimer("reclaimer", [&] {
      kernel::Task task(f.kernel(), "ksgxd");
      kernel::TaskScope scope(task);
      kernel::CpuHold cpu;
      f.sgx().reclaim_pages(g);
    });
    sched::Thread faulter("faulter", [&] {
      kernel::Task task(f.process(), "faulter");
      kernel::TaskScope scope(task);
      kernel::CpuHold cpu;
      lru_during_fault = g.lru_pages();
      fault = mm.handle_mm_fault(evicted, false, false);
    });
    reclaimer.join();
    faulter.join();
  });
  ASSERT_TRUE(o.completed()) << o.report();
  EXPECT_TRUE(plan->all_reached());
  EXPECT_EQ(lru_during_fault, 0u) << "the batch held every page of the group";
  EXPECT_EQ(fault, kernel::FaultResult::kSigbus) << "-ENOMEM, not -EBUSY's NOPAGE";
  EXPECT_FALSE(resident(f, fd, evicted));
  EXPECT_LT(g.current(), 8u) << "the batch freed its pages";
  // The same fault now finds room.
  {
    kernel::CpuHold cpu;
    EXPECT_EQ(mm.handle_mm_fault(evicted, false, false), kernel::FaultResult::kHandled);
  }
  EXPECT_TRUE(resident(f, fd, evicted));
  EXPECT_EQ(g.current(), pages_held(f, fd));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, APageIsChargedToTheGroupOfTheTaskThatAllocatesItNotTheEnclaves) {
  DriverFixture f;
  EpcCgroup& root = f.sgx().cgroups().root();
  const EnclaveSpec spec = spec_at(0x4000'0000, 4, 10);
  const int fd = f.build_enclave(spec);
  evict_everything(f);
  ASSERT_EQ(f.encl_of(fd).secs.epc_page, nullptr);
  ASSERT_EQ(root.current(), 1u) << "the VA page";
  EpcCgroup& g = f.sgx().cgroups().create(root, "g");
  f.sgx().cgroups().attach(f.process(), g);
  expect_page_reads_back(f, spec, 2);  // ELDU of the SECS, then of the page
  EXPECT_EQ(g.current(), 2u);
  EXPECT_EQ(root.current() - g.current(), 1u) << "the VA page stays charged to the root";
  EXPECT_EQ(g.lru_pages(), 1u) << "the reloaded child is on g's LRU";
  EXPECT_EQ(root.lru_pages(), 0u);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, TheGlobalReclaimTakesFromEveryGroupInTurn) {
  DriverFixture f;
  EpcCgroup& root = f.sgx().cgroups().root();
  EpcCgroup& a = f.sgx().cgroups().create(root, "a");
  EpcCgroup& b = f.sgx().cgroups().create(root, "b");
  f.sgx().cgroups().attach(f.process(), a);
  f.build_enclave(spec_at(0x4000'0000, 20, 11));
  f.sgx().cgroups().attach(f.process(), b);
  f.build_enclave(spec_at(0x8000'0000, 20, 12));
  ASSERT_EQ(a.lru_pages(), 21u);
  ASSERT_EQ(b.lru_pages(), 21u);
  kernel::CpuHold cpu;
  f.sgx().reclaim_pages();
  EXPECT_EQ(a.lru_pages(), 21u - driver::SGX_NR_TO_SCAN) << "the root's LRU was empty: a next";
  EXPECT_EQ(b.lru_pages(), 21u);
  f.sgx().reclaim_pages();
  EXPECT_EQ(b.lru_pages(), 21u - driver::SGX_NR_TO_SCAN) << "then b";
  EXPECT_EQ(a.current() + b.current(), root.current());
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, APageForAnExplicitGroupIsChargedThereAndNeverReclaimable) {
  DriverFixture f;
  EpcCgroup& root = f.sgx().cgroups().root();
  EpcCgroup& g = f.sgx().cgroups().create(root, "g");
  g.set_max(1);
  kernel::CpuHold cpu;
  driver::ErrPtr<driver::EpcPage> page = f.sgx().alloc_epc_page(nullptr, false, g);
  ASSERT_FALSE(page.is_err());
  EXPECT_EQ(page->cg, &g);
  EXPECT_EQ(g.current(), 1u);
  EXPECT_EQ(root.current(), 1u);
  driver::ErrPtr<driver::EpcPage> second = f.sgx().alloc_epc_page(nullptr, false, g);
  ASSERT_TRUE(second.is_err());
  EXPECT_EQ(second.err(), -ENOMEM) << "nothing of g's on an LRU: not -EBUSY";
  EXPECT_FALSE(g.work_queued());
  EXPECT_EQ(g.events_local(), 1u);
  f.sgx().free_epc_page(page.get());
  EXPECT_EQ(g.current(), 0u);
  EXPECT_EQ(root.current(), 0u);
  EXPECT_EQ(f.sgx().nr_free_pages(), f.sgx().total_pages());
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverEpcCgroup, TeardownUnchargesEveryPageFromEveryGroup) {
  DriverFixture f;
  EpcCgroup& root = f.sgx().cgroups().root();
  EpcCgroup& a = f.sgx().cgroups().create(root, "a");
  EpcCgroup& b = f.sgx().cgroups().create(root, "b");
  EpcCgroup& c = f.sgx().cgroups().create(b, "c");
  a.set_max(10);
  std::vector<std::pair<int, EnclaveSpec>> built;
  f.sgx().cgroups().attach(f.process(), a);
  built.emplace_back(f.build_enclave(spec_at(0x4000'0000, 14, 13)), spec_at(0x4000'0000, 14, 13));
  f.sgx().cgroups().attach(f.process(), c);
  built.emplace_back(f.build_enclave(spec_at(0x8000'0000, 6, 14)), spec_at(0x8000'0000, 6, 14));
  evict_everything(f);
  // Reloads charged to b, into enclaves built in a and c.
  f.sgx().cgroups().attach(f.process(), b);
  expect_page_reads_back(f, built[0].second, 3);
  expect_page_reads_back(f, built[1].second, 1);
  EXPECT_GT(a.current(), 0u);
  EXPECT_GT(b.current(), c.current());
  EXPECT_GT(c.current(), 0u);
  for (const auto& [fd, spec] : built) {
    ASSERT_EQ(f.process().close(fd), 0);
    ASSERT_EQ(f.process().munmap(spec.base, DriverFixture::size_of(spec)), 0);
  }
  for (const EpcCgroup* cg : {&root, &a, &b, &c}) {
    EXPECT_EQ(cg->current(), 0u) << "group " << cg->name();
    EXPECT_EQ(cg->lru_pages(), 0u) << "group " << cg->name();
  }
  EXPECT_EQ(f.sgx().nr_free_pages(), f.sgx().total_pages());
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
