// EMODPR: SDM vol. 3D "EMODPR—Restrict the Permissions of an EPC Page". The enclave is
// testlib::TestEnclave; conflicts with other leaves are in sgx2_overlap_test.cc, and
// the restrict-track-accept flow with its stale TLB in sgx2_flows_test.cc.
#include <gtest/gtest.h>

#include <array>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "testlib/kernel_memory.h"
#include "testlib/sgx2_fixture.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Emodpr : public testlib::Sgx2Fixture {
 protected:
  static constexpr uint64_t kRw = TestEnclave::kData2;
  static constexpr uint64_t kRx = TestEnclave::kCode;
  static constexpr uint32_t kVa = 25;
  static constexpr uint32_t kOtherSecs = 26;  // an enclave never initialized, REG in 27
  static constexpr uint32_t kOtherReg = 27;

  // EMODPR succeeds and changes exactly R, W, X to `r`, `w`, `x`, sets PR and stamps
  // the page with the enclave's epoch.
  void expect_restricted(uint64_t offset, uint64_t flags, bool r, bool w, bool x) {
    const Snapshot before = Inspector(m()).snapshot();
    ASSERT_EQ(emodpr(offset, flags), Result::ok());
    EpcmEntry want = before.epcm[slot(offset)];
    want.r = r;
    want.w = w;
    want.x = x;
    want.pr = true;
    want.stamped = true;
    want.stamp = Inspector(m()).tracking(enclave().secs_slot()).epoch;
    expect_only_epcm_changed(before, offset, want);
  }

  void expect_refused_at(PAddr secinfo, PAddr epc, const Result& refusal) {
    const Snapshot before = Inspector(m()).snapshot();
    EXPECT_EQ(cpu(kKernel).emodpr(secinfo, epc), refusal);
    EXPECT_EQ(Inspector(m()).snapshot(), before);
  }
  void expect_refused(uint32_t epc_slot, uint64_t flags, const Result& refusal) {
    expect_refused_at(kernel_secinfo(flags), m().epc_addr(epc_slot), refusal);
  }
};

TEST_F(Emodpr, RestrictsRwToR) { expect_restricted(kRw, kReg | kR, true, false, false); }

TEST_F(Emodpr, RestrictsRxToX) { expect_restricted(kRx, kReg | kX, false, false, true); }

TEST_F(Emodpr, RestrictsToNoAccess) { expect_restricted(kRw, kReg, false, false, false); }

TEST_F(Emodpr, RightsTheRequestAddsAreIgnored) {
  expect_restricted(kRw, kReg | kR | kW | kX, true, true, false);
}

TEST_F(Emodpr, PageTypeAndStateBitsOfSecinfoAreIgnored) {
  // EMODPR reads only R, W and X; PT, PENDING, MODIFIED and PR are not reserved.
  expect_restricted(kRw, kTcsType | kPending | kModified | kPr | kR, true, false, false);
}

TEST_F(Emodpr, PageAlreadyRestrictedCanBeRestrictedAgain) {
  ASSERT_EQ(emodpr(kRw, kReg | kR | kW), Result::ok());
  expect_restricted(kRw, kReg | kR, true, false, false);
}

TEST_F(Emodpr, StampsWithTheEpochOfItsTime) {
  ASSERT_EQ(etrack(), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  expect_restricted(kRw, kReg | kR, true, false, false);
  EXPECT_EQ(Inspector(m()).epcm(slot(kRw)).stamp, 2u);
}

TEST_F(Emodpr, MisalignedSecinfoIsGp) {
  expect_refused_at(kernel_secinfo(kReg | kR) + 32, m().epc_addr(slot(kRw)), Result::gp());
}

TEST_F(Emodpr, MisalignedPageIsGp) {
  expect_refused_at(kernel_secinfo(kReg | kR), m().epc_addr(slot(kRw)) + 64, Result::gp());
}

TEST_F(Emodpr, NonEpcPageIsPf) {
  const PAddr ram = mem().frame();
  expect_refused_at(kernel_secinfo(kReg | kR), ram, Result::pf(ram, 0));
}

TEST_F(Emodpr, UnmappedSecinfoIsPf) {
  expect_refused_at(0x40, m().epc_addr(slot(kRw)), Result::pf(0x40, 0));
}

TEST_F(Emodpr, ReservedFlagIsGp) {
  expect_refused(slot(kRw), kReg | kR | (1ull << 6), Result::gp());
}

TEST_F(Emodpr, ReservedSecinfoByteIsGp) {
  uapi::SecInfo si{};
  si.flags = kReg | kR;
  si.reserved[55] = 1;
  expect_refused_at(mem().put(si), m().epc_addr(slot(kRw)), Result::gp());
}

TEST_F(Emodpr, WriteWithoutReadIsGp) { expect_refused(slot(kRw), kReg | kW, Result::gp()); }

TEST_F(Emodpr, InvalidPageIsPf) {
  expect_refused(slot(kAug), kReg | kR, Result::epcm_pf(m().epc_addr(slot(kAug))));
}

TEST_F(Emodpr, PendingPageIsNotModifiable) {
  ASSERT_EQ(eaug(kAug), Result::ok());
  expect_refused(slot(kAug), kReg | kR, Result::error(SgxCode::kPageNotModifiable));
}

TEST_F(Emodpr, ModifiedPageIsNotModifiable) {
  // Linux's REMOVE_PAGES probe: a TRIM page not yet accepted answers this code.
  ASSERT_EQ(emodt(kRw, kTrim), Result::ok());
  expect_refused(slot(kRw), kReg | kR | kW | kX, Result::error(SgxCode::kPageNotModifiable));
}

TEST_F(Emodpr, TcsPageIsPf) {
  const uint32_t tcs = slot(TestEnclave::kTcs2);
  expect_refused(tcs, kReg | kR, Result::epcm_pf(m().epc_addr(tcs)));
}

TEST_F(Emodpr, SecsPageIsPf) {
  const uint32_t secs = enclave().secs_slot();
  expect_refused(secs, kReg | kR, Result::epcm_pf(m().epc_addr(secs)));
}

TEST_F(Emodpr, VaPageIsPf) {
  ASSERT_EQ(cpu(kKernel).epa(uint64_t(PageType::kVa), m().epc_addr(kVa)), Result::ok());
  expect_refused(kVa, kReg | kR, Result::epcm_pf(m().epc_addr(kVa)));
}

TEST_F(Emodpr, UninitializedEnclaveIsGp) {
  constexpr uint64_t kOtherBase = 0x8000'0000;
  testlib::EnclaveBuilder other(m(), kOtherSecs, kKernel);
  ASSERT_EQ(other.create(testlib::make_secs(kOtherBase, TestEnclave::kSize)), Result::ok());
  const std::array<uint8_t, kPageSize> page{};
  ASSERT_EQ(other.add(kOtherReg, kOtherBase, page.data(), kReg | kR | kW), Result::ok());
  expect_refused(kOtherReg, kReg | kR, Result::gp());
}

TEST_F(Emodpr, InEnclaveModeIsUdDeliveredByAex) {
  ASSERT_EQ(eenter(), Result::ok());
  testlib::Sgx2Ops inside(m(), 0);
  EXPECT_EQ(inside.emodpr(slot(kRw), kReg | kR), Result::ud());
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_TRUE(Inspector(m()).epcm(slot(kRw)).w);
}

}  // namespace
}  // namespace sgxref::hw
