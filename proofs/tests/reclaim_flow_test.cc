// ksgxd's flow and the load path run concretely, each thread alone (the schedules in
// between are the catalogue's): the reclaimer takes every data page and then the SECS
// out, losing nothing; RESTRICT_PERMISSIONS afterwards loads the SECS and each page back
// by ELDU, with their contents, and restricts them; an enclave thread's fault handler
// loads back a page it touches. With EWB's ETRACK retry gone, the first EWB fails: D1.
#include <gtest/gtest.h>

#include "flows/catalogue.h"
#include "flows/layout.h"

namespace sgxref::proofs::flows {
namespace {

constexpr size_t kIoctl = 0, kKsgxd = 1;

System reclaim_system(size_t enclave_threads, const std::vector<std::string>& bugs = {}) {
  Variant v;
  for (const std::string& b : bugs) EXPECT_EQ(set_switch(v, b), "");
  return build_system("restrict-reclaim", v, layout_for("restrict-reclaim", 2, enclave_threads));
}

// Runs thread `t` alone until it ends or blocks; the steps it took.
size_t run_alone(const System& sys, World<C>& w, size_t t) {
  const C d;
  size_t steps = 0;
  while (ready(d, sys, w, t) && steps < 100) {
    w = step(d, sys, w, t);
    ++steps;
  }
  return steps;
}

TEST(ReclaimFlow, KsgxdAloneEvictsEveryDataPageThenTheSecs) {
  const System sys = reclaim_system(0);
  World<C> w = sys.initial;
  run_alone(sys, w, kKsgxd);
  EXPECT_TRUE(ended(C{}, sys, w, kKsgxd));
  EXPECT_FALSE(w.ghost.warn);
  EXPECT_EQ(w.drv.children, 0);
  EXPECT_FALSE(w.drv.secs_resident);
  for (int64_t page = 0; page < 2; ++page) {
    const PageRecord<C>& rec = w.drv.pages[size_t(page)];
    EXPECT_FALSE(rec.resident);
    EXPECT_FALSE(rec.reclaim);
    EXPECT_FALSE(w.hw.epcm[size_t(Layout::slot_of(page))].valid);
    EXPECT_TRUE(w.drv.free[size_t(Layout::slot_of(page))].on);
    EXPECT_TRUE(w.drv.va_used[size_t(rec.va)].on);
    EXPECT_TRUE(w.hw.blob[size_t(page)].valid);
  }
  EXPECT_TRUE(w.drv.va_used[size_t(w.drv.secs_va)].on);
  EXPECT_FALSE(w.hw.epcm[size_t(Layout::secs_slot())].valid);
}

TEST(ReclaimFlow, RestrictAfterReclaimLoadsTheSecsAndEachPageBackWithItsContents) {
  const System sys = reclaim_system(0);
  World<C> w = sys.initial;
  run_alone(sys, w, kKsgxd);
  // Two ELDUs for the first page (the SECS, then the page), one for the second.
  const size_t steps = run_alone(sys, w, kIoctl);
  EXPECT_EQ(steps, 13u);
  EXPECT_TRUE(ended(C{}, sys, w, kIoctl));
  EXPECT_EQ(w.th[kIoctl].count, 2);
  EXPECT_EQ(w.th[kIoctl].rv, ret::kOk);
  EXPECT_FALSE(w.ghost.warn);
  EXPECT_FALSE(w.ghost.contract);
  EXPECT_TRUE(w.drv.secs_resident);
  EXPECT_EQ(w.drv.children, 2);
  for (int64_t page = 0; page < 2; ++page) {
    const PageRecord<C>& rec = w.drv.pages[size_t(page)];
    ASSERT_TRUE(rec.resident);
    const arch::Epcm<C>& e = w.hw.epcm[size_t(rec.slot)];
    EXPECT_TRUE(e.valid && e.r && !e.w && e.pr) << "page " << page;
    EXPECT_EQ(e.secs, w.drv.secs);
    EXPECT_EQ(w.hw.data[size_t(rec.slot)].words[0], page + 1) << "page " << page;
  }
  for (const Flag<C>& used : w.drv.va_used) EXPECT_FALSE(used.on);
}

TEST(ReclaimFlow, AnEnclaveThreadsFaultHandlerLoadsTheEvictedPageItTouches) {
  const System sys = reclaim_system(1);
  const size_t thread = 2;
  World<C> w = sys.initial;
  run_alone(sys, w, kKsgxd);
  ASSERT_FALSE(w.drv.pages[size_t(Layout{1, 2, true}.data_page(0))].resident);
  run_alone(sys, w, thread);
  EXPECT_TRUE(ended(C{}, sys, w, thread));
  EXPECT_FALSE(w.ghost.warn);
  // Its EACCEPTs found unrestricted pages (a mismatch, not a fault), each loaded back.
  EXPECT_EQ(w.drv.children, 4);
  for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(w.drv.pages[size_t(Layout{1, 2, true}.data_page(i))].resident);
}

TEST(ReclaimFlow, WithoutEwbsEtrackRetryTheFirstEwbFailsAndThePageIsLost) {
  const System sys = reclaim_system(0, {"bug.ewb-skips-etrack-retry"});
  World<C> w = sys.initial;
  run_alone(sys, w, kKsgxd);
  EXPECT_TRUE(w.ghost.warn);
  EXPECT_FALSE(w.hw.blob[0].valid);
}

}  // namespace
}  // namespace sgxref::proofs::flows
