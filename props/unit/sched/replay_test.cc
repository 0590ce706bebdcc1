// sched::replay(plan): a recorded run, random or PCT, replays step for step; a plan may
// list only some points and the threads run on through the others; a plan the run
// cannot follow is reported as a divergence, never silently ignored.
#include <gtest/gtest.h>

#include <string>

#include "programs.h"
#include "sched/strategy.h"

namespace sgxref::sched {
namespace {

void expect_replays(const Outcome& recorded, int recorded_value, const char* what) {
  test::LostUpdate again;
  const Outcome replayed = test::run_under(replay(recorded.schedule), again);
  ASSERT_TRUE(replayed.completed()) << what << ": " << replayed.report();
  EXPECT_EQ(replayed.schedule, recorded.schedule) << what;
  EXPECT_EQ(again.value(), recorded_value) << what;
}

TEST(SchedReplay, ARecordedRandomRunReplaysStepForStep) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    test::LostUpdate p;
    const Outcome o = test::run_under(random(seed), p);
    ASSERT_TRUE(o.completed()) << o.report();
    expect_replays(o, p.value(), ("random seed " + std::to_string(seed)).c_str());
  }
}

TEST(SchedReplay, ARecordedPctRunReplaysStepForStep) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    test::LostUpdate p;
    const Outcome o = test::run_under(pct(seed, 3, 20), p);
    ASSERT_TRUE(o.completed()) << o.report();
    expect_replays(o, p.value(), ("pct seed " + std::to_string(seed)).c_str());
  }
}

TEST(SchedReplay, APlanListingOnlySomePointsLetsTheRestRunOn) {
  // a (thread 1) reads and stops before writing back; b reads the same value, writes it
  // back and ends; then a writes back. No lock point is listed: the threads run on
  // through them.
  test::LostUpdate p;
  const Outcome o = test::run_under(replay({{0, "start"},
                                            {1, "start"},
                                            {2, "start"},
                                            {2, "counter.between"},
                                            {1, "counter.between"}}),
                                    p);
  ASSERT_TRUE(o.completed()) << o.report();
  EXPECT_EQ(p.value(), 1) << o.report();
}

TEST(SchedReplay, AListedThreadThatCannotRunIsADivergence) {
  test::TwoByTwo p;
  const Outcome o = test::run_under(replay({{0, "start"}, {7, "start"}}), p);
  EXPECT_EQ(o.end, Outcome::End::kDivergence) << o.report();
  EXPECT_NE(o.why.find("thread 7 cannot run"), std::string::npos) << o.why;
}

TEST(SchedReplay, AListedThreadReachingAnotherListedPointIsADivergence) {
  // A passes a1 before a2, never a2 first.
  test::TwoByTwo p;
  const Outcome o = test::run_under(replay({{1, "a2"}, {1, "a1"}}), p);
  EXPECT_EQ(o.end, Outcome::End::kDivergence) << o.report();
  EXPECT_NE(o.why.find("thread 1 is at a1"), std::string::npos) << o.why;
}

TEST(SchedReplay, APlanTheRunEndsBeforeIsADivergence) {
  test::TwoByTwo p;
  const Outcome recorded = test::run_under(random(5), p);
  Schedule longer = recorded.schedule;
  longer.push_back({1, "a3"});
  test::TwoByTwo q;
  const Outcome o = test::run_under(replay(longer), q);
  EXPECT_EQ(o.end, Outcome::End::kDivergence) << o.report();
  EXPECT_NE(o.why.find("1@a3"), std::string::npos) << o.why;
}

}  // namespace
}  // namespace sgxref::sched
