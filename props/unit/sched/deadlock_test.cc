// Deadlock and lost wake-up under a controlled run: when threads remain and every one
// is blocked, the run ends with Outcome::End::kDeadlock, names what each waits for and
// carries the schedule that led there; every thread unwinds and run() returns. Each test
// has a watchdog, so a regression fails instead of hanging.
#include <gtest/gtest.h>

#include <string>

#include "programs.h"
#include "sched/condvar.h"
#include "sched/exhaustive.h"
#include "sched/strategy.h"

namespace sgxref::sched {
namespace {

class OppositeOrders {
 public:
  void run() {
    Thread a("a", [this] {
      MutexLock first(m1_);
      MutexLock second(m2_);
    });
    Thread b("b", [this] {
      MutexLock first(m2_);
      MutexLock second(m1_);
    });
  }
  // Both free again: every thread unwound its locks.
  bool both_free() {
    if (!m1_.try_lock()) return false;
    m1_.unlock();
    if (!m2_.try_lock()) return false;
    m2_.unlock();
    return true;
  }

 private:
  Mutex m1_{"m1"};
  Mutex m2_{"m2"};
};

class WaitWithoutNotifier {
 public:
  void run() {
    Thread waiter("waiter", [this] {
      MutexLock l(mu_);
      while (!ready_) cv_.wait(mu_);
    });
  }
  bool free() {
    if (!mu_.try_lock()) return false;
    mu_.unlock();
    return true;
  }

 private:
  Mutex mu_{"q"};
  CondVar cv_{"q.cv"};
  bool ready_ GUARDED_BY(mu_) = false;
};

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SchedDeadlock, OppositeLockOrdersAreReportedWithTheScheduleThatLedThere) {
  test::Watchdog dog("opposite orders");
  bool unwound = true;
  const Exploration e = exhaustive(1, 1000, [&](Controlled& s) {
    OppositeOrders p;
    const Outcome o = s.run([&] { p.run(); });
    unwound = unwound && p.both_free();
    return o.completed();
  });
  ASSERT_TRUE(e.failure);
  const Outcome& o = *e.failure;
  EXPECT_EQ(o.end, Outcome::End::kDeadlock) << o.report();
  EXPECT_TRUE(mentions(o.why, "1 (a) waits for m2")) << o.why;
  EXPECT_TRUE(mentions(o.why, "2 (b) waits for m1")) << o.why;
  EXPECT_TRUE(mentions(o.why, "0 (main) waits for join")) << o.why;
  EXPECT_TRUE(unwound);

  OppositeOrders again;
  const Outcome replayed = test::run_under(replay(o.schedule), again);
  EXPECT_EQ(replayed.end, Outcome::End::kDeadlock) << replayed.report();
  EXPECT_EQ(replayed.schedule, o.schedule);
}

TEST(SchedDeadlock, RandomFindsTheOppositeOrdersDeadlockWithinTwentySeeds) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    OppositeOrders p;
    const Outcome o = test::run_under(random(seed), p);
    EXPECT_TRUE(p.both_free()) << "seed " << seed;
    if (o.end == Outcome::End::kDeadlock) {
      std::printf("deadlock at random seed %llu:\n%s\n", static_cast<unsigned long long>(seed),
                  o.report().c_str());
      return;
    }
    ASSERT_TRUE(o.completed()) << "seed " << seed << ": " << o.report();
  }
  FAIL() << "random(1..20) never deadlocked";
}

TEST(SchedDeadlock, AWaitNobodyNotifiesIsReportedAsALostWakeUp) {
  WaitWithoutNotifier p;
  const Outcome o = test::run_under(random(1), p);
  EXPECT_EQ(o.end, Outcome::End::kDeadlock) << o.report();
  EXPECT_TRUE(mentions(o.why, "1 (waiter) waits for q.cv")) << o.why;
  EXPECT_FALSE(o.schedule.empty());
  EXPECT_TRUE(p.free());
}

}  // namespace
}  // namespace sgxref::sched
