// FaultInjection, the slice's failslab: every point off by default; a point switched on
// at N percent fails that often and counts its failures; a seed fixes the sequence.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "kernel/fault_inject.h"

namespace sgxref::kernel {
namespace {

std::vector<bool> draws(FaultInjection& f, FailPoint p, int n) {
  std::vector<bool> out;
  for (int i = 0; i < n; ++i) out.push_back(f.should_fail(p));
  return out;
}

constexpr FailPoint kAll[] = {FailPoint::kBackingAlloc, FailPoint::kEpcAlloc,
                              FailPoint::kVaAlloc,      FailPoint::kKmalloc,
                              FailPoint::kCopyFromUser, FailPoint::kSignalPending,
                              FailPoint::kKsgxdStopped};
static_assert(std::size(kAll) == size_t(FailPoint::kCount));

TEST(FaultInjection, EveryPointIsOffByDefaultAndNeverFails) {
  FaultInjection f;
  for (FailPoint p : kAll) {
    for (int i = 0; i < 200; ++i) ASSERT_FALSE(f.should_fail(p));
    EXPECT_EQ(f.failures(p), 0u);
  }
}

TEST(FaultInjection, AtOneHundredPercentEveryDrawFailsAndIsCounted) {
  FaultInjection f;
  f.enable(FailPoint::kEpcAlloc, 100, 42);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(f.should_fail(FailPoint::kEpcAlloc));
  EXPECT_EQ(f.failures(FailPoint::kEpcAlloc), 50u);
}

TEST(FaultInjection, OnlyThePointSwitchedOnFails) {
  FaultInjection f;
  f.enable(FailPoint::kVaAlloc, 100, 1);
  for (FailPoint p : kAll) {
    if (p == FailPoint::kVaAlloc) continue;
    EXPECT_FALSE(f.should_fail(p)) << kFailPointNames[size_t(p)];
    EXPECT_EQ(f.failures(p), 0u);
  }
  EXPECT_TRUE(f.should_fail(FailPoint::kVaAlloc));
}

TEST(FaultInjection, ZeroPercentSwitchesAPointOff) {
  FaultInjection f;
  f.enable(FailPoint::kKmalloc, 100, 1);
  EXPECT_TRUE(f.should_fail(FailPoint::kKmalloc));
  f.enable(FailPoint::kKmalloc, 0, 1);
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(f.should_fail(FailPoint::kKmalloc));
  EXPECT_EQ(f.failures(FailPoint::kKmalloc), 1u);
}

TEST(FaultInjection, TheSameSeedGivesTheSameSequenceOfOutcomes) {
  FaultInjection a, b, c;
  a.enable(FailPoint::kBackingAlloc, 30, 1234);
  b.enable(FailPoint::kBackingAlloc, 30, 1234);
  c.enable(FailPoint::kBackingAlloc, 30, 1235);
  const std::vector<bool> da = draws(a, FailPoint::kBackingAlloc, 300);
  const std::vector<bool> db = draws(b, FailPoint::kBackingAlloc, 300);
  const std::vector<bool> dc = draws(c, FailPoint::kBackingAlloc, 300);
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc) << "another seed, another sequence";
  EXPECT_EQ(a.failures(FailPoint::kBackingAlloc), b.failures(FailPoint::kBackingAlloc));
}

TEST(FaultInjection, EnablingAgainWithTheSameSeedReplaysTheSequence) {
  FaultInjection f;
  f.enable(FailPoint::kKmalloc, 50, 9);
  const std::vector<bool> first = draws(f, FailPoint::kKmalloc, 100);
  f.enable(FailPoint::kKmalloc, 50, 9);
  EXPECT_EQ(draws(f, FailPoint::kKmalloc, 100), first);
}

TEST(FaultInjection, APercentageFailsAboutThatOften) {
  FaultInjection f;
  f.enable(FailPoint::kCopyFromUser, 25, 77);
  const std::vector<bool> d = draws(f, FailPoint::kCopyFromUser, 4000);
  const uint64_t fails = f.failures(FailPoint::kCopyFromUser);
  EXPECT_EQ(fails, uint64_t(std::count(d.begin(), d.end(), true)));
  EXPECT_GT(fails, 800u);
  EXPECT_LT(fails, 1200u);
}

TEST(FaultInjection, DisableAllSwitchesEveryPointOffAndKeepsTheCounts) {
  FaultInjection f;
  f.enable(FailPoint::kEpcAlloc, 100, 1);
  f.enable(FailPoint::kSignalPending, 100, 1);
  EXPECT_TRUE(f.should_fail(FailPoint::kEpcAlloc));
  EXPECT_TRUE(f.should_fail(FailPoint::kSignalPending));
  f.disable_all();
  for (FailPoint p : kAll) {
    for (int i = 0; i < 50; ++i) ASSERT_FALSE(f.should_fail(p));
  }
  EXPECT_EQ(f.failures(FailPoint::kEpcAlloc), 1u);
  EXPECT_EQ(f.failures(FailPoint::kSignalPending), 1u);
}

TEST(FaultInjection, EveryPointHasADistinctName) {
  std::set<std::string> names;
  for (FailPoint p : kAll) {
    const char* n = kFailPointNames[size_t(p)];
    ASSERT_NE(n, nullptr);
    EXPECT_FALSE(std::string(n).empty());
    names.insert(n);
  }
  EXPECT_EQ(names.size(), std::size(kAll));
}

}  // namespace
}  // namespace sgxref::kernel
