// PROVEN (flows/check.h): the check stops at the first depth where no run can still
// move; every world the system reaches lies within it, so the properties checked there
// hold for all. The depth is the longest run's length: no sampled schedule runs longer,
// and one depth less is only SAFE. A proof out of time is UNKNOWN with the depths done.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "flows/catalogue.h"
#include "flows/check.h"
#include "flows/random_run.h"

namespace sgxref::proofs::flows {
namespace {

System system_of(const std::string& flow, size_t pages, size_t enclave_threads) {
  return build_system(flow, {}, layout_for(flow, pages, enclave_threads));
}

TEST(Proven, LinuxRestrictPermissionsIsProvenWhereItsLongestRunEnds) {
  const System sys = system_of("restrict", 2, 1);
  const CheckResult r = run_check(sys, 40);
  std::cout << "restrict, linux, 1 enclave thread, 2 pages: " << (r.verdict == Verdict3::kProven ? "PROVEN" : "not proven")
            << " at depth " << r.depth << ", " << r.seconds << " s\n";
  ASSERT_EQ(r.verdict, Verdict3::kProven);
  size_t longest = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) longest = std::max(longest, random_run(sys, seed, 200).size());
  std::cout << "longest of 2000 random schedules: " << longest << " steps\n";
  EXPECT_LE(longest, r.depth);
  EXPECT_GE(longest, r.depth - 2);
  const CheckResult shorter = run_check(sys, r.depth - 1);
  EXPECT_EQ(shorter.verdict, Verdict3::kSafe);
  EXPECT_EQ(shorter.depth, r.depth - 1);
}

TEST(Proven, AProofOutOfTimeIsUnknownWithTheDepthsDone) {
  const System sys = system_of("restrict-reclaim", 2, 0);
  const CheckResult r = run_check(sys, 4, nullptr, 3.0);
  std::cout << "restrict-reclaim, linux, 2 pages, 3 s to prove: depth " << r.depth << "\n";
  EXPECT_EQ(r.verdict, Verdict3::kUnknown);
  EXPECT_FALSE(r.cex);
  EXPECT_LT(r.depth, 34u);
}

}  // namespace
}  // namespace sgxref::proofs::flows
