// EACCEPT: SDM vol. 3D "EACCEPT—Accept Changes to an EPC Page". Enclave code runs on
// CPU 0 in testlib::TestEnclave and keeps its SECINFO at the start of its data page; the
// kernel side runs on CPU 3. Conflicts with other leaves are in sgx2_overlap_test.cc,
// whole flows in sgx2_flows_test.cc.
#include <gtest/gtest.h>

#include <functional>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "hw/registers.h"
#include "testlib/enclave_builder.h"
#include "testlib/sgx2_fixture.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/tcs.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Eaccept : public testlib::Sgx2Fixture {
 protected:
  static constexpr uint64_t kAugmented = kReg | kR | kW | kPending;
  static constexpr uint64_t kUnmapped = 0xB000;  // in ELRANGE, no PTE
  static constexpr uint64_t kTarget = TestEnclave::kData2;

  // The page at kAug, added by the kernel and mapped; CPU 0 inside the enclave.
  void augment_and_enter() {
    ASSERT_EQ(eaug(kAug), Result::ok());
    ASSERT_EQ(eenter(), Result::ok());
  }

  // An OS change to kTarget (EMODPR or EMODT on the kernel CPU), tracked by an ETRACK
  // while no CPU is inside, then CPU 0 enters.
  void change_track_enter(const std::function<Result()>& change) {
    ASSERT_EQ(change(), Result::ok());
    ASSERT_EQ(etrack(), Result::ok());
    ASSERT_EQ(eenter(), Result::ok());
  }

  // The status EACCEPT leaves in RAX and RFLAGS.
  void expect_status(SgxCode code) {
    const Registers r = cpu().regs();
    EXPECT_EQ(r.rax, uint64_t(code));
    EXPECT_EQ((r.rflags & rflags::kZf) != 0, code != SgxCode::kSuccess);
    EXPECT_EQ(r.rflags & (rflags::kCf | rflags::kPf | rflags::kAf | rflags::kOf | rflags::kSf),
              0u);
  }

  // A fault from inside the enclave: delivered by AEX, so the CPU has left.
  void expect_fault_delivered(const Result& r, const Result& want) {
    EXPECT_EQ(r, want);
    EXPECT_FALSE(cpu().in_enclave_mode());
  }

  // Enclave code writes byte `value` at `offset` of the SECINFO's reserved bytes.
  Result put_reserved_byte(size_t offset, uint8_t value) {
    const uint64_t v = uint64_t(value) << (8 * (offset % 8));
    return store64(0, la(kSecinfo) + 8 + offset - offset % 8, v);
  }
};

// ---- success

TEST_F(Eaccept, AcceptsAugmentedPage) {
  augment_and_enter();
  const Snapshot before = Inspector(m()).snapshot();
  ASSERT_EQ(eaccept(0, kAugmented, kAug), Result::ok());
  EXPECT_FALSE(Inspector(m()).epcm(slot(kAug)).pending);
  expect_status(SgxCode::kSuccess);
  Snapshot after = Inspector(m()).snapshot();
  EpcmEntry want = before.epcm[slot(kAug)];
  want.pending = false;
  EXPECT_EQ(after.epcm[slot(kAug)], want);
  // The page is now usable, and zero.
  EXPECT_EQ(load64(0, la(kAug)), 0u);
  EXPECT_EQ(store64(0, la(kAug), 0x1234), Result::ok());
  EXPECT_EQ(load64(0, la(kAug)), 0x1234u);
}

TEST_F(Eaccept, AcceptsRestrictionOnceTracked) {
  change_track_enter([&] { return emodpr(kTarget, kReg | kR); });
  ASSERT_EQ(eaccept(0, kReg | kR | kPr, kTarget), Result::ok());
  const EpcmEntry e = Inspector(m()).epcm(slot(kTarget));
  EXPECT_FALSE(e.pr);
  EXPECT_TRUE(e.r);
  EXPECT_FALSE(e.w);
  expect_status(SgxCode::kSuccess);
}

TEST_F(Eaccept, AcceptsTrimOnceTracked) {
  change_track_enter([&] { return emodt(kTarget, kTrim); });
  ASSERT_EQ(eaccept(0, kTrim | kModified, kTarget), Result::ok());
  const EpcmEntry e = Inspector(m()).epcm(slot(kTarget));
  EXPECT_EQ(e.type, PageType::kTrim);
  EXPECT_FALSE(e.modified);
}

