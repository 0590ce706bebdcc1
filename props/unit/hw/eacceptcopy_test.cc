// EACCEPTCOPY: SDM vol. 3D "EACCEPTCOPY—Initialize a Pending Page". Enclave code runs
// on CPU 0 in testlib::TestEnclave with its SECINFO at the start of its data page; the
// kernel side runs on CPU 3. Conflicts with other leaves are in sgx2_overlap_test.cc.
#include <gtest/gtest.h>

#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "hw/registers.h"
#include "testlib/sgx2_fixture.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Eacceptcopy : public testlib::Sgx2Fixture {
 protected:
  static constexpr uint64_t kSource = TestEnclave::kData2;
  static constexpr uint64_t kUnmapped = 0xB000;  // in ELRANGE, no PTE
  static constexpr uint64_t kRx = kReg | kR | kX;

  // A pattern in the source page (the enclave's own data, written before it runs), the
  // kernel's EAUG of kAug, and CPU 0 inside.
  void SetUp() override {
    Sgx2Fixture::SetUp();
    uint8_t* source = Internals::of(m()).page(slot(kSource));
    for (size_t i = 0; i < kPageSize; ++i) source[i] = uint8_t(i * 13 + 5);
    ASSERT_EQ(eaug(kAug), Result::ok());
    ASSERT_EQ(eenter(), Result::ok());
  }

  void expect_fault_delivered(const Result& r, const Result& want) {
    EXPECT_EQ(r, want);
    EXPECT_FALSE(cpu().in_enclave_mode());
  }
  void expect_mismatch(const Result& r) {
    EXPECT_EQ(r, Result::error(SgxCode::kPageAttributesMismatch));
    EXPECT_TRUE(cpu().in_enclave_mode());
    EXPECT_EQ(cpu().regs().rax, uint64_t(SgxCode::kPageAttributesMismatch));
    EXPECT_NE(cpu().regs().rflags & rflags::kZf, 0u);
  }
  Result copy_at(LAddr secinfo, LAddr dest, LAddr src) {
    return refused([&] { return cpu().eacceptcopy(secinfo, dest, src); });
  }
};

TEST_F(Eacceptcopy, CopiesSourceAndGivesItsRights) {
  const EpcmEntry before = Inspector(m()).epcm(slot(kAug));
  ASSERT_EQ(eacceptcopy(0, kRx, kAug, kSource), Result::ok());
  EXPECT_EQ(
      std::memcmp(Inspector(m()).page(slot(kAug)), Inspector(m()).page(slot(kSource)), kPageSize),
      0);
  EpcmEntry want = before;
  want.pending = false;
  want.w = false;
  want.x = true;
  EXPECT_EQ(Inspector(m()).epcm(slot(kAug)), want) << "unstamped: nothing to track";
  EXPECT_EQ(cpu().regs().rax, 0u);
  EXPECT_EQ(cpu().regs().rflags & rflags::kZf, 0u);
}

TEST_F(Eacceptcopy, CopyIsReadableThroughItsMapping) {
  ASSERT_EQ(eacceptcopy(0, kReg | kR | kW, kAug, kSource), Result::ok());
  uint64_t want;
  std::memcpy(&want, Inspector(m()).page(slot(kSource)) + 64, 8);
  EXPECT_EQ(load64(0, la(kAug) + 64), want);
  EXPECT_EQ(store64(0, la(kAug), 7), Result::ok());
}

TEST_F(Eacceptcopy, NoRightsAtAllIsAllowed) {
  ASSERT_EQ(eacceptcopy(0, kReg, kAug, kSource), Result::ok());
  const EpcmEntry e = Inspector(m()).epcm(slot(kAug));
  EXPECT_FALSE(e.r || e.w || e.x || e.pending);
}

TEST_F(Eacceptcopy, OutsideEnclaveModeIsGp) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  ASSERT_EQ(cpu().eexit(kAep), Result::ok());
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(cpu().eacceptcopy(la(kSecinfo), la(kAug), la(kSource)), Result::gp());
  EXPECT_EQ(Inspector(m()).snapshot(), before);
}

TEST_F(Eacceptcopy, MisalignedSecinfoIsGp) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  expect_fault_delivered(copy_at(la(kSecinfo) + 16, la(kAug), la(kSource)), Result::gp());
}

TEST_F(Eacceptcopy, MisalignedDestinationIsGp) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  expect_fault_delivered(copy_at(la(kSecinfo), la(kAug) + 8, la(kSource)), Result::gp());
}

TEST_F(Eacceptcopy, MisalignedSourceIsGp) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  expect_fault_delivered(copy_at(la(kSecinfo), la(kAug), la(kSource) + 8), Result::gp());
}

TEST_F(Eacceptcopy, SecinfoOutsideElrangeIsGp) {
  expect_fault_delivered(copy_at(kUser, la(kAug), la(kSource)), Result::gp());
}

TEST_F(Eacceptcopy, DestinationOutsideElrangeIsGp) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  expect_fault_delivered(copy_at(la(kSecinfo), kUser, la(kSource)), Result::gp());
}

TEST_F(Eacceptcopy, SourceOutsideElrangeIsGp) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  expect_fault_delivered(copy_at(la(kSecinfo), la(kAug), kUser), Result::gp());
}

TEST_F(Eacceptcopy, UnmappedSecinfoIsPf) {
  expect_fault_delivered(copy_at(la(kUnmapped), la(kAug), la(kSource)),
                         Result::pf(la(kUnmapped), kNotPresentRead));
}

