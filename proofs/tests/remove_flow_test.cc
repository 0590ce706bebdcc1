// The REMOVE_PAGES flow (flows/remove_pages.h) run concretely, threads one after the
// other (the interleavings are the catalogue's): the EMODPR probe refuses a trimmed page
// the enclave has not EACCEPTed (-EPERM, nothing removed) and lets an accepted one go
// (EREMOVE, its EPC slot freed, its record erased; a fault there afterwards EAUGs a fresh
// page);
// with bug.remove-pages-skips-probe an unaccepted page goes (D4), and with an enclave
// thread inside at the EREMOVE the hardware refuses it (D1).
#include <gtest/gtest.h>

#include "flows/catalogue.h"
#include "flows/layout.h"

namespace sgxref::proofs::flows {
namespace {

constexpr size_t kRemove = 0, kEnclave = 1;

struct Remove {
  Layout l = layout_for("remove", 2, 1);
  System sys;
};

Remove remove_system(const std::vector<std::string>& switches = {}) {
  Variant v;
  for (const std::string& s : switches) EXPECT_EQ(set_switch(v, s), "");
  Remove r;
  r.sys = build_system("remove", v, r.l);
  return r;
}

// Runs thread `t` alone until it ends or blocks, or (given) its step ends at `until`;
// the points its steps ended at.
std::vector<std::string> run_alone(const System& sys, World<C>& w, size_t t, const std::string& until = "") {
  const C d;
  std::vector<std::string> points;
  while (ready(d, sys, w, t) && points.size() < 100) {
    points.push_back(next_point(sys, w, t));
    w = step(d, sys, w, t);
    if (points.back() == until) break;
  }
  return points;
}

const std::vector<std::string> kRemovedPage = {"encl->lock", "emodpr.end",  "encl->lock", "ipi_mask.end",
                                               "encl->lock", "eremove.end", "encl->lock"};

TEST(RemoveFlow, TheDataPagesStartTrimmedAndTracked) {
  const Remove r = remove_system();
  const World<C>& w = r.sys.initial;
  for (size_t i = 0; i < r.l.data_pages; ++i) {
    const PageRecord<C>& rec = w.drv.pages[size_t(r.l.data_page(i))];
    EXPECT_EQ(rec.type, arch::pt::kTrim);
    const arch::Epcm<C>& e = w.hw.epcm[size_t(rec.slot)];
    EXPECT_TRUE(e.valid && e.type == arch::pt::kTrim && e.modified);
  }
}

TEST(RemoveFlow, TheProbeRefusesAPageTheEnclaveHasNotAccepted) {
  const Remove r = remove_system();
  World<C> w = r.sys.initial;
  EXPECT_EQ(run_alone(r.sys, w, kRemove), (std::vector<std::string>{"encl->lock", "emodpr.end", "encl->lock"}));
  ASSERT_TRUE(ended(C{}, r.sys, w, kRemove));
  EXPECT_EQ(w.th[kRemove].rv, ret::kEperm);
  EXPECT_EQ(w.th[kRemove].count, 0);
  EXPECT_FALSE(w.ghost.warn || w.ghost.contract || w.ghost.promise);
  EXPECT_TRUE(w.drv.pages[size_t(r.l.data_page(0))].resident);
  EXPECT_EQ(w.drv.children, r.l.built());
}

TEST(RemoveFlow, AfterTheEnclaveAcceptedEveryTrimEveryPageGoes) {
  const Remove r = remove_system();
  World<C> w = r.sys.initial;
  run_alone(r.sys, w, kEnclave);
  ASSERT_TRUE(ended(C{}, r.sys, w, kEnclave));
  std::vector<std::string> want;
  for (size_t i = 0; i < r.l.data_pages; ++i) want.insert(want.end(), kRemovedPage.begin(), kRemovedPage.end());
  EXPECT_EQ(run_alone(r.sys, w, kRemove), want);
  ASSERT_TRUE(ended(C{}, r.sys, w, kRemove));
  EXPECT_EQ(w.th[kRemove].rv, ret::kOk);
  EXPECT_EQ(w.th[kRemove].count, int64_t(r.l.data_pages));
  EXPECT_FALSE(w.ghost.warn || w.ghost.contract || w.ghost.promise);
  EXPECT_EQ(w.drv.children, r.l.built() - int64_t(r.l.data_pages));
  for (size_t i = 0; i < r.l.data_pages; ++i) {
    const PageRecord<C>& rec = w.drv.pages[size_t(r.l.data_page(i))];
    EXPECT_FALSE(rec.resident) << "erased";
    EXPECT_TRUE(w.drv.free[size_t(rec.slot)].on);
    EXPECT_FALSE(w.hw.epcm[size_t(rec.slot)].valid);
    EXPECT_FALSE(w.hw.pte[0][size_t(r.l.data_page(i))].present) << "zapped";
  }
}

TEST(RemoveFlow, WithoutTheProbeAnUnacceptedPageGoesAndItsEacceptMeetsAFreshPage) {
  const Remove r = remove_system({"bug.remove-pages-skips-probe"});
  World<C> w = r.sys.initial;
  // Without the probe the step that took the mutex drops it.
  EXPECT_EQ(run_alone(r.sys, w, kRemove, "eremove.end"),
            (std::vector<std::string>{"encl->lock", "encl->lock", "ipi_mask.end", "encl->lock", "eremove.end"}));
  EXPECT_TRUE(w.ghost.promise) << "D4: removed before the enclave accepted its trim";
  EXPECT_FALSE(w.ghost.warn) << "nobody inside: EREMOVE frees it";
  run_alone(r.sys, w, kRemove);
  ASSERT_TRUE(ended(C{}, r.sys, w, kRemove));
  EXPECT_EQ(w.th[kRemove].count, int64_t(r.l.data_pages));
  EXPECT_FALSE(w.ghost.contract);
  // EENTER; EACCEPT's #PF: the look-up finds no page, and the fault EAUGs one; ERESUME
  // and the EACCEPT again, which a PENDING REG page refuses.
  const std::vector<std::string> points = run_alone(r.sys, w, kEnclave);
  EXPECT_EQ(std::vector<std::string>(points.begin(), points.begin() + 9),
            (std::vector<std::string>{"eenter.end", "eaccept.end", "encl->lock", "encl->lock", "encl->lock",
                                      "eaug.end", "encl->lock", "eresume.end", "eaccept.end"}));
  EXPECT_TRUE(ended(C{}, r.sys, w, kEnclave));
  EXPECT_EQ(w.th[kEnclave].index, int64_t(r.l.data_pages)) << "it answered every page";
  for (size_t i = 0; i < r.l.data_pages; ++i) {
    const PageRecord<C>& rec = w.drv.pages[size_t(r.l.data_page(i))];
    EXPECT_TRUE(rec.resident && rec.type == arch::pt::kReg);
    const arch::Epcm<C>& e = w.hw.epcm[size_t(rec.slot)];
    EXPECT_TRUE(e.valid && e.type == arch::pt::kReg && e.pending) << "the EACCEPT with TRIM did not take it";
  }
}

TEST(RemoveFlow, WithoutTheProbeAThreadInsideMakesTheHardwareRefuseTheEremove) {
  const Remove r = remove_system({"bug.remove-pages-skips-probe"});
  World<C> w = r.sys.initial;
  EXPECT_EQ(run_alone(r.sys, w, kEnclave, "eenter.end"), (std::vector<std::string>{"eenter.end"}));
  // The zap's IPI takes the thread out; it comes back before the EREMOVE.
  run_alone(r.sys, w, kRemove, "ipi_mask.end");
  ASSERT_FALSE(w.hw.cpu[size_t(Layout::enclave_cpu(0))].mode);
  EXPECT_EQ(run_alone(r.sys, w, kEnclave, "eresume.end"), (std::vector<std::string>{"eresume.end"}));
  run_alone(r.sys, w, kRemove, "eremove.end");
  EXPECT_TRUE(w.ghost.warn) << "D1: SGX_ENCLAVE_ACT, Linux's WARN in sgx_encl_free_epc_page";
  const PageRecord<C>& rec = w.drv.pages[size_t(r.l.data_page(0))];
  EXPECT_FALSE(rec.resident);
  EXPECT_FALSE(w.drv.free[size_t(rec.slot)].on) << "the EPC page leaked";
}

TEST(RemoveFlow, RunsOnlyOnTrimmedPagesWithoutKsgxd) {
  Layout l = layout_for("remove", 1, 1);
  l.reclaimer = true;
  EXPECT_THROW(build_system("remove", Variant{}, l), std::logic_error);
}

}  // namespace
}  // namespace sgxref::proofs::flows
