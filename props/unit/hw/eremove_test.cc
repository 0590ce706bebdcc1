// EREMOVE: SDM vol. 3D "EREMOVE—Remove a page from the EPC".
#include <gtest/gtest.h>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "testlib/page_kinds_fixture.h"

namespace sgxref::hw {
namespace {

// The enclave's SECS, REG, TCS and VA pages of testlib::PageKindsFixture.
class Eremove : public testlib::PageKindsFixture {
 protected:
  Result remove(uint32_t slot) { return m.cpu(0).eremove(m.epc_addr(slot)); }

  void expect_refused(PAddr addr, const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(m.cpu(0).eremove(addr), refusal);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }
};

TEST_F(Eremove, FreesRegPage) {
  ASSERT_EQ(remove(kReg), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kReg), EpcmEntry{});
}

TEST_F(Eremove, FreesTcsPage) {
  ASSERT_EQ(remove(kTcs), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kTcs), EpcmEntry{});
}

TEST_F(Eremove, FreesVaPage) {
  ASSERT_EQ(remove(kVa), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kVa), EpcmEntry{});
}

TEST_F(Eremove, FreesAcceptedTrimPage) {
  trim(/*accepted=*/true);
  ASSERT_EQ(remove(kReg), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kReg), EpcmEntry{});
}

TEST_F(Eremove, FreesTrimPageNotYetAccepted) {
  trim(/*accepted=*/false);
  ASSERT_EQ(remove(kReg), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kReg), EpcmEntry{});
}

TEST_F(Eremove, InvalidPageIsSuccessAndChangesNothing) {
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(remove(6), Result::ok());
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Eremove, SecsWithChildIsChildPresent) {
  ASSERT_EQ(remove(kReg), Result::ok());
  expect_refused(m.epc_addr(kSecs), Result::error(SgxCode::kChildPresent));
}

TEST_F(Eremove, SecsWithTrimChildIsChildPresent) {
  ASSERT_EQ(remove(kTcs), Result::ok());
  trim(/*accepted=*/false);
  expect_refused(m.epc_addr(kSecs), Result::error(SgxCode::kChildPresent));
}

TEST_F(Eremove, FreesChildlessSecsAndDropsItsMeasurement) {
  const uint64_t eid = Inspector(m).secs(kSecs).eid;
  ASSERT_EQ(remove(kReg), Result::ok());
  ASSERT_EQ(remove(kTcs), Result::ok());
  // The VA page's ENCLAVESECS field is 0, the SECS's slot: VA pages are nobody's child.
  ASSERT_EQ(remove(kSecs), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kSecs), EpcmEntry{});
  EXPECT_TRUE(Inspector(m).epcm(kVa).valid);
  EXPECT_EQ(Inspector(m).snapshot().measurements.count(eid), 0u);
}

TEST_F(Eremove, FreedSecsSlotTakesANewEnclave) {
  ASSERT_EQ(remove(kReg), Result::ok());
  ASSERT_EQ(remove(kTcs), Result::ok());
  ASSERT_EQ(remove(kSecs), Result::ok());
  ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
  EXPECT_EQ(Inspector(m).secs(kSecs).eid, 2u);
}

TEST_F(Eremove, MisalignedPageIsGp) { expect_refused(m.epc_addr(kReg) + 8, Result::gp()); }

TEST_F(Eremove, NonEpcPageIsPf) {
  const PAddr ram = m.ram().alloc();
  expect_refused(ram, Result::pf(ram, 0));
}

}  // namespace
}  // namespace sgxref::hw
