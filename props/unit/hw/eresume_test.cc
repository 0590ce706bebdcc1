// ERESUME: SDM vol. 3D "ERESUME—Re-Enters an Enclave". Each test first takes an AEX:
// a store to an enclave page the OS unmapped, as a fault handler would then see it.
#include <gtest/gtest.h>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "hw/ssa_gpr.h"
#include "testlib/enclave_fixture.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Eresume : public testlib::EnclaveFixture {
 protected:
  static constexpr uint64_t kFaultAt = TestEnclave::kData2 + 0x10;

  // Enters TCS #1 on `c`, sets registers the enclave computed, then faults. Leaves the
  // registers the enclave had in `inside`.
  void enter_and_fault(uint32_t c = 0) {
    ASSERT_EQ(eenter(c), Result::ok());
    inside_ = cpu(c).regs();
    inside_.rax = 0x1111;
    inside_.rdx = 0x2222;
    inside_.rsi = 0x3333;
    inside_.rdi = 0x4444;
    inside_.r8 = 0x8888;
    inside_.r15 = 0xF15;
    inside_.rsp = la(TestEnclave::kData) + 0x800;  // the enclave's own stack
    inside_.rbp = la(TestEnclave::kData) + 0x900;
    inside_.rflags = 0x2 | rflags::kCf | rflags::kZf;
    inside_.rip = la(TestEnclave::kCode) + 0x40;
    ASSERT_EQ(cpu(c).set_regs(inside_), Result::ok());
    pt().clear(la(kFaultAt));
    ASSERT_EQ(store64(c, la(kFaultAt), 7), Result::pf(la(kFaultAt), 0x6));
    ASSERT_FALSE(cpu(c).in_enclave_mode());
    ASSERT_EQ(tcs().ssa_index, 1u);
    // The fault handler maps the page back.
    pt().set(la(kFaultAt), Pte{.present = true,
                               .writable = true,
                               .nx = true,
                               .pa = m().epc_addr(slot(TestEnclave::kData2))});
  }

  Result refused(LAddr tcs_la, uint32_t c = 0) {
    const Snapshot before = Inspector(m()).snapshot();
    const Result r = cpu(c).eresume(tcs_la, kAep);
    EXPECT_EQ(Inspector(m()).snapshot(), before);
    EXPECT_FALSE(cpu(c).in_enclave_mode());
    return r;
  }

  // The SSA frame [0] of TCS #1, as physical addresses a debugger writes with EDBGWR.
  PAddr ssa0(size_t offset) const { return m_->epc_addr(slot(TestEnclave::kSsa1)) + offset; }
  PAddr gpr_field(size_t offset) const { return ssa0(kPageSize - sizeof(GprSgx) + offset); }

  Registers inside_;
};

TEST_F(Eresume, RestoresRegistersAndPopsSsaFrame) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_TRUE(cpu().in_enclave_mode());
  const Registers r = cpu().regs();
  EXPECT_EQ(r.rax, inside_.rax);
  EXPECT_EQ(r.rdx, inside_.rdx);
  EXPECT_EQ(r.rsi, inside_.rsi);
  EXPECT_EQ(r.rdi, inside_.rdi);
  EXPECT_EQ(r.r8, inside_.r8);
  EXPECT_EQ(r.r15, inside_.r15);
  EXPECT_EQ(r.rsp, inside_.rsp);
  EXPECT_EQ(r.rbp, inside_.rbp);
  EXPECT_EQ(r.rip, inside_.rip);
  EXPECT_EQ(r.rflags & (rflags::kCf | rflags::kZf), rflags::kCf | rflags::kZf);
  EXPECT_EQ(r.fs_base, inside_.fs_base);
  EXPECT_EQ(tcs().ssa_index, 0u);
  EXPECT_EQ(tcs().state, 1u);
  // The access that faulted now works.
  EXPECT_EQ(store64(0, la(kFaultAt), 7), Result::ok());
}

TEST_F(Eresume, AnotherCpuMayResumeTheThread) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault(0));
  ASSERT_EQ(eresume(1), Result::ok());
  EXPECT_EQ(cpu(1).regs().rip, inside_.rip);
  EXPECT_EQ(Inspector(m()).tracking(enclave().secs_slot()).cpus_inside, std::vector<uint32_t>{1});
}

TEST_F(Eresume, RecordsTheCurrentEpoch) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  ASSERT_EQ(cpu(2).etrack(enclave().secs_addr()), Result::ok());
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(Inspector(m()).cpu_view(0).entry_epoch, 1u);
}

TEST_F(Eresume, CssaZeroIsGp) { EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp()); }

TEST_F(Eresume, InEnclaveModeIsGpDeliveredByAex) {
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(eresume(0, TestEnclave::kTcs2), Result::gp());
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_EQ(tcs().ssa_index, 1u);
}

TEST_F(Eresume, MisalignedTcsIsGp) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1) + 0x100), Result::gp());
}

TEST_F(Eresume, UnmappedTcsIsPf) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  pt().clear(la(TestEnclave::kTcs1));
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kTcs1), 0x4));
}

TEST_F(Eresume, PageOtherThanTcsIsPf) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  EXPECT_EQ(refused(la(TestEnclave::kCode)), Result::pf(la(TestEnclave::kCode), 0x8005));
}

TEST_F(Eresume, BlockedTcsIsPf) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  ASSERT_EQ(cpu(1).eblock(m().epc_addr(slot(TestEnclave::kTcs1))), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kTcs1), 0x8005));
}

TEST_F(Eresume, ChecksTheFrameBelowCssa) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  pt().clear(la(TestEnclave::kSsa1));
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kSsa1), 0x6));
}

TEST_F(Eresume, BlockedSsaPageIsPf) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  ASSERT_EQ(cpu(1).eblock(m().epc_addr(slot(TestEnclave::kSsa1))), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kSsa1), 0x8007));
}

TEST_F(Eresume, NonCanonicalSavedRipIsGp) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  ASSERT_EQ(cpu(3).edbgwr(gpr_field(offsetof(GprSgx, rip)), 0x0000'8000'0000'0000ull),
            Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
}

TEST_F(Eresume, NonCanonicalSavedFsBaseIsGp) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  ASSERT_EQ(cpu(3).edbgwr(gpr_field(offsetof(GprSgx, fsbase)), 0x0000'8000'0000'0000ull),
            Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
}

TEST_F(Eresume, ActiveTcsIsGp) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault(0));
  // CPU 1 enters the handler frame (CSSA 1 < NSSA 2), so the TCS is active with CSSA 1.
  ASSERT_EQ(eenter(1), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
}

TEST_F(Eresume, XsaveComponentOutsideXfrmIsGp) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  // XSTATE_BV names AVX; the enclave's XFRM is x87|SSE.
  ASSERT_EQ(cpu(3).edbgwr(ssa0(512), 0x4), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
}

TEST_F(Eresume, NonzeroXcompBvIsGp) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  ASSERT_EQ(cpu(3).edbgwr(ssa0(520), 1ull << 63), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
}

TEST_F(Eresume, NonzeroXsaveHeaderReservedBytesAreGp) {
  ASSERT_NO_FATAL_FAILURE(enter_and_fault());
  ASSERT_EQ(cpu(3).edbgwr(ssa0(528), 1), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
}

}  // namespace
}  // namespace sgxref::hw
