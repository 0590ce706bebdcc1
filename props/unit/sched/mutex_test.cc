// sched::Mutex / CondVar / point: free mode behaves like std::mutex; under a scheduler
// every acquire, release, wait and notify is reported so a strategy can order them.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "sched/condvar.h"
#include "sched/mutex.h"
#include "sched/scheduler.h"
#include "testlib/pause_at.h"

namespace sgxref::sched {
namespace {

// Records what the code under test reports; contention is resolved by yielding.
class Recorder : public Scheduler {
 public:
  void at(const char* point) override {
    std::lock_guard<std::mutex> l(mu_);
    points.emplace_back(point);
  }
  void blocked(const void*) override {
    blocked_calls.fetch_add(1);
    std::this_thread::yield();
  }
  void released(const void*) override { released_calls.fetch_add(1); }

  std::vector<std::string> points;
  std::atomic<int> blocked_calls{0};
  std::atomic<int> released_calls{0};

 private:
  std::mutex mu_;
};

TEST(SchedPoint, FreeModeHasNoScheduler) {
  EXPECT_EQ(current(), nullptr);
  point("anything");  // must be a no-op
}

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

TEST(SchedMutex, AcquireAndReleaseArePointsUnderAScheduler) {
  Recorder r;
  ScopedScheduler s(&r);
  Mutex mu("encl.lock");
  { MutexLock l(mu); }
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[0], "encl.lock");
  EXPECT_EQ(r.points[1], "encl.lock");
  EXPECT_EQ(r.released_calls.load(), 1);
}

TEST(SchedMutex, ContendedAcquireReportsBlockedInsteadOfSleeping) {
  Mutex mu("encl.lock");
  testlib::PauseAt pause("holder.inside");
  ScopedScheduler s(&pause);
  std::thread holder([&] {
    MutexLock l(mu);
    point("holder.inside");
  });
  pause.wait_until_parked();
  EXPECT_FALSE(mu.try_lock());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    MutexLock l(mu);
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(got.load());
  pause.release();
  holder.join();
  waiter.join();
  EXPECT_TRUE(got.load());
}

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
};

TEST(SchedCondVar, FreeModeWaitSeesNotify) {
  Flag f;
  std::thread producer([&] { f.raise(); });
  f.wait_raised();
  producer.join();
  MutexLock l(f.mu);
  EXPECT_TRUE(f.ready);
}

TEST(SchedCondVar, UnderASchedulerWaitReportsBlockedAndNotifyReleases) {
  Recorder r;
  ScopedScheduler s(&r);
  Flag f;
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    f.raise();
  });
  f.wait_raised();
  producer.join();
  EXPECT_GE(r.blocked_calls.load(), 1);
  bool saw_notify_point = false;
  for (const auto& p : r.points) saw_notify_point |= (p == "q.cv");
  EXPECT_TRUE(saw_notify_point);
}

}  // namespace
}  // namespace sgxref::sched