TEST_F(Eaccept, AcceptsNewTcsWhoseFieldsAreClean) {
  // Enclave code writes a clean TCS image (SSA frame, CSSA 0, NSSA 1) into a data
  // page, leaves, and the OS makes the page a TCS.
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(store64(0, la(kTarget) + offsetof(uapi::Tcs, ssa_offset), TestEnclave::kSsa2),
            Result::ok());
  ASSERT_EQ(store64(0, la(kTarget) + offsetof(uapi::Tcs, ssa_index), uint64_t(1) << 32),
            Result::ok());  // CSSA 0, NSSA 1
  ASSERT_EQ(cpu().eexit(kAep), Result::ok());
  change_track_enter([&] { return emodt(kTarget, kTcsType); });
  ASSERT_EQ(eaccept(0, kTcsType | kModified, kTarget), Result::ok());
  EXPECT_EQ(Inspector(m()).epcm(slot(kTarget)).type, PageType::kTcs);
  EXPECT_FALSE(Inspector(m()).epcm(slot(kTarget)).modified);
}

TEST_F(Eaccept, PrOfTheRequestIsNotCompared) {
  augment_and_enter();
  EXPECT_EQ(eaccept(0, kAugmented | kPr, kAug), Result::ok());
  EXPECT_FALSE(Inspector(m()).epcm(slot(kAug)).pending);
}

TEST_F(Eaccept, UnstampedPageNeedsNoTracking) {
  // EAUG stamps nothing: a CPU inside since before it accepts without any ETRACK.
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaug(kAug), Result::ok());
  EXPECT_EQ(eaccept(0, kAugmented, kAug), Result::ok());
}

// ---- refusals, in the SDM's order

TEST_F(Eaccept, OutsideEnclaveModeIsGp) {
  ASSERT_EQ(eaug(kAug), Result::ok());
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(cpu().eaccept(la(kSecinfo), la(kAug)), Result::gp());
  EXPECT_EQ(Inspector(m()).snapshot(), before);
}

TEST_F(Eaccept, MisalignedSecinfoIsGp) {
  augment_and_enter();
  ASSERT_EQ(put_secinfo(0, kAugmented), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().eaccept(la(kSecinfo) + 8, la(kAug)); }),
                         Result::gp());
}

TEST_F(Eaccept, SecinfoOutsideElrangeIsGp) {
  augment_and_enter();
  expect_fault_delivered(refused([&] { return cpu().eaccept(kUser, la(kAug)); }), Result::gp());
}

TEST_F(Eaccept, UnmappedSecinfoIsPf) {
  augment_and_enter();
  expect_fault_delivered(refused([&] { return cpu().eaccept(la(kUnmapped), la(kAug)); }),
                         Result::pf(la(kUnmapped), kNotPresentRead));
}

TEST_F(Eaccept, SecinfoMappedOutsideEpcIsPf) {
  augment_and_enter();
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true, .pa = user_});
  expect_fault_delivered(refused([&] { return cpu().eaccept(la(kUnmapped), la(kAug)); }),
                         Result::pf(la(kUnmapped), kEpcmRead));
}

TEST_F(Eaccept, SecinfoOnPendingPageIsPf) {
  augment_and_enter();
  expect_fault_delivered(refused([&] { return cpu().eaccept(la(kAug), la(kAug)); }),
                         Result::pf(la(kAug), kEpcmRead));
}

TEST_F(Eaccept, SecinfoOnTcsPageIsPf) {
  augment_and_enter();
  const LAddr tcs = la(TestEnclave::kTcs2);
  expect_fault_delivered(refused([&] { return cpu().eaccept(tcs, la(kAug)); }),
                         Result::pf(tcs, kEpcmRead));
}

TEST_F(Eaccept, SecinfoOnUnreadablePageIsPf) {
  ASSERT_EQ(eaug(kAug), Result::ok());
  change_track_enter([&] { return emodpr(kTarget, kReg); });
  expect_fault_delivered(refused([&] { return cpu().eaccept(la(kTarget), la(kAug)); }),
                         Result::pf(la(kTarget), kEpcmRead));
}

TEST_F(Eaccept, SecinfoOnBlockedPageIsPf) {
  augment_and_enter();
  ASSERT_EQ(cpu(kKernel).eblock(m().epc_addr(slot(TestEnclave::kData))), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().eaccept(la(kSecinfo), la(kAug)); }),
                         Result::pf(la(kSecinfo), kEpcmRead));
}

TEST_F(Eaccept, SecinfoAtAliasOfItsPageIsPf) {
  // The OS maps the data page's frame a second time; its EPCM address is the first.
  augment_and_enter();
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true,
                              .pa = m().epc_addr(slot(TestEnclave::kData))});
  expect_fault_delivered(refused([&] { return cpu().eaccept(la(kUnmapped), la(kAug)); }),
                         Result::pf(la(kUnmapped), kEpcmRead));
}

TEST_F(Eaccept, SecinfoReservedFlagIsGp) {
  augment_and_enter();
  expect_fault_delivered(refused_eaccept(0, kAugmented | (1ull << 6), kAug), Result::gp());
}

