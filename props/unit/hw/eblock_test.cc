// EBLOCK: SDM vol. 3D "EBLOCK—Mark a page in EPC as Blocked". Conflicts with a leaf
// holding the page are in paging_overlap_test.cc.
#include <gtest/gtest.h>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/page_kinds_fixture.h"

namespace sgxref::hw {
namespace {

// The enclave's SECS, REG, TCS and VA pages of testlib::PageKindsFixture.
class Eblock : public testlib::PageKindsFixture {
 protected:
  Result block(PAddr addr) { return m.cpu(0).eblock(addr); }

  void expect_refused(PAddr addr, const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(block(addr), refusal);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }

  // EBLOCK sets BLOCKED, stamps the page with its enclave's epoch (docs/hw.md
  // "Tracking") and changes nothing else.
  void expect_blocked(uint32_t slot) {
    const Snapshot before = Inspector(m).snapshot();
    ASSERT_EQ(block(m.epc_addr(slot)), Result::ok());
    EpcmEntry expected = before.epcm[slot];
    expected.blocked = true;
    expected.stamped = true;
    expected.stamp = Inspector(m).tracking(kSecs).epoch;
    Snapshot after = Inspector(m).snapshot();
    EXPECT_EQ(after.epcm[slot], expected);
    after.epcm[slot] = before.epcm[slot];
    EXPECT_EQ(after, before);
  }
};

TEST_F(Eblock, BlocksRegPage) { expect_blocked(kReg); }

TEST_F(Eblock, BlocksTcsPage) { expect_blocked(kTcs); }

TEST_F(Eblock, MisalignedPageIsGp) { expect_refused(m.epc_addr(kReg) + 8, Result::gp()); }

TEST_F(Eblock, NonEpcPageIsPf) {
  const PAddr ram = m.ram().alloc();
  expect_refused(ram, Result::pf(ram, 0));
}

TEST_F(Eblock, InvalidPageIsPgInvld) {
  expect_refused(m.epc_addr(kFree), Result::error(SgxCode::kPgInvld));
}

TEST_F(Eblock, SecsIsPgIsSecsWithCf) {
  expect_refused(m.epc_addr(kSecs), Result::error(SgxCode::kPgIsSecs, true));
}

TEST_F(Eblock, VaPageIsNotBlockableWithCf) {
  expect_refused(m.epc_addr(kVa), Result::error(SgxCode::kNotBlockable, true));
}

TEST_F(Eblock, BlockedPageIsBlkStateWithCf) {
  ASSERT_EQ(block(m.epc_addr(kReg)), Result::ok());
  expect_refused(m.epc_addr(kReg), Result::error(SgxCode::kBlkState, true));
}

TEST_F(Eblock, BlocksTrimPage) {
  trim(/*accepted=*/false);
  expect_blocked(kReg);
}

}  // namespace
}  // namespace sgxref::hw
