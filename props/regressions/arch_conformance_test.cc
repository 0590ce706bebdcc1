// Counterexamples the conformance property (props/conformance) found, kept as ordinary
// tests: each replays the shrunk sequence on the model and on the emulator, which must
// agree at every step, and asserts the outcome the rule it names gives.
#include <gtest/gtest.h>

#include <vector>

#include "conformance/step_check.h"
#include "model/world.h"

namespace sgxref::conformance {
namespace {

using namespace model::test;
using namespace model::arch;

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

// ELDx of a SECS or VA page (an empty blob's PCMD says SECS) with PAGEINFO.SECS naming a
// page: #GP, since such a page belongs to no enclave. The model used to ignore it.
TEST(ArchConformanceRegression, EldOfSecsBlobWithASecsOperandIsGp) {
  expect_conforms({Op{kEpa, PageOp<C>{0, 2}}, Op{kEldb, EldOp<C>{0, 0, 2, 1, 0, 0, 0, true}}},
                  false, Gp());
}

// ELDx whose VA slot lies in its own target page: the page cannot be held exclusively
// and shared at once (#GP), before any EPCM check.
TEST(ArchConformanceRegression, EldWithVaSlotInTheTargetIsGp) {
  expect_conforms({Op{kEldb, EldOp<C>{0, 1, 1, 0, 0, 0, 8, true}}}, false, Gp());
}

// EAUG and EADD naming their target as the SECS: the same lock rule (#GP).
TEST(ArchConformanceRegression, EaugWithTargetAsSecsIsGp) {
  expect_conforms({Op{kEaug, EaugOp<C>{0, 1, 1, 0}}}, false, Gp());
}

TEST(ArchConformanceRegression, EaddWithTargetAsSecsIsGp) {
  const SecInfo<C> reg{false, pt::kReg, true, true, false, false, false, false};
  expect_conforms({Op{kEadd, EaddOp<C>{0, 1, 1, 0, reg, 0, 0}}}, false, Gp());
}

// Enclave code fetching outside its ELRANGE takes #GP before any page walk.
TEST(ArchConformanceRegression, FetchOutsideElrangeIsGp) {
  expect_conforms({Op{kEenter, EnterOp<C>{0, 0}}, Op{kFetch, AccessOp<C>{0, 4}}}, true, Gp());
}

// An entry that faults (EENTER in enclave mode) exits by AEX and flushes the TLB; the
// flushed entries compare as empty whatever they held.
TEST(ArchConformanceRegression, FaultingEenterFlushesTheTlb) {
  expect_conforms({Op{kEenter, EnterOp<C>{0, 0}}, Op{kLoad, AccessOp<C>{0, 1}},
                   Op{kEenter, EnterOp<C>{0, 0}}},
                  true, Gp());
}

}  // namespace
}  // namespace sgxref::conformance