TEST_F(Eacceptcopy, UnmappedDestinationIsPfOnWrite) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  expect_fault_delivered(copy_at(la(kSecinfo), la(kUnmapped), la(kSource)),
                         Result::pf(la(kUnmapped), 0x6));  // U|W
}

TEST_F(Eacceptcopy, ReadOnlyMappedDestinationIsPf) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  map(kAug, /*writable=*/false, false);
  expect_fault_delivered(copy_at(la(kSecinfo), la(kAug), la(kSource)),
                         Result::pf(la(kAug), 0x7));  // P|W|U
}

TEST_F(Eacceptcopy, UnmappedSourceIsPf) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  expect_fault_delivered(copy_at(la(kSecinfo), la(kAug), la(kUnmapped)),
                         Result::pf(la(kUnmapped), kNotPresentRead));
}

TEST_F(Eacceptcopy, SourceMappedOutsideEpcIsPf) {
  ASSERT_EQ(put_secinfo(0, kRx), Result::ok());
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true, .pa = user_});
  expect_fault_delivered(copy_at(la(kSecinfo), la(kAug), la(kUnmapped)),
                         Result::pf(la(kUnmapped), kEpcmRead));
}

TEST_F(Eacceptcopy, SecinfoOnPendingPageIsPf) {
  expect_fault_delivered(copy_at(la(kAug), la(kAug), la(kSource)), Result::pf(la(kAug), kEpcmRead));
}

TEST_F(Eacceptcopy, SecinfoReservedFlagIsGp) {
  expect_fault_delivered(refused_eacceptcopy(0, kRx | (1ull << 7), kAug, kSource), Result::gp());
}

TEST_F(Eacceptcopy, SecinfoReservedByteIsGp) {
  ASSERT_EQ(store64(0, la(kSecinfo) + 32, 1), Result::ok());
  expect_fault_delivered(refused_eacceptcopy(0, kRx, kAug, kSource), Result::gp());
}

TEST_F(Eacceptcopy, WriteWithoutReadIsGp) {
  expect_fault_delivered(refused_eacceptcopy(0, kReg | kW, kAug, kSource), Result::gp());
}

TEST_F(Eacceptcopy, TypeOtherThanRegIsGp) {
  expect_fault_delivered(refused_eacceptcopy(0, kTcsType | kR | kW, kAug, kSource), Result::gp());
}

TEST_F(Eacceptcopy, PendingSourceIsPf) {
  ASSERT_EQ(eaug(kAug2), Result::ok());
  expect_fault_delivered(refused_eacceptcopy(0, kRx, kAug, kAug2),
                         Result::pf(la(kAug2), kEpcmRead));
}

TEST_F(Eacceptcopy, TcsSourceIsPf) {
  expect_fault_delivered(refused_eacceptcopy(0, kRx, kAug, TestEnclave::kTcs2),
                         Result::pf(la(TestEnclave::kTcs2), kEpcmRead));
}

TEST_F(Eacceptcopy, BlockedSourceIsPf) {
  ASSERT_EQ(cpu(kKernel).eblock(m().epc_addr(slot(kSource))), Result::ok());
  expect_fault_delivered(refused_eacceptcopy(0, kRx, kAug, kSource),
                         Result::pf(la(kSource), kEpcmRead));
}

TEST_F(Eacceptcopy, UnreadableSourceIsPf) {
  ASSERT_EQ(emodpr(kSource, kReg), Result::ok());
  expect_fault_delivered(refused_eacceptcopy(0, kRx, kAug, kSource),
                         Result::pf(la(kSource), kEpcmRead));
}

TEST_F(Eacceptcopy, SourceAtAliasOfItsPageIsPf) {
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true,
                              .pa = m().epc_addr(slot(kSource))});
  expect_fault_delivered(refused_eacceptcopy(0, kRx, kAug, kUnmapped),
                         Result::pf(la(kUnmapped), kEpcmRead));
}

TEST_F(Eacceptcopy, AcceptedDestinationIsAttributesMismatch) {
  ASSERT_EQ(eaccept(0, kReg | kR | kW | kPending, kAug), Result::ok());
  expect_mismatch(refused_eacceptcopy(0, kRx, kAug, kSource));
}

TEST_F(Eacceptcopy, InvalidDestinationIsAttributesMismatch) {
  map(kAug2, true, false);  // a PTE to a free EPC slot
  expect_mismatch(refused_eacceptcopy(0, kRx, kAug2, kSource));
}

TEST_F(Eacceptcopy, TrimmedDestinationIsAttributesMismatch) {
  ASSERT_EQ(emodt(kSource, kTrim), Result::ok());
  expect_mismatch(refused_eacceptcopy(0, kRx, kSource, TestEnclave::kCode));
}

TEST_F(Eacceptcopy, BlockedDestinationIsAttributesMismatch) {
  ASSERT_EQ(cpu(kKernel).eblock(m().epc_addr(slot(kAug))), Result::ok());
  expect_mismatch(refused_eacceptcopy(0, kRx, kAug, kSource));
}

TEST_F(Eacceptcopy, DestinationOfAnotherEnclaveIsAttributesMismatch) {
  ASSERT_NO_FATAL_FAILURE(map_page_of_another_enclave(kUnmapped));
  expect_mismatch(refused_eacceptcopy(0, kRx, kUnmapped, kSource));
}

TEST_F(Eacceptcopy, DestinationAtAliasOfItsPageIsAttributesMismatch) {
  // Found only by the check after the lock, which compares ENCLAVEADDRESS.
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true,
                              .pa = m().epc_addr(slot(kAug))});
  expect_mismatch(refused_eacceptcopy(0, kRx, kUnmapped, kSource));
}

}  // namespace
}  // namespace sgxref::hw
