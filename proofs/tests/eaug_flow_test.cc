// The EAUG fault flow (flows/eaug_fault.h) run concretely, each thread alone (the
// schedules in between are the catalogue's): alone it EAUGs the hole as a PENDING REG
// page and maps it; after ksgxd wrote every page and the SECS out, it loads the SECS back
// first; with bug.eaug-skips-load-secs it runs the EAUG on the SECS ksgxd wrote out,
// which the hardware refuses: D1, and SIGBUS.
#include <gtest/gtest.h>

#include "flows/catalogue.h"
#include "flows/layout.h"

namespace sgxref::proofs::flows {
namespace {

constexpr size_t kFault = 0, kKsgxd = 1;

struct Eaug {
  Layout l = layout_for("eaug-reclaim", 1, 0);
  System sys;
};

Eaug eaug_system(const std::vector<std::string>& bugs = {}) {
  Variant v;
  for (const std::string& b : bugs) EXPECT_EQ(set_switch(v, b), "");
  Eaug e;
  e.sys = build_system("eaug-reclaim", v, e.l);
  return e;
}

// Runs thread `t` alone until it ends or blocks; the points its steps ended at.
std::vector<std::string> run_alone(const System& sys, World<C>& w, size_t t) {
  const C d;
  std::vector<std::string> points;
  while (ready(d, sys, w, t) && points.size() < 100) {
    points.push_back(next_point(sys, w, t));
    w = step(d, sys, w, t);
  }
  return points;
}

TEST(EaugFlow, EnclaveThreadsAreRefusedTheirTcsWouldKeepTheSecsIn) {
  EXPECT_THROW(layout_for("eaug-reclaim", 1, 1), std::invalid_argument);
}

TEST(EaugFlow, AloneItAugmentsTheHoleAsAPendingRegPageAndMapsIt) {
  const Eaug e = eaug_system();
  World<C> w = e.sys.initial;
  const int64_t hole = e.l.hole(0);
  ASSERT_FALSE(w.drv.pages[size_t(hole)].resident);
  EXPECT_EQ(run_alone(e.sys, w, kFault),
            (std::vector<std::string>{"encl->lock", "encl->lock", "encl->lock", "eaug.end", "encl->lock"}));
  EXPECT_TRUE(ended(C{}, e.sys, w, kFault));
  EXPECT_EQ(w.th[kFault].rv, ret::kOk);
  EXPECT_FALSE(w.ghost.warn);
  EXPECT_EQ(w.drv.mutex, 0);
  const PageRecord<C>& rec = w.drv.pages[size_t(hole)];
  ASSERT_TRUE(rec.resident);
  EXPECT_FALSE(w.drv.free[size_t(rec.slot)].on);
  EXPECT_EQ(w.drv.children, e.l.built() + 1);
  const arch::Epcm<C>& epcm = w.hw.epcm[size_t(rec.slot)];
  EXPECT_TRUE(epcm.valid && epcm.type == arch::pt::kReg && epcm.pending && epcm.r && epcm.w && !epcm.x);
  EXPECT_EQ(epcm.secs, Layout::secs_slot());
  EXPECT_EQ(epcm.page, hole);
  EXPECT_TRUE(w.accessed[size_t(hole)].on) << "the access the fault was for went through";
}

TEST(EaugFlow, AfterKsgxdWroteTheSecsOutTheFaultLoadsItBackFirst) {
  const Eaug e = eaug_system();
  World<C> w = e.sys.initial;
  run_alone(e.sys, w, kKsgxd);
  ASSERT_TRUE(ended(C{}, e.sys, w, kKsgxd));
  ASSERT_FALSE(w.drv.secs_resident);
  EXPECT_EQ(run_alone(e.sys, w, kFault),
            (std::vector<std::string>{"encl->lock", "encl->lock", "encl->lock", "eldu.end", "eaug.end",
                                      "encl->lock"}));
  EXPECT_EQ(w.th[kFault].rv, ret::kOk);
  EXPECT_FALSE(w.ghost.warn);
  ASSERT_TRUE(w.drv.secs_resident);
  const arch::Epcm<C>& epcm = w.hw.epcm[size_t(w.drv.pages[size_t(e.l.hole(0))].slot)];
  EXPECT_TRUE(epcm.valid && epcm.pending);
  EXPECT_EQ(epcm.secs, w.drv.secs) << "the SECS where it was loaded back";
  EXPECT_EQ(w.drv.children, 1) << "the new page alone: the data page is still out";
}

TEST(EaugFlow, WithoutTheSecsReloadTheEaugMeetsTheSecsKsgxdWroteOut) {
  const Eaug e = eaug_system({"bug.eaug-skips-load-secs"});
  World<C> w = e.sys.initial;
  run_alone(e.sys, w, kKsgxd);
  ASSERT_FALSE(w.drv.secs_resident);
  run_alone(e.sys, w, kFault);
  EXPECT_TRUE(ended(C{}, e.sys, w, kFault));
  EXPECT_TRUE(w.ghost.warn);
  EXPECT_EQ(w.th[kFault].rv, ret::kEfault) << "SIGBUS";
  EXPECT_FALSE(w.drv.pages[size_t(e.l.hole(0))].resident);
  EXPECT_EQ(w.drv.mutex, 0);
}

}  // namespace
}  // namespace sgxref::proofs::flows
