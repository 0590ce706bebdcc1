// Kthread and WaitQueue: wait_event sleeps until its condition holds and a wake_up comes
// (no wake-up is lost, in any schedule the strategies find); kthread_stop makes
// kthread_should_stop() true, wakes the thread and waits for it to return; fault
// injection (ksgxd.stopped) can make a kernel thread believe it was told to stop.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "kernel/kthread.h"
#include "kernel_fixture.h"
#include "sched/controlled.h"
#include "sched/strategy.h"
#include "sched/thread.h"

namespace sgxref::kernel::test {
namespace {

std::unique_ptr<sched::Strategy> strategy(uint64_t seed) {
  return seed % 2 == 0 ? sched::random(seed) : sched::pct(seed, 3, 50);
}

TEST(WaitQueue, WaitEventReturnsAtOnceWhenTheConditionHolds) {
  WaitQueue wq("wq");
  int asked = 0;
  wq.wait_event([&] {
    ++asked;
    return true;
  });
  EXPECT_EQ(asked, 1);
}

// A waiter, a wake_up while the condition is still false (the waiter must sleep on),
// then the condition and a wake_up.
class Handoff {
 public:
  void run() {
    sched::Thread waiter("waiter", [this] {
      wq.wait_event([this] { return ready.load(); });
      woke.store(true);
    });
    sched::point("test.before_wake");
    wq.wake_up();
    woke_early = woke.load();
    ready.store(true);
    wq.wake_up();
    waiter.join();
  }
  WaitQueue wq{"wq"};
  std::atomic<bool> ready{false};
  std::atomic<bool> woke{false};
  bool woke_early = false;
};

TEST(WaitQueue, WaitEventWakesOnWakeUpOnlyOnceTheConditionHolds) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    Handoff h;
    sched::Controlled s(strategy(seed));
    const sched::Outcome o = s.run([&] { h.run(); });
    ASSERT_TRUE(o.completed()) << "seed " << seed << ": " << o.report();
    EXPECT_TRUE(h.woke.load()) << "seed " << seed;
    EXPECT_FALSE(h.woke_early) << "seed " << seed;
  }
}

class KthreadTest : public ::testing::Test {
 protected:
  KthreadTest() : m_(testlib::small_config(8, 64)), k_(m_) {}
  hw::Machine m_;
  Kernel k_;
};

TEST_F(KthreadTest, StopMakesShouldStopTrueWakesTheThreadAndJoinsIt) {
  WaitQueue wq("ksgxd");
  std::atomic<bool> started{false};
  std::atomic<bool> returned{false};
  std::atomic<bool> saw_stop{false};
  Kthread t(k_, "ksgxd", wq, [&] {
    started.store(true);
    wq.wait_event([] { return kthread_should_stop(); });
    saw_stop.store(kthread_should_stop());
    returned.store(true);
  });
  while (!started.load()) std::this_thread::yield();
  EXPECT_FALSE(returned.load());
  t.stop();
  EXPECT_TRUE(returned.load()) << "stop() returns only once the thread has";
  EXPECT_TRUE(saw_stop.load());
  t.stop();  // a second stop does nothing
}

TEST_F(KthreadTest, ShouldStopIsFalseUntilStopAndOutsideAKthread) {
  WaitQueue wq("ksgxd");
  std::atomic<bool> before{true};
  std::atomic<bool> checked{false};
  Kthread t(k_, "ksgxd", wq, [&] {
    before.store(kthread_should_stop());
    checked.store(true);
    wq.wait_event([] { return kthread_should_stop(); });
  });
  while (!checked.load()) std::this_thread::yield();
  EXPECT_FALSE(before.load());
  EXPECT_FALSE(kthread_should_stop()) << "the test's thread is no kthread";
  t.stop();
}

TEST_F(KthreadTest, TheThreadIsAKernelTaskWithNoMmThatCanTakeACpu) {
  WaitQueue wq("ksgxd");
  Mm* mm = reinterpret_cast<Mm*>(1);
  Process* proc = reinterpret_cast<Process*>(1);
  std::string name;
  bool had_cpu = false;
  {
    Kthread t(k_, "ksgxd", wq, [&] {
      mm = current().mm();
      proc = current().process();
      name = current().name();
      CpuHold cpu;
      had_cpu = current().cpu() != nullptr;
    });
  }  // the destructor stops and joins
  EXPECT_EQ(mm, nullptr);
  EXPECT_EQ(proc, nullptr);
  EXPECT_EQ(name, "ksgxd");
  EXPECT_TRUE(had_cpu);
}

TEST_F(KthreadTest, KsgxdStoppedInjectionMakesShouldStopTrue) {
  k_.faults().enable(FailPoint::kKsgxdStopped, 100, 5);
  WaitQueue wq("ksgxd");
  std::atomic<bool> observed{false};
  std::atomic<bool> done{false};
  Kthread t(k_, "ksgxd", wq, [&] {
    // Loops as ksgxd does until told to stop: injection tells it at once.
    while (!kthread_should_stop()) wq.wait_event([] { return kthread_should_stop(); });
    observed.store(true);
    done.store(true);
  });
  while (!done.load()) std::this_thread::yield();  // before any stop()
  EXPECT_TRUE(observed.load());
  EXPECT_GE(k_.faults().failures(FailPoint::kKsgxdStopped), 1u);
  EXPECT_FALSE(kthread_should_stop()) << "still false outside a kthread";
  t.stop();
}

TEST_F(KthreadTest, TheDestructorStopsAThreadThatIsStillWaiting) {
  WaitQueue wq("ksgxd");
  std::atomic<bool> returned{false};
  {
    Kthread t(k_, "ksgxd", wq, [&] {
      wq.wait_event([] { return kthread_should_stop(); });
      returned.store(true);
    });
  }
  EXPECT_TRUE(returned.load());
}

// ksgxd's shape: sleep until there is work or a stop, do all the work there is, stop
// only once it is done. Work queued before kthread_stop is done in every schedule.
class Worker {
 public:
  explicit Worker(Kernel& k) : k_(k) {}
  void run() {
    Kthread t(k_, "worker", wq_, [this] {
      for (;;) {
        wq_.wait_event([this] { return kthread_should_stop() || pending_.load() > 0; });
        while (pending_.load() > 0) {
          pending_.fetch_sub(1);
          done_.fetch_add(1);
        }
        if (kthread_should_stop()) return;
      }
    });
    for (int i = 0; i < 3; ++i) {
      pending_.fetch_add(1);
      wq_.wake_up();
    }
    t.stop();
  }
  int done() const { return done_.load(); }

 private:
  Kernel& k_;
  WaitQueue wq_{"worker"};
  std::atomic<int> pending_{0};
  std::atomic<int> done_{0};
};

TEST_F(KthreadTest, WorkQueuedBeforeStopIsDoneAndNoWakeUpIsLost) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    Worker w(k_);
    sched::Controlled s(strategy(seed));
    const sched::Outcome o = s.run([&] { w.run(); });
    ASSERT_TRUE(o.completed()) << "seed " << seed << ": " << o.report();
    EXPECT_EQ(w.done(), 3) << "seed " << seed << ": " << sched::to_string(o.schedule);
  }
}

}  // namespace
}  // namespace sgxref::kernel::test
