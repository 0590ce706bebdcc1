// Counterexamples the conformance property (props/conformance) found, kept as ordinary
// tests: each replays the shrunk sequence on the model and on the emulator, which must
// agree at every step, and asserts the outcome the rule it names gives.
#include <gtest/gtest.h>

#include <vector>

#include "conformance/step_check.h"
#include "model/world.h"
#include "testlib/test_signing_key.h"

namespace sgxref::conformance {
namespace {

using namespace model::test;
using namespace model::arch;

// The PCMD of a blob place EWB never wrote: all zero, so it names a SECS page.
const SecInfo<C> kSecsPcmd{false, pt::kSecs, false, false, false, false, false, false};
// PAGEINFO.SECS = 0 with the scenario's sizes.
constexpr int64_t kNull = 10;

// The model's outcome of the last of `ops`, run after the scenario build if asked.
Out last_outcome(const std::vector<Op>& ops, bool from_scenario) {
  World w;
  if (from_scenario) {
    EXPECT_TRUE(w.build_enclave());
  }
  Out out = Ok();
  for (const Op& op : ops) out = apply(w.d, w.s, op);
  return out;
}

void expect_conforms(const std::vector<Op>& ops, bool from_scenario, const Out& last) {
  EXPECT_EQ(replay(ops, from_scenario), "");
  EXPECT_EQ(last_outcome(ops, from_scenario), last);
}

// `ops` from the scenario enclave, then `overlap`: both sides agree at every step; the
// overlap's outcomes are the model's `parked` and `other`.
void expect_overlap_conforms(const std::vector<Op>& ops, const OverlapOp& overlap,
                             const Out& parked, const Out& other) {
  const Sizes sz = scenario_sizes();
  HwRunner hw(sz, testlib::test_signing_key());
  Model s = initial_state(C{}, sz);
  std::vector<Op> all = scenario_build_ops();
  all.insert(all.end(), ops.begin(), ops.end());
  for (const Op& op : all) ASSERT_EQ(check_step(s, hw, op).error, "");
  const OverlapResult r = check_overlap(s, hw, overlap);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.outcome.parked, parked);
  EXPECT_EQ(r.outcome.other, other);
}

// ELDx of a SECS or VA page (an empty blob's PCMD says SECS) with PAGEINFO.SECS naming a
// page: #GP, since such a page belongs to no enclave. The model used to ignore it.
TEST(ArchConformanceRegression, EldOfSecsBlobWithASecsOperandIsGp) {
  expect_conforms({Op{kEpa, PageOp<C>{0, 2}}, Op{kEldb, EldOp<C>{0, 0, 2, 1, 0, 0, 0, kSecsPcmd, true}}},
                  false, Gp());
}

// ELDx whose VA slot lies in its own target page: the page cannot be held exclusively
// and shared at once (#GP), before any EPCM check.
TEST(ArchConformanceRegression, EldWithVaSlotInTheTargetIsGp) {
  expect_conforms({Op{kEldb, EldOp<C>{0, 1, 1, 0, 0, 0, kNull, kSecsPcmd, true}}}, false, Gp());
}

// EAUG and EADD naming their target as the SECS: the same lock rule (#GP).
TEST(ArchConformanceRegression, EaugWithTargetAsSecsIsGp) {
  expect_conforms({Op{kEaug, EaugOp<C>{0, 1, 1, 0}}}, false, Gp());
}

TEST(ArchConformanceRegression, EaddWithTargetAsSecsIsGp) {
  const SecInfo<C> reg{false, pt::kReg, true, true, false, false, false, false};
  expect_conforms({Op{kEadd, EaddOp<C>{0, 1, 1, 0, reg, 0, 0, 0}}}, false, Gp());
}

// Enclave code fetching outside its ELRANGE takes #GP before any page walk.
TEST(ArchConformanceRegression, FetchOutsideElrangeIsGp) {
  expect_conforms({Op{kEenter, EnterOp<C>{0, 0}}, Op{kFetch, AccessOp<C>{0, 4, 0, 0}}}, true, Gp());
}

// An entry that faults (EENTER in enclave mode) exits by AEX and flushes the TLB; the
// flushed entries compare as empty whatever they held.
TEST(ArchConformanceRegression, FaultingEenterFlushesTheTlb) {
  expect_conforms({Op{kEenter, EnterOp<C>{0, 0}}, Op{kLoad, AccessOp<C>{0, 1, 0, 0}},
                   Op{kEenter, EnterOp<C>{0, 0}}},
                  true, Gp());
}

// A TCS's reserved bytes hold the words of contents of a page: EADD of a TCS whose source
// page has a nonzero word is #GP. The model used to accept it.
TEST(ArchConformanceRegression, EaddOfTcsWithWordsIsGp) {
  const SecInfo<C> tcs{false, pt::kTcs, false, false, false, false, false, false};
  const SecInfo<C> secs{false, pt::kSecs, false, false, false, false, false, false};
  expect_conforms({Op{kEcreate, EcreateOp<C>{1, 0, secs, 0, 4, true}},
                   Op{kEadd, EaddOp<C>{1, 1, 0, 0, tcs, 2, 1, 5}}},
                  false, Gp());
}

// An overlap whose other operation is a load: the load's word is its own answer, not the
// parked leaf's. (The runner once reported it for both.)
TEST(ArchConformanceRegression, ParkedLeafAnswersNoValueOfTheOtherOne) {
  expect_overlap_conforms({Op{kEenter, EnterOp<C>{0, 0}}},
                          OverlapOp{Op{kEtrack, EtrackOp<C>{1, 0}},
                                    Op{kLoad, AccessOp<C>{0, 2, 0, 0}}},
                          Ok(), Value(layout::kDataWord));
}

// EWB on one CPU while an EACCEPT is parked on another, which holds that CPU: nothing
// may inspect the parked CPU before the overlap ends. (The runner once decoded the new
// blob at once, read every CPU's view and hung.)
TEST(ArchConformanceRegression, EwbWhileAnEnclaveLeafIsParkedDoesNotHang) {
  const SecInfo<C> r{false, pt::kReg, true, false, false, false, false, false};
  const SecInfo<C> restricted{false, pt::kReg, true, false, false, false, false, true};
  expect_overlap_conforms(
      {Op{kEaug, EaugOp<C>{1, 5, 0, 3}}, Op{kEblock, PageOp<C>{1, 5}},
       Op{kEmodpr, ModifyOp<C>{1, 3, r}}, Op{kEtrack, EtrackOp<C>{1, 0}},
       Op{kEenter, EnterOp<C>{0, 0}}},
      OverlapOp{Op{kEaccept, AcceptOp<C>{0, 1, 2, restricted}}, Op{kEwb, EwbOp<C>{1, 5, 4, 0, 0}}},
      Ok(), Ok());
}

}  // namespace
}  // namespace sgxref::conformance
