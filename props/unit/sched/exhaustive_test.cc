// sched::exhaustive(bound, cap, test): enumerates every schedule with at most `bound`
// preemptions exactly once, building the test afresh for each, and stops at the cap
// saying so.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>

#include "programs.h"
#include "sched/exhaustive.h"
#include "sched/scheduler.h"
#include "sched/thread.h"
#include "sched/strategy.h"

namespace sgxref::sched {
namespace {

// Switches in a test::TwoByTwo log away from a thread that had not finished its three
// steps: preemptions of A or B (preempting them for main does not show).
int visible_preemptions(const std::string& log) {
  int done_a = 0;
  int done_b = 0;
  int preemptions = 0;
  for (size_t i = 0; i < log.size(); ++i) {
    (log[i] == 'A' ? done_a : done_b) += 1;
    const bool unfinished = (log[i] == 'A' ? done_a : done_b) < 3;
    if (i + 1 < log.size() && log[i + 1] != log[i] && unfinished) ++preemptions;
  }
  return preemptions;
}

// Counted by hand and by an independent enumeration of the same program: main spawns A
// and B and joins A then B. Unbounded, A's and B's three segments interleave in 20
// orders, and main's return from its first join lands in one of r+1 places when B has r
// segments left as A ends: 10*1 + 6*2 + 3*3 + 1*4 = 35 schedules. With no preemption,
// only whoever runs first when main blocks (A or B) and where main goes when A ends
// before B starts: 3.
TEST(SchedExhaustive, EnumeratesExactlyTheSchedulesWithinEachPreemptionBound) {
  test::Watchdog dog("two by two");
  const int schedules[] = {3, 11, 24, 32, 35, 35};
  const size_t orders[] = {2, 6, 14, 18, 20, 20};
  for (int bound = 0; bound <= 5; ++bound) {
    std::set<std::string> logs;
    const Exploration e = exhaustive(bound, 1000, [&](Controlled& s) {
      test::TwoByTwo p;
      s.run([&] { p.run(); });
      logs.insert(p.log);
      return visible_preemptions(p.log) <= bound;
    });
    EXPECT_FALSE(e.failure) << "bound " << bound << ": " << e.failure->report();
    EXPECT_FALSE(e.capped) << "bound " << bound;
    EXPECT_EQ(e.schedules, schedules[bound]) << "bound " << bound;
    EXPECT_EQ(logs.size(), orders[bound]) << "bound " << bound;
  }
}

TEST(SchedExhaustive, StopsAtTheCapAndSaysSo) {
  test::Watchdog dog("cap");
  auto test = [](Controlled& s) {
    test::TwoByTwo p;
    return s.run([&] { p.run(); }).completed();
  };
  const Exploration capped = exhaustive(5, 10, test);
  EXPECT_EQ(capped.schedules, 10);
  EXPECT_TRUE(capped.capped);
  const Exploration exact = exhaustive(5, 35, test);
  EXPECT_EQ(exact.schedules, 35);
  EXPECT_FALSE(exact.capped);  // the cap was reached with nothing left to run
}

// A thread spinning until another sets a flag: without preemptions left, running the
// spinner on at its yield would spin forever (found by the races suite: an enclave
// thread re-faulting a page ksgxd held while ksgxd waited). At a yield the other thread
// runs, at no preemption's cost, and every schedule ends.
TEST(SchedExhaustive, ASpinnerThatYieldsLetsTheThreadItWaitsForRunInEverySchedule) {
  // Bound 0: main spins once, the setter runs to its end. Bound 1 adds the preemption of
  // the setter at its point (main spins again); there is no other point to preempt at.
  const int schedules[] = {1, 2, 2};
  const int most_spins_at[] = {1, 2, 2};
  for (int bound = 0; bound <= 2; ++bound) {
    test::Watchdog dog("exhaustive spin-wait, bound " + std::to_string(bound));
    int most_spins = 0;
    const Exploration e = exhaustive(bound, 1000, [&](Controlled& s) {
      std::atomic<bool> flag{false};
      int spins = 0;
      const Outcome o = s.run([&] {
        Thread setter("setter", [&] {
          point("setter.before");
          flag.store(true);
        });
        while (!flag.load()) {
          ++spins;
          yield("spin");
        }
        setter.join();
      });
      most_spins = std::max(most_spins, spins);
      return o.completed();
    });
    EXPECT_FALSE(e.failure) << "bound " << bound << ": " << e.failure->report();
    EXPECT_FALSE(e.capped) << "bound " << bound;
    EXPECT_EQ(e.schedules, schedules[bound]) << "bound " << bound;
    EXPECT_EQ(most_spins, most_spins_at[bound]) << "bound " << bound;
  }
}

TEST(SchedExhaustive, FindsTheLostUpdateWithOnePreemptionNotWithNone) {
  test::Watchdog dog("lost update");
  auto test = [](Controlled& s) {
    test::LostUpdate p;
    s.run([&] { p.run(); });
    return p.value() == 2;
  };
  const Exploration none = exhaustive(0, 1000, test);
  EXPECT_FALSE(none.failure) << none.failure->report();
  const Exploration one = exhaustive(1, 1000, test);
  ASSERT_TRUE(one.failure);
  EXPECT_EQ(one.failure->end, Outcome::End::kCheckFailed);
  std::printf("lost update after %d schedules: %s\n", one.schedules,
              to_string(one.failure->schedule).c_str());

  test::LostUpdate again;
  const Outcome replayed = test::run_under(replay(one.failure->schedule), again);
  ASSERT_TRUE(replayed.completed()) << replayed.report();
  EXPECT_EQ(again.value(), 1);
}

}  // namespace
}  // namespace sgxref::sched