TEST_F(Eaccept, SecinfoReservedByteIsGp) {
  augment_and_enter();
  ASSERT_EQ(put_reserved_byte(55, 1), Result::ok());
  expect_fault_delivered(refused_eaccept(0, kAugmented, kAug), Result::gp());
}

TEST_F(Eaccept, MisalignedTargetIsGp) {
  augment_and_enter();
  ASSERT_EQ(put_secinfo(0, kAugmented), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().eaccept(la(kSecinfo), la(kAug) + 64); }),
                         Result::gp());
}

TEST_F(Eaccept, TargetOutsideElrangeIsGp) {
  augment_and_enter();
  ASSERT_EQ(put_secinfo(0, kAugmented), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().eaccept(la(kSecinfo), kUser); }),
                         Result::gp());
}

TEST_F(Eaccept, UnmappedTargetIsPf) {
  augment_and_enter();
  expect_fault_delivered(refused_eaccept(0, kAugmented, kUnmapped),
                         Result::pf(la(kUnmapped), kNotPresentRead));
}

TEST_F(Eaccept, TargetMappedOutsideEpcIsPf) {
  augment_and_enter();
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true, .pa = user_});
  expect_fault_delivered(refused_eaccept(0, kAugmented, kUnmapped),
                         Result::pf(la(kUnmapped), kEpcmRead));
}

// The legal requests: REG with PENDING or PR and not MODIFIED; TCS or TRIM with
// MODIFIED only. Anything else is #GP.
TEST_F(Eaccept, RegRequestNeitherPendingNorPrIsGp) {
  augment_and_enter();
  expect_fault_delivered(refused_eaccept(0, kReg | kR | kW, kAug), Result::gp());
}

TEST_F(Eaccept, RegRequestWithModifiedIsGp) {
  augment_and_enter();
  expect_fault_delivered(refused_eaccept(0, kAugmented | kModified, kAug), Result::gp());
}

TEST_F(Eaccept, TcsRequestWithoutModifiedIsGp) {
  augment_and_enter();
  expect_fault_delivered(refused_eaccept(0, kTcsType, kAug), Result::gp());
}

TEST_F(Eaccept, TcsRequestWithPendingIsGp) {
  augment_and_enter();
  expect_fault_delivered(refused_eaccept(0, kTcsType | kModified | kPending, kAug), Result::gp());
}

TEST_F(Eaccept, TrimRequestWithPrIsGp) {
  augment_and_enter();
  expect_fault_delivered(refused_eaccept(0, kTrim | kModified | kPr, kAug), Result::gp());
}

TEST_F(Eaccept, SecsRequestIsGp) {
  augment_and_enter();
  expect_fault_delivered(
      refused_eaccept(0, uapi::secinfo_flag::type(PageType::kSecs) | kPending, kAug), Result::gp());
}

TEST_F(Eaccept, VaRequestIsGp) {
  augment_and_enter();
  expect_fault_delivered(
      refused_eaccept(0, uapi::secinfo_flag::type(PageType::kVa) | kModified, kAug), Result::gp());
}

TEST_F(Eaccept, InvalidTargetIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  map(kAug, true, false);  // a PTE to a free EPC slot
  expect_fault_delivered(refused_eaccept(0, kAugmented, kAug), Result::pf(la(kAug), kEpcmRead));
}

TEST_F(Eaccept, BlockedTargetIsPf) {
  augment_and_enter();
  ASSERT_EQ(cpu(kKernel).eblock(m().epc_addr(slot(kAug))), Result::ok());
  expect_fault_delivered(refused_eaccept(0, kAugmented, kAug), Result::pf(la(kAug), kEpcmRead));
}

TEST_F(Eaccept, SecsTargetIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true,
                              .pa = enclave().secs_addr()});
  expect_fault_delivered(refused_eaccept(0, kAugmented, kUnmapped),
                         Result::pf(la(kUnmapped), kEpcmRead));
}

TEST_F(Eaccept, PageOfAnotherEnclaveIsPf) {
  ASSERT_NO_FATAL_FAILURE(map_page_of_another_enclave(kUnmapped));
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused_eaccept(0, kAugmented, kUnmapped),
                         Result::pf(la(kUnmapped), kEpcmRead));
}

TEST_F(Eaccept, WrongRightsAreAttributesMismatch) {
  augment_and_enter();
  EXPECT_EQ(refused_eaccept(0, kReg | kR | kPending, kAug),
            Result::error(SgxCode::kPageAttributesMismatch));
  EXPECT_TRUE(cpu().in_enclave_mode());
  expect_status(SgxCode::kPageAttributesMismatch);
}

TEST_F(Eaccept, WrongTypeIsAttributesMismatch) {
  augment_and_enter();
  EXPECT_EQ(refused_eaccept(0, kTrim | kModified, kAug),
            Result::error(SgxCode::kPageAttributesMismatch));
}

