// mm_users and MmuNotifier: the last mmput tears the address space down (exit_mmap),
// telling each notifier first; a notifier's release runs exactly once, from exit_mmap or
// from unregister, whichever comes first, also when the two race.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "kernel_fixture.h"
#include "sched/controlled.h"
#include "sched/strategy.h"
#include "sched/thread.h"

namespace sgxref::kernel::test {
namespace {

constexpr uint64_t P = kPageSize;

class CountingNotifier : public MmuNotifier {
 public:
  void release(Mm& mm) override {
    releases.fetch_add(1);
    last = &mm;
    {
      sched::ReaderLock l(mm.mmap_lock);
      vmas_at_release = mm.vmas().size();
    }
    sched::point("test.release_middle");
    finished.fetch_add(1);
  }
  std::atomic<int> releases{0};
  std::atomic<int> finished{0};  // releases that have returned
  Mm* last = nullptr;
  size_t vmas_at_release = 0;
};

using MmuNotifierTest = KernelTest;

TEST_F(MmuNotifierTest, ExitCallsReleaseOnceBeforeUnmapping) {
  ASSERT_GT(anon(P), 0);
  ASSERT_GT(device_map(P), 0);
  CountingNotifier n;
  Mm* const mm_seen = &mm();
  mm().register_notifier(&n);
  p().exit();
  EXPECT_EQ(n.releases.load(), 1);
  EXPECT_EQ(n.last, mm_seen);
  EXPECT_EQ(n.vmas_at_release, 2u) << "notifiers are told before the mappings go";
  EXPECT_EQ(dev_.vm_ops.closed.size(), 1u);
}

TEST_F(MmuNotifierTest, EveryRegisteredNotifierIsReleasedAtExit) {
  CountingNotifier a, b;
  mm().register_notifier(&a);
  mm().register_notifier(&b);
  p().exit();
  EXPECT_EQ(a.releases.load(), 1);
  EXPECT_EQ(b.releases.load(), 1);
}

TEST_F(MmuNotifierTest, UnregisterFirstCallsReleaseAndExitDoesNotAgain) {
  ASSERT_GT(anon(P), 0);
  CountingNotifier n, other;
  mm().register_notifier(&n);
  mm().register_notifier(&other);
  mm().unregister_notifier(&n);
  EXPECT_EQ(n.releases.load(), 1);
  EXPECT_EQ(n.vmas_at_release, 1u);
  EXPECT_EQ(other.releases.load(), 0);
  p().exit();
  EXPECT_EQ(n.releases.load(), 1);
  EXPECT_EQ(other.releases.load(), 1);
}

TEST_F(MmuNotifierTest, UnregisterAfterExitDoesNotCallReleaseTwice) {
  auto mm2 = std::make_shared<Mm>(k_);
  ASSERT_GT(mm2->mmap(0, P, kRw, kAnon, nullptr, 0), 0);
  CountingNotifier n;
  mm2->register_notifier(&n);
  mm2->mmput();
  EXPECT_EQ(n.releases.load(), 1);
  EXPECT_TRUE(ranges(*mm2).empty()) << "exit_mmap unmapped everything";
  mm2->unregister_notifier(&n);
  EXPECT_EQ(n.releases.load(), 1);
}

TEST_F(MmuNotifierTest, UnregisterOfANotifierNeverRegisteredCallsNothing) {
  CountingNotifier n;
  mm().unregister_notifier(&n);
  EXPECT_EQ(n.releases.load(), 0);
}

TEST_F(MmuNotifierTest, OnlyTheLastMmputTearsDown) {
  auto mm2 = std::make_shared<Mm>(k_);
  ASSERT_GT(mm2->mmap(0, P, kRw, kAnon, nullptr, 0), 0);
  CountingNotifier n;
  mm2->register_notifier(&n);
  ASSERT_TRUE(mm2->mmget_not_zero());  // users: 2
  mm2->mmget();                        // users: 3
  mm2->mmput();
  mm2->mmput();
  EXPECT_EQ(n.releases.load(), 0);
  EXPECT_EQ(ranges(*mm2).size(), 1u);
  mm2->mmput();
  EXPECT_EQ(n.releases.load(), 1);
  EXPECT_TRUE(ranges(*mm2).empty());
}

TEST_F(MmuNotifierTest, MmgetNotZeroFailsAfterTheLastMmput) {
  auto mm2 = std::make_shared<Mm>(k_);
  ASSERT_TRUE(mm2->mmget_not_zero());
  mm2->mmput();
  mm2->mmput();
  EXPECT_FALSE(mm2->mmget_not_zero());
  EXPECT_FALSE(mm2->mmget_not_zero()) << "a failed mmget_not_zero takes no reference";
}

TEST_F(MmuNotifierTest, ExitmmapFreesAnonymousFramesAndClosesDriverVmas) {
  const uint32_t before = m_.ram().frames_in_use();
  auto mm2 = std::make_shared<Mm>(k_);
  const long a = mm2->mmap(0, 2 * P, kRw, kAnon, nullptr, 0);
  ASSERT_GT(a, 0);
  {
    sched::ReaderLock l(mm2->mmap_lock);
    ASSERT_EQ(mm2->handle_mm_fault_locked(LAddr(a), true, false), FaultResult::kHandled);
    ASSERT_EQ(mm2->handle_mm_fault_locked(LAddr(a) + P, false, false), FaultResult::kHandled);
  }
  EXPECT_EQ(m_.ram().frames_in_use(), before + 2);
  mm2->mmput();
  EXPECT_EQ(m_.ram().frames_in_use(), before);
}

// exit_mmap on one thread, unregister on another, in every order a scheduler finds:
// release runs once, and unregister never returns while the release it lost to is
// still running.
class Race {
 public:
  explicit Race(Kernel& k) : mm(std::make_shared<Mm>(k)) {
    mm->register_notifier(&n);
  }
  void run() {
    sched::Thread exiter("exit", [this] { mm->mmput(); });
    sched::Thread unreg("unregister", [this] {
      mm->unregister_notifier(&n);
      unregistered_with = n.finished.load();
    });
  }
  std::shared_ptr<Mm> mm;
  CountingNotifier n;
  int unregistered_with = -1;
};

TEST_F(MmuNotifierTest, ReleaseRunsExactlyOnceWhenExitAndUnregisterRace) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Race race(k_);
    sched::Controlled s(seed % 2 == 0 ? sched::random(seed) : sched::pct(seed, 3, 40));
    const sched::Outcome o = s.run([&] { race.run(); });
    ASSERT_TRUE(o.completed()) << "seed " << seed << ": " << o.report();
    EXPECT_EQ(race.n.releases.load(), 1) << "seed " << seed << ": " << sched::to_string(o.schedule);
    EXPECT_EQ(race.unregistered_with, 1) << "seed " << seed << ": " << sched::to_string(o.schedule);
  }
}

}  // namespace
}  // namespace sgxref::kernel::test
