// sched::Thread and registration: a thread belongs to the scheduler it was started on
// (or runs free), has an id there that follows program order, and its points reach that
// scheduler alone, so two machines' schedulers run side by side in one process.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "programs.h"
#include "sched/condvar.h"
#include "sched/controlled.h"
#include "sched/mutex.h"
#include "sched/strategy.h"
#include "sched/thread.h"

namespace sgxref::sched {
namespace {

TEST(SchedThread, AThreadOfNoSchedulerRunsFree) {
  EXPECT_EQ(current(), nullptr);
  EXPECT_EQ(this_thread_id(), -1);
  point("anything");  // a no-op
  int id = 0;
  bool free = false;
  Thread t("free", [&] {
    id = this_thread_id();
    free = current() == nullptr;
  });
  t.join();
  EXPECT_EQ(t.id(), -1);
  EXPECT_EQ(id, -1);
  EXPECT_TRUE(free);
}

// Two threads add to a counter under its lock; the same code runs free and controlled.
class Counter {
 public:
  void run() {
    auto add = [this] {
      for (int i = 0; i < 100; ++i) {
        MutexLock l(mu_);
        ++value_;
      }
    };
    Thread a("a", add);
    Thread b("b", add);
  }
  int value() {
    MutexLock l(mu_);
    return value_;
  }

 private:
  Mutex mu_{"counter"};
  int value_ GUARDED_BY(mu_) = 0;
};

TEST(SchedThread, TheSameProgramRunsFreeAndUnderAStrategy) {
  Counter free;
  free.run();
  EXPECT_EQ(free.value(), 200);
  Counter controlled;
  const Outcome o = test::run_under(random(4), controlled);
  ASSERT_TRUE(o.completed()) << o.report();
  EXPECT_EQ(controlled.value(), 200);
  EXPECT_GT(o.schedule.size(), 400u);  // every acquire and release was a decision
}

TEST(SchedThread, IdsFollowSpawnOrderAndChildrenInheritTheScheduler) {
  test::Watchdog dog("ids");
  Controlled s(random(7));
  std::vector<int> ids;
  std::vector<Scheduler*> schedulers;
  const Outcome o = s.run([&] {
    ids.push_back(this_thread_id());
    Thread a("a", [&] {
      ids.push_back(this_thread_id());
      schedulers.push_back(current());
      Thread grandchild("a.child", [&] { ids.push_back(this_thread_id()); });
    });
    a.join();
    Thread b("b", [&] { ids.push_back(this_thread_id()); });
  });
  ASSERT_TRUE(o.completed()) << o.report();
  EXPECT_EQ(ids, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(schedulers, std::vector<Scheduler*>{&s});
  EXPECT_EQ(o.threads, (std::vector<std::string>{"main", "a", "a.child", "b"}));
}

TEST(SchedThread, AControlledRunTakesNoThreadFromOutside) {
  Controlled s(random(1));
  EXPECT_THROW(Thread(&s, "outsider", [] {}), std::logic_error);
  Controlled inner(random(1));
  const Outcome o = s.run([&] { EXPECT_THROW(inner.run([] {}), std::logic_error); });
  EXPECT_TRUE(o.completed()) << o.report();
}

TEST(SchedThread, TwoSchedulersRunSideBySideAsEachDoesAlone) {
  test::Watchdog dog("side by side");
  auto alone = [](uint64_t seed) {
    test::LostUpdate p;
    Controlled s(random(seed));
    return s.run([&] { p.run(); }).schedule;
  };
  const Schedule first = alone(11);
  const Schedule second = alone(12);
  Schedule together_first;
  Schedule together_second;
  std::thread one([&] { together_first = alone(11); });
  std::thread two([&] { together_second = alone(12); });
  one.join();
  two.join();
  EXPECT_EQ(together_first, first);
  EXPECT_EQ(together_second, second);
}

TEST(SchedThread, AnExceptionFromABodyEndsTheRunAndUnwindsTheOthers) {
  test::Watchdog dog("threw");
  Controlled s(random(3));
  Mutex mu("q");
  CondVar never("q.never");
  const Outcome o = s.run([&] {
    Thread thrower("thrower", [] {
      point("before.throw");
      throw std::runtime_error("boom");
    });
    Thread waiter("waiter", [&] {
      MutexLock l(mu);
      for (;;) never.wait(mu);
    });
  });
  EXPECT_EQ(o.end, Outcome::End::kThrew) << o.report();
  EXPECT_NE(o.why.find("boom"), std::string::npos) << o.why;
  if (mu.try_lock()) {
    mu.unlock();
  } else {
    ADD_FAILURE() << "the waiter did not unwind its lock";
  }
}

}  // namespace
}  // namespace sgxref::sched