TEST_F(Eaccept, PendingPageAcceptedAsRestrictionIsAttributesMismatch) {
  augment_and_enter();
  EXPECT_EQ(refused_eaccept(0, kReg | kR | kW | kPr, kAug),
            Result::error(SgxCode::kPageAttributesMismatch));
}

TEST_F(Eaccept, TargetAtAliasOfItsPageIsAttributesMismatch) {
  augment_and_enter();
  pt().set(la(kUnmapped), Pte{.present = true, .writable = true, .nx = true,
                              .pa = m().epc_addr(slot(kAug))});
  EXPECT_EQ(refused_eaccept(0, kAugmented, kUnmapped),
            Result::error(SgxCode::kPageAttributesMismatch));
}

TEST_F(Eaccept, RestrictionRequestOnUnrestrictedPageSucceeds) {
  // PR is not compared, so a page with nothing to accept matches a PR request whose
  // other attributes are its own; EACCEPT then changes nothing.
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(put_secinfo(0, kReg | kR | kW | kPr), Result::ok());
  const EpcState before = epc_state();
  EXPECT_EQ(cpu().eaccept(la(kSecinfo), la(kTarget)), Result::ok());
  EXPECT_EQ(epc_state(), before);
}

TEST_F(Eaccept, RestrictionWithoutEtrackIsNotTracked) {
  ASSERT_EQ(emodpr(kTarget, kReg | kR), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(refused_eaccept(0, kReg | kR | kPr, kTarget), Result::error(SgxCode::kNotTracked));
  EXPECT_TRUE(cpu().in_enclave_mode());
  expect_status(SgxCode::kNotTracked);
}

TEST_F(Eaccept, CpuInsideSinceBeforeTheChangeIsNotTracked) {
  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  ASSERT_EQ(emodt(kTarget, kTrim), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(refused_eaccept(0, kTrim | kModified, kTarget), Result::error(SgxCode::kNotTracked));
  // Once CPU 1 has left, the change is tracked.
  ASSERT_EQ(cpu(1).eexit(kAep), Result::ok());
  EXPECT_EQ(eaccept(0, kTrim | kModified, kTarget), Result::ok());
}

TEST_F(Eaccept, AttributesMismatchComesBeforeNotTracked) {
  ASSERT_EQ(emodpr(kTarget, kReg | kR), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(refused_eaccept(0, kReg | kR | kW | kPr, kTarget),
            Result::error(SgxCode::kPageAttributesMismatch));
}

// A REG page holding a TCS image with `edit` applied becomes a TCS, tracked; EACCEPT of
// it from CPU 0 is refused with #GP and the page stays a MODIFIED TCS.
class EacceptTcs : public Eaccept {
 protected:
  void expect_tcs_refused(const std::function<void(uapi::Tcs&)>& edit) {
    uapi::Tcs t = testlib::make_tcs(TestEnclave::kSsa2, TestEnclave::kCode);
    edit(t);
    // Written before the change, as enclave code would; a test shortcut for 512 stores.
    std::memcpy(Internals::of(m()).page(slot(kTarget)), &t, sizeof t);
    change_track_enter([&] { return emodt(kTarget, kTcsType); });
    expect_fault_delivered(refused_eaccept(0, kTcsType | kModified, kTarget), Result::gp());
    EXPECT_TRUE(Inspector(m()).epcm(slot(kTarget)).modified);
  }
};

TEST_F(EacceptTcs, ReservedTcsBytesAreGp) {
  expect_tcs_refused([](uapi::Tcs& t) { t.reserved[100] = 1; });
}

TEST_F(EacceptTcs, DbgOptInIsGp) {
  expect_tcs_refused([](uapi::Tcs& t) { t.flags = uapi::kTcsFlagDbgOptIn; });
}

TEST_F(EacceptTcs, CssaNotBelowNssaIsGp) {
  expect_tcs_refused([](uapi::Tcs& t) { t.ssa_index = t.nr_ssa_frames; });
}

TEST_F(EacceptTcs, AepIsGp) {
  expect_tcs_refused([](uapi::Tcs& t) { t.exit_addr = 0x1000; });
}

TEST_F(EacceptTcs, ActiveStateIsGp) {
  expect_tcs_refused([](uapi::Tcs& t) { t.state = 1; });
}

TEST_F(EacceptTcs, FieldsAreCheckedOnlyOnceTracked) {
  uapi::Tcs t = testlib::make_tcs(TestEnclave::kSsa2, TestEnclave::kCode);
  t.state = 1;
  std::memcpy(Internals::of(m()).page(slot(kTarget)), &t, sizeof t);
  ASSERT_EQ(emodt(kTarget, kTcsType), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(refused_eaccept(0, kTcsType | kModified, kTarget),
            Result::error(SgxCode::kNotTracked));
}

}  // namespace
}  // namespace sgxref::hw
