// sched::random(seed): a seed fixes the schedule bit for bit, and a uniform choice at
// every decision finds a two-thread lost update within a few runs.
#include <gtest/gtest.h>

#include "programs.h"
#include "sched/strategy.h"

namespace sgxref::sched {
namespace {

TEST(SchedRandom, TheSameSeedGivesTheSameSchedule) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    test::LostUpdate first;
    test::LostUpdate second;
    const Outcome a = test::run_under(random(seed), first);
    const Outcome b = test::run_under(random(seed), second);
    ASSERT_TRUE(a.completed()) << "seed " << seed << ": " << a.report();
    EXPECT_EQ(a.schedule, b.schedule) << "seed " << seed;
    EXPECT_EQ(first.value(), second.value()) << "seed " << seed;
  }
}

TEST(SchedRandom, DifferentSeedsGiveDifferentSchedules) {
  test::LostUpdate p;
  const Schedule base = test::run_under(random(1), p).schedule;
  int differ = 0;
  for (uint64_t seed = 2; seed <= 11; ++seed) {
    test::LostUpdate q;
    differ += test::run_under(random(seed), q).schedule != base;
  }
  EXPECT_GE(differ, 5);
}

TEST(SchedRandom, FindsALostUpdateWithinTenSeeds) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    test::LostUpdate p;
    const Outcome o = test::run_under(random(seed), p);
    ASSERT_TRUE(o.completed()) << "seed " << seed << ": " << o.report();
    if (p.value() == 1) {
      std::printf("lost update at random seed %llu: %s\n", static_cast<unsigned long long>(seed),
                  to_string(o.schedule).c_str());
      return;
    }
  }
  FAIL() << "random(1..10) never lost an update";
}

}  // namespace
}  // namespace sgxref::sched
