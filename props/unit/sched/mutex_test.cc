// sched::Mutex and CondVar: a thread that runs free uses them as std::mutex and
// std::condition_variable; a thread of a scheduler reports every acquire, release, wait
// and notify, and under a controlled run a contended lock or a wait blocks the thread
// until the holder releases or a notifier notifies.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "programs.h"
#include "sched/condvar.h"
#include "sched/controlled.h"
#include "sched/mutex.h"
#include "sched/scheduler.h"
#include "sched/strategy.h"
#include "sched/thread.h"

namespace sgxref::sched {
namespace {

// Records what its threads report; they run freely, so contention is resolved by
// yielding.
class Recorder : public Scheduler {
 public:
  int add_thread(const char*) override { return 0; }
  void started() override {}
  void ended(std::exception_ptr) override {}
  void at(const char* point) override {
    std::lock_guard<std::mutex> l(mu_);
    points.emplace_back(point);
  }
  void blocked(const void*, const char*) override {
    blocked_calls.fetch_add(1);
    std::this_thread::yield();
  }
  void released(const void*) noexcept override { released_calls.fetch_add(1); }
  void unlocked(const void* resource, const char* point) noexcept override {
    released(resource);
    at(point);
  }

  std::vector<std::string> points;
  std::atomic<int> blocked_calls{0};
  std::atomic<int> released_calls{0};

 private:
  std::mutex mu_;
};

// A flag guarded by its mutex, so -Wthread-safety checks every read of it in the tests.
struct Flag {
  Mutex mu{"q"};
  CondVar cv{"q.cv"};
  bool ready GUARDED_BY(mu) = false;

  void raise() {
    MutexLock l(mu);
    ready = true;
    cv.notify_all();
  }
  void wait_raised() {
    MutexLock l(mu);
    while (!ready) cv.wait(mu);
  }
  bool raised() {
    MutexLock l(mu);
    return ready;
  }
};

TEST(SchedMutex, FreeModeExcludesAcrossThreads) {
  Mutex mu("counter");
  int counter = 0;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        MutexLock l(mu);
        ++counter;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, 40000);
}

TEST(SchedMutex, AcquireAndReleaseArePointsOfTheThreadsScheduler) {
  Recorder r;
  Mutex mu("encl.lock");
  Thread t(&r, "locker", [&] { MutexLock l(mu); });
  t.join();
  { MutexLock l(mu); }  // this thread runs free: nothing reported
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[0], "encl.lock");
  EXPECT_EQ(r.points[1], "encl.lock");
  EXPECT_GE(r.released_calls.load(), 1);
}

TEST(SchedMutex, UnderAControlledRunAContendedLockBlocksUntilTheHolderReleases) {
  test::Watchdog dog("contended");
  // main takes the lock and is preempted inside the critical section; the contender
  // tries the lock, blocks, and main goes on. The rest runs on.
  Mutex mu("m");
  std::vector<std::string> order;
  Controlled s(replay({{0, "start"}, {0, "m"}, {1, "start"}, {1, "m"}, {0, "inside"}}));
  const Outcome o = s.run([&] {
    Thread contender("contender", [&] {
      MutexLock l(mu);
      order.emplace_back("contender");
    });
    MutexLock l(mu);
    point("inside");
    order.emplace_back("main");
  });
  ASSERT_TRUE(o.completed()) << o.report();
  EXPECT_EQ(order, (std::vector<std::string>{"main", "contender"}));
  // After its first try at "m" the contender cannot go on, so main does; once main has
  // released "m", the contender retries and takes it, then releases it.
  EXPECT_EQ(to_string(o.schedule), "0@start 0@m 1@start 1@m 0@inside 0@m 1@m 1@m 0@join");
}

TEST(SchedCondVar, FreeModeWaitSeesNotify) {
  Flag f;
  std::thread producer([&] { f.raise(); });
  f.wait_raised();
  producer.join();
  EXPECT_TRUE(f.raised());
}

TEST(SchedCondVar, ThreadOfASchedulerReportsWaitAsBlockedAndNotifyAsAPoint) {
  Recorder r;
  Flag f;
  Thread waiter(&r, "waiter", [&] { f.wait_raised(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.raise();  // from a free thread: the waiter must still see it
  waiter.join();
  EXPECT_GE(r.blocked_calls.load(), 1);
  Thread notifier(&r, "notifier", [&] { f.raise(); });
  notifier.join();
  bool saw_notify_point = false;
  for (const auto& p : r.points) saw_notify_point |= (p == "q.cv");
  EXPECT_TRUE(saw_notify_point);
}

TEST(SchedCondVar, UnderAControlledRunEveryOrderOfWaitAndNotifyCompletes) {
  test::Watchdog dog("wait and notify");
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Flag f;
    bool seen = false;
    Controlled s(random(seed));
    const Outcome o = s.run([&] {
      Thread producer("producer", [&] { f.raise(); });
      f.wait_raised();
      seen = true;
    });
    ASSERT_TRUE(o.completed()) << "seed " << seed << ": " << o.report();
    EXPECT_TRUE(seen) << "seed " << seed;
  }
}

}  // namespace
}  // namespace sgxref::sched
