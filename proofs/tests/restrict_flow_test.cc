// The RESTRICT_PERMISSIONS flow on its own and against an enclave thread (the whole
// catalogue's verdicts are the proofs test on proofs/expected-verdicts.txt): alone it
// ends in its stated steps with `count` covering the range; without its ETRACK the
// solver's shortest counterexample is the one a reader would write: both EMODPRs, then
// an entry and an EACCEPT.
#include <gtest/gtest.h>

#include <iostream>

#include "flows/catalogue.h"
#include "flows/check.h"

namespace sgxref::proofs::flows {
namespace {

System restrict_system(const std::vector<std::string>& switches, size_t enclave_threads) {
  Variant v;
  for (const std::string& s : switches) {
    const std::string why = set_switch(v, s);
    if (!why.empty()) throw std::invalid_argument(why);
  }
  return build_system("restrict", v, layout_for("restrict", 2, enclave_threads));
}

void print(const System& sys, const CheckResult& r) {
  std::cout << "depth " << r.depth << ", " << r.seconds << " s\n";
  if (!r.cex) return;
  std::cout << r.cex->property << " broken by:\n";
  for (const FlowStep& s : r.cex->steps)
    std::cout << "  " << (s.thread < sys.threads.size() ? sys.threads[s.thread].name : "idle")
              << ": " << s.point << "\n";
}

TEST(RestrictFlow, AThreadRunningAloneEndsWithinItsSteps) {
  const System sys = restrict_system({}, 1);
  const C d;
  World<C> w = sys.initial;
  size_t steps = 0;
  while (ready(d, sys, w, 0) && steps < 40) {
    w = step(d, sys, w, 0);
    ++steps;
  }
  EXPECT_TRUE(ended(d, sys, w, 0));
  // Per page: the mutex, EMODPR, ETRACK, IPI, the mutex dropped.
  EXPECT_EQ(steps, 10u);
  EXPECT_EQ(w.th[0].count, 2);
  EXPECT_EQ(w.th[0].rv, ret::kOk);
  EXPECT_FALSE(w.ghost.contract);
}

TEST(RestrictFlow, SkippingTheEtrackBreaksThePromise) {
  const System sys = restrict_system({"bug.restrict-skips-etrack"}, 1);
  const CheckResult r = run_check(sys, 16);
  print(sys, r);
  ASSERT_EQ(r.verdict, Verdict3::kUnsafe);
  EXPECT_EQ(r.cex->property, "D4 promise kept");
  ASSERT_EQ(r.cex->steps.size(), 8u);
  EXPECT_EQ(r.cex->steps[6].point, "eenter.end");
  EXPECT_EQ(r.cex->steps[7].point, "eaccept.end");
  EXPECT_TRUE(r.cex->worlds.back().ghost.promise);
}

}  // namespace
}  // namespace sgxref::proofs::flows
