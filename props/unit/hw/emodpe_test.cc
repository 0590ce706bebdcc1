// EMODPE: SDM vol. 3D "EMODPE—Extend an EPC Page Permissions". Enclave code runs on
// CPU 0 in testlib::TestEnclave with its SECINFO at the start of its data page; the
// kernel side runs on CPU 3. Conflicts with other leaves are in sgx2_overlap_test.cc,
// access after extension in sgx2_flows_test.cc.
#include <gtest/gtest.h>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/sgx2_fixture.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Emodpe : public testlib::Sgx2Fixture {
 protected:
  static constexpr uint64_t kRx = TestEnclave::kCode;
  static constexpr uint64_t kRw = TestEnclave::kData2;
  static constexpr uint64_t kUnmapped = 0xB000;  // in ELRANGE, no PTE

  // EMODPE succeeds and changes exactly R, W, X of the page to `r`, `w`, `x`: no
  // stamp, no state bit, no register.
  void expect_extended(uint64_t offset, uint64_t flags, bool r, bool w, bool x) {
    ASSERT_EQ(put_secinfo(0, flags), Result::ok());
    const Snapshot before = Inspector(m()).snapshot();
    ASSERT_EQ(cpu().emodpe(la(kSecinfo), la(offset)), Result::ok());
    EpcmEntry want = before.epcm[slot(offset)];
    want.r = r;
    want.w = w;
    want.x = x;
    expect_only_epcm_changed(before, offset, want);
  }

  void expect_fault_delivered(const Result& r, const Result& want) {
    EXPECT_EQ(r, want);
    EXPECT_FALSE(cpu().in_enclave_mode());
  }
};

TEST_F(Emodpe, AddsWriteToCodePage) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_extended(kRx, kReg | kW, true, true, true);
}

TEST_F(Emodpe, AddsExecuteToDataPage) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_extended(kRw, kX, true, true, true);
}

TEST_F(Emodpe, RightsAlreadyHeldChangeNothing) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_extended(kRw, kReg | kR, true, true, false);
}

TEST_F(Emodpe, ExtendsPageWithRestrictionPending) {
  // The enclave memory manager's way to change rights both ways: EMODPE first, then
  // EACCEPT of the restriction. PR stays set until that EACCEPT.
  ASSERT_EQ(emodpr(kRw, kReg | kR), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  expect_extended(kRw, kReg | kX, true, false, true);
  EXPECT_TRUE(Inspector(m()).epcm(slot(kRw)).pr);
}

TEST_F(Emodpe, WriteAloneOnPageWithReadIsAllowed) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_extended(kRx, kW, true, true, true);
}

TEST_F(Emodpe, OutsideEnclaveModeIsGp) {
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(cpu().emodpe(la(kSecinfo), la(kRx)), Result::gp());
  EXPECT_EQ(Inspector(m()).snapshot(), before);
}

TEST_F(Emodpe, MisalignedSecinfoIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().emodpe(la(kSecinfo) + 32, la(kRx)); }),
                         Result::gp());
}

TEST_F(Emodpe, MisalignedTargetIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().emodpe(la(kSecinfo), la(kRx) + 8); }),
                         Result::gp());
}

TEST_F(Emodpe, SecinfoOutsideElrangeIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().emodpe(kUser, la(kRx)); }), Result::gp());
}

TEST_F(Emodpe, TargetOutsideElrangeIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().emodpe(la(kSecinfo), kUser); }),
                         Result::gp());
}

TEST_F(Emodpe, UnmappedSecinfoIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().emodpe(la(kUnmapped), la(kRx)); }),
                         Result::pf(la(kUnmapped), kNotPresentRead));
}

TEST_F(Emodpe, UnmappedTargetIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kW, kUnmapped), Result::pf(la(kUnmapped), kNotPresentRead));
}

TEST_F(Emodpe, TargetMappedOutsideEpcIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true, .pa = user_});
  expect_fault_delivered(refused_emodpe(0, kW, kUnmapped), Result::pf(la(kUnmapped), kEpcmRead));
}

TEST_F(Emodpe, SecinfoOnCodePageWithoutReadIsPf) {
  ASSERT_EQ(emodpr(kRx, kReg | kX), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().emodpe(la(kRx), la(kRw)); }),
                         Result::pf(la(kRx), kEpcmRead));
}

TEST_F(Emodpe, SecinfoOnTcsPageIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  const LAddr tcs = la(TestEnclave::kTcs2);
  expect_fault_delivered(refused([&] { return cpu().emodpe(tcs, la(kRw)); }),
                         Result::pf(tcs, kEpcmRead));
}

TEST_F(Emodpe, SecinfoReservedFlagIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kW | (1ull << 40), kRx), Result::gp());
}

TEST_F(Emodpe, SecinfoReservedByteIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(store64(0, la(kSecinfo) + 56, 1ull << 56), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kW, kRx), Result::gp());
}

TEST_F(Emodpe, InvalidTargetIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  map(kAug, true, false);  // a PTE to a free EPC slot
  expect_fault_delivered(refused_emodpe(0, kX, kAug), Result::pf(la(kAug), kEpcmRead));
}

TEST_F(Emodpe, PendingTargetIsPf) {
  ASSERT_EQ(eaug(kAug), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kX, kAug), Result::pf(la(kAug), kEpcmRead));
}

TEST_F(Emodpe, ModifiedTargetIsPf) {
  ASSERT_EQ(emodt(kRw, kTrim), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kR, kRw), Result::pf(la(kRw), kEpcmRead));
}

TEST_F(Emodpe, AcceptedTrimTargetIsPf) {
  ASSERT_EQ(emodt(kRw, kTrim), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaccept(0, kTrim | kModified, kRw), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kR, kRw), Result::pf(la(kRw), kEpcmRead));
}

TEST_F(Emodpe, BlockedTargetIsPf) {
  ASSERT_EQ(cpu(kKernel).eblock(m().epc_addr(slot(kRw))), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kX, kRw), Result::pf(la(kRw), kEpcmRead));
}

TEST_F(Emodpe, TcsTargetIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kR, TestEnclave::kTcs2),
                         Result::pf(la(TestEnclave::kTcs2), kEpcmRead));
}

TEST_F(Emodpe, PageOfAnotherEnclaveIsPf) {
  ASSERT_NO_FATAL_FAILURE(map_page_of_another_enclave(kUnmapped));
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kX, kUnmapped), Result::pf(la(kUnmapped), kEpcmRead));
}

TEST_F(Emodpe, TargetAtAliasOfItsPageIsPf) {
  // Found by the check after the lock, which compares ENCLAVEADDRESS.
  ASSERT_EQ(eenter(), Result::ok());
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true,
                              .pa = m().epc_addr(slot(kRw))});
  expect_fault_delivered(refused_emodpe(0, kX, kUnmapped), Result::pf(la(kUnmapped), kEpcmRead));
}

TEST_F(Emodpe, WriteWithoutReadOnUnreadablePageIsGp) {
  ASSERT_EQ(emodpr(kRw, kReg), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused_emodpe(0, kW, kRw), Result::gp());
}

TEST_F(Emodpe, ReadAndWriteOnUnreadablePageIsAllowed) {
  ASSERT_EQ(emodpr(kRw, kReg), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  expect_extended(kRw, kR | kW, true, true, false);
}

}  // namespace
}  // namespace sgxref::hw
