// EMODT: SDM vol. 3D "EMODT—Change the Type of an EPC Page". The enclave is
// testlib::TestEnclave; conflicts with other leaves are in sgx2_overlap_test.cc, and
// trimming and TCS creation end to end in sgx2_flows_test.cc.
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

class Emodt : public testlib::Sgx2Fixture {
 protected:
  static constexpr uint64_t kRw = TestEnclave::kData2;
  static constexpr uint64_t kRx = TestEnclave::kCode;
  static constexpr uint64_t kTcs = TestEnclave::kTcs2;
  static constexpr uint32_t kVa = 25;
  static constexpr uint32_t kOtherSecs = 26;  // an enclave never initialized, REG in 27
  static constexpr uint32_t kOtherReg = 27;

  // EMODT succeeds: type `type`, no rights, MODIFIED, not PR, stamped with the
  // enclave's epoch; nothing else changes, the page's bytes included.
  void expect_retyped(uint64_t offset, uint64_t flags, PageType type) {
    const Snapshot before = Inspector(m()).snapshot();
    ASSERT_EQ(emodt(offset, flags), Result::ok());
    EpcmEntry want = before.epcm[slot(offset)];
    want.type = type;
    want.r = want.w = want.x = false;
    want.modified = true;
    want.pr = false;
    want.stamped = true;
    want.stamp = Inspector(m()).tracking(enclave().secs_slot()).epoch;
    expect_only_epcm_changed(before, offset, want);
  }

  void expect_refused_at(PAddr secinfo, PAddr epc, const Result& refusal) {
    const Snapshot before = Inspector(m()).snapshot();
    EXPECT_EQ(cpu(kKernel).emodt(secinfo, epc), refusal);
    EXPECT_EQ(Inspector(m()).snapshot(), before);
  }
  void expect_refused(uint32_t epc_slot, uint64_t flags, const Result& refusal) {
    expect_refused_at(kernel_secinfo(flags), m().epc_addr(epc_slot), refusal);
  }
};

TEST_F(Emodt, RegBecomesTrim) { expect_retyped(kRw, kTrim, PageType::kTrim); }

TEST_F(Emodt, RegBecomesTcs) { expect_retyped(kRw, kTcsType, PageType::kTcs); }

TEST_F(Emodt, TcsBecomesTrim) { expect_retyped(kTcs, kTrim, PageType::kTrim); }

TEST_F(Emodt, RightsInSecinfoAreIgnored) {
  expect_retyped(kRx, kTrim | kR | kW | kX, PageType::kTrim);
}

TEST_F(Emodt, ClearsPendingRestriction) {
  ASSERT_EQ(emodpr(kRw, kReg | kR), Result::ok());
  ASSERT_TRUE(Inspector(m()).epcm(slot(kRw)).pr);
  expect_retyped(kRw, kTrim, PageType::kTrim);
}

TEST_F(Emodt, StampsWithTheEpochOfItsTime) {
  ASSERT_EQ(etrack(), Result::ok());
  expect_retyped(kRw, kTrim, PageType::kTrim);
  EXPECT_EQ(Inspector(m()).epcm(slot(kRw)).stamp, 1u);
}

TEST_F(Emodt, MisalignedSecinfoIsGp) {
  expect_refused_at(kernel_secinfo(kTrim) + 8, m().epc_addr(slot(kRw)), Result::gp());
}

TEST_F(Emodt, MisalignedPageIsGp) {
  expect_refused_at(kernel_secinfo(kTrim), m().epc_addr(slot(kRw)) + 0x800, Result::gp());
}

TEST_F(Emodt, NonEpcPageIsPf) {
  const PAddr ram = mem().frame();
  expect_refused_at(kernel_secinfo(kTrim), ram, Result::pf(ram, 0));
}

TEST_F(Emodt, UnmappedSecinfoIsPf) {
  expect_refused_at(0x40, m().epc_addr(slot(kRw)), Result::pf(0x40, 0));
}

TEST_F(Emodt, ReservedFlagIsGp) { expect_refused(slot(kRw), kTrim | (1ull << 7), Result::gp()); }

TEST_F(Emodt, ReservedSecinfoByteIsGp) {
  uapi::SecInfo si{};
  si.flags = kTrim;
  si.reserved[0] = 1;
  expect_refused_at(mem().put(si), m().epc_addr(slot(kRw)), Result::gp());
}

TEST_F(Emodt, NewTypeRegIsGp) { expect_refused(slot(kRw), kReg, Result::gp()); }

TEST_F(Emodt, NewTypeSecsIsGp) {
  expect_refused(slot(kRw), uapi::secinfo_flag::type(PageType::kSecs), Result::gp());
}

TEST_F(Emodt, NewTypeVaIsGp) {
  expect_refused(slot(kRw), uapi::secinfo_flag::type(PageType::kVa), Result::gp());
}

TEST_F(Emodt, InvalidPageIsPf) {
  expect_refused(slot(kAug), kTrim, Result::epcm_pf(m().epc_addr(slot(kAug))));
}

TEST_F(Emodt, TcsToTcsIsPf) {
  expect_refused(slot(kTcs), kTcsType, Result::epcm_pf(m().epc_addr(slot(kTcs))));
}

TEST_F(Emodt, TrimPageIsPfBeforeModifiedIsChecked) {
  // The type test comes before the MODIFIED test: an unaccepted TRIM page faults.
  ASSERT_EQ(emodt(kRw, kTrim), Result::ok());
  expect_refused(slot(kRw), kTrim, Result::epcm_pf(m().epc_addr(slot(kRw))));
}

TEST_F(Emodt, SecsPageIsPf) {
  const uint32_t secs = enclave().secs_slot();
  expect_refused(secs, kTrim, Result::epcm_pf(m().epc_addr(secs)));
}

TEST_F(Emodt, VaPageIsPf) {
  ASSERT_EQ(cpu(kKernel).epa(uint64_t(PageType::kVa), m().epc_addr(kVa)), Result::ok());
  expect_refused(kVa, kTrim, Result::epcm_pf(m().epc_addr(kVa)));
}

TEST_F(Emodt, PendingPageIsNotModifiable) {
  ASSERT_EQ(eaug(kAug), Result::ok());
  expect_refused(slot(kAug), kTrim, Result::error(SgxCode::kPageNotModifiable));
}

TEST_F(Emodt, ModifiedTcsPageIsNotModifiable) {
  // REG -> TCS leaves a MODIFIED TCS page, whose TCS -> TRIM passes the type test.
  ASSERT_EQ(emodt(kRw, kTcsType), Result::ok());
  expect_refused(slot(kRw), kTrim, Result::error(SgxCode::kPageNotModifiable));
}

TEST_F(Emodt, UninitializedEnclaveIsGp) {
  constexpr uint64_t kOtherBase = 0x8000'0000;
  testlib::EnclaveBuilder other(m(), kOtherSecs, kKernel);
  ASSERT_EQ(other.create(testlib::make_secs(kOtherBase, TestEnclave::kSize)), Result::ok());
  const std::array<uint8_t, kPageSize> page{};
  ASSERT_EQ(other.add(kOtherReg, kOtherBase, page.data(), kReg | kR | kW), Result::ok());
  expect_refused(kOtherReg, kTrim, Result::gp());
}

TEST_F(Emodt, InEnclaveModeIsUdDeliveredByAex) {
  ASSERT_EQ(eenter(), Result::ok());
  testlib::Sgx2Ops inside(m(), 0);
  EXPECT_EQ(inside.emodt(slot(kRw), kTrim), Result::ud());
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_EQ(Inspector(m()).epcm(slot(kRw)).type, PageType::kReg);
}

}  // namespace
}  // namespace sgxref::hw
