// AEX: SDM vol. 3D 40.3-40.4 "Asynchronous Enclave Exit", as a fault inside the enclave
// delivers it: the state saved in SSA frame [CSSA], EXITINFO and EXINFO, the synthetic
// state the AEP code sees, and the TCS and tracking changes.
#include <gtest/gtest.h>

#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "hw/ssa_gpr.h"
#include "testlib/enclave_fixture.h"
#include "uapi/secs.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;
using testlib::TestEnclaveOptions;

class Aex : public testlib::EnclaveFixture {
 protected:
  static constexpr uint64_t kFaultAt = TestEnclave::kData2 + 0x18;

  // Enters TCS #1, sets the enclave's registers, stores to an unmapped enclave page.
  Result fault() {
    EXPECT_EQ(eenter(), Result::ok());
    inside_ = cpu().regs();
    inside_.rax = 0xAAAA;
    inside_.rbx = 0xBBBB;
    inside_.rdx = 0xDDDD;
    inside_.rsi = 0x5151;
    inside_.rdi = 0xD1D1;
    inside_.r9 = 0x99;
    inside_.r14 = 0x1414;
    inside_.rsp = la(TestEnclave::kData) + 0x800;
    inside_.rbp = la(TestEnclave::kData) + 0x880;
    inside_.rflags = 0x2 | rflags::kCf | rflags::kZf | rflags::kOf | rflags::kDf;
    inside_.rip = la(TestEnclave::kCode) + 0x24;
    EXPECT_EQ(cpu().set_regs(inside_), Result::ok());
    pt().clear(la(kFaultAt));
    return store64(0, la(kFaultAt), 1);
  }

  Registers inside_;
};

TEST_F(Aex, FaultIsReportedAndCpuLeavesEnclave) {
  EXPECT_EQ(fault(), Result::pf(la(kFaultAt), 0x6));
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_EQ(Inspector(m()).counters().aex, 1u);
  EXPECT_EQ(Inspector(m()).counters().interrupts, 0u);
}

TEST_F(Aex, SavesRegistersInSsaFrameCssa) {
  ASSERT_EQ(fault().fault.vector, Vector::kPF);
  const GprSgx g = gpr(TestEnclave::kSsa1);
  EXPECT_EQ(g.rax, inside_.rax);
  EXPECT_EQ(g.rbx, inside_.rbx);
  EXPECT_EQ(g.rdx, inside_.rdx);
  EXPECT_EQ(g.rsi, inside_.rsi);
  EXPECT_EQ(g.rdi, inside_.rdi);
  EXPECT_EQ(g.r9, inside_.r9);
  EXPECT_EQ(g.r14, inside_.r14);
  EXPECT_EQ(g.rsp, inside_.rsp);
  EXPECT_EQ(g.rbp, inside_.rbp);
  EXPECT_EQ(g.rflags, inside_.rflags);
  EXPECT_EQ(g.rip, inside_.rip);  // the faulting instruction, to be restarted
  EXPECT_EQ(g.fsbase, la(0));
  EXPECT_EQ(g.ursp, kOutsideRsp);
  EXPECT_EQ(g.urbp, kOutsideRbp);
}

TEST_F(Aex, LoadsSyntheticStateForTheAep) {
  ASSERT_EQ(fault().fault.vector, Vector::kPF);
  const Registers r = cpu().regs();
  EXPECT_EQ(r.rax, 3u);  // ENCLU[ERESUME]
  EXPECT_EQ(r.rbx, la(TestEnclave::kTcs1));
  EXPECT_EQ(r.rcx, kAep);
  EXPECT_EQ(r.rip, kAep);
  EXPECT_EQ(r.rsp, kOutsideRsp);
  EXPECT_EQ(r.rbp, kOutsideRbp);
  EXPECT_EQ(r.rdx | r.rsi | r.rdi | r.r8 | r.r9 | r.r10 | r.r11 | r.r12 | r.r13 | r.r14 | r.r15,
            0u);
  // CF, PF, AF, ZF, SF, OF and RF cleared; DF kept.
  EXPECT_EQ(r.rflags, 0x2 | rflags::kDf);
  EXPECT_EQ(r.fs_base, outside_regs().fs_base);
  EXPECT_EQ(r.gs_base, outside_regs().gs_base);
}

TEST_F(Aex, PushesSsaFrameAndDeactivatesTcs) {
  ASSERT_EQ(fault().fault.vector, Vector::kPF);
  EXPECT_EQ(tcs().ssa_index, 1u);
  EXPECT_EQ(tcs().state, 0u);
  const CpuView v = Inspector(m()).cpu_view(0);
  EXPECT_FALSE(v.enclave_mode);
  EXPECT_TRUE(v.tlb.empty());
  EXPECT_TRUE(Inspector(m()).tracking(enclave().secs_slot()).cpus_inside.empty());
}

TEST_F(Aex, FlushesTheTlb) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(store64(0, la(TestEnclave::kData), 1), Result::ok());
  ASSERT_EQ(Inspector(m()).cpu_view(0).tlb.size(), 1u);
  pt().clear(la(TestEnclave::kData2));
  ASSERT_EQ(store64(0, la(TestEnclave::kData2), 1).fault.vector, Vector::kPF);
  EXPECT_TRUE(Inspector(m()).cpu_view(0).tlb.empty());
}

TEST_F(Aex, NoExitInfoForPageFaultWithoutExinfo) {
  ASSERT_EQ(fault().fault.vector, Vector::kPF);
  EXPECT_EQ(gpr(TestEnclave::kSsa1).exitinfo, 0u);
  EXPECT_EQ(exinfo(TestEnclave::kSsa1).maddr, 0u);
}

TEST_F(Aex, EmptiesTheXsaveHeader) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(store64(0, la(TestEnclave::kSsa1) + 512, 0x3), Result::ok());
  pt().clear(la(kFaultAt));
  ASSERT_EQ(store64(0, la(kFaultAt), 1).fault.vector, Vector::kPF);
  uint64_t header[8];
  std::memcpy(header, Inspector(m()).page(slot(TestEnclave::kSsa1)) + 512, sizeof header);
  for (uint64_t q : header) EXPECT_EQ(q, 0u);
}

TEST_F(Aex, UdIsReportedInExitInfo) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(cpu().etrack(enclave().secs_addr()), Result::ud());
  EXPECT_EQ(gpr(TestEnclave::kSsa1).exitinfo, 0x80000306u);
}

TEST_F(Aex, SecondFaultUsesTheNextFrame) {
  ASSERT_EQ(fault().fault.vector, Vector::kPF);
  ASSERT_EQ(cpu().set_regs(outside_regs()), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());  // the exception handler, on frame 1
  ASSERT_EQ(store64(0, la(kFaultAt), 1).fault.vector, Vector::kPF);
  EXPECT_EQ(tcs().ssa_index, 2u);
  EXPECT_EQ(gpr(TestEnclave::kSsa1 + 0x1000).rip, la(TestEnclave::kCode));
  EXPECT_EQ(gpr(TestEnclave::kSsa1).rip, inside_.rip);  // frame 0 untouched
}

class AexWithExinfo : public Aex {
 protected:
  void SetUp() override {
    TestEnclaveOptions o;
    o.miscselect = uapi::miscselect::kExInfo;
    ASSERT_NO_FATAL_FAILURE(build(o));
  }
};

TEST_F(AexWithExinfo, PageFaultIsReportedInExitInfoAndExinfo) {
  ASSERT_EQ(fault(), Result::pf(la(kFaultAt), 0x6));
  EXPECT_EQ(gpr(TestEnclave::kSsa1).exitinfo, 0x8000030Eu);  // valid, hardware, #PF
  const ExInfo x = exinfo(TestEnclave::kSsa1);
  EXPECT_EQ(x.maddr, la(kFaultAt));
  EXPECT_EQ(x.errcd, 0x6u);
}

TEST_F(AexWithExinfo, EpcmFaultCarriesTheSgxBit) {
  ASSERT_EQ(eenter(), Result::ok());
  // The code page is R-X in the EPCM; the OS maps it writable.
  pt().set(la(TestEnclave::kCode), Pte{.present = true,
                                       .writable = true,
                                       .nx = false,
                                       .pa = m().epc_addr(slot(TestEnclave::kCode))});
  ASSERT_EQ(store64(0, la(TestEnclave::kCode), 1), Result::pf(la(TestEnclave::kCode), 0x8007));
  EXPECT_EQ(exinfo(TestEnclave::kSsa1).errcd, 0x8007u);
}

TEST_F(AexWithExinfo, GeneralProtectionIsReportedWithZeroAddress) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(cpu().eexit(0x0000'8000'0000'0000ull), Result::gp());
  EXPECT_EQ(gpr(TestEnclave::kSsa1).exitinfo, 0x8000030Du);  // valid, hardware, #GP
  EXPECT_EQ(exinfo(TestEnclave::kSsa1).maddr, 0u);
  EXPECT_EQ(exinfo(TestEnclave::kSsa1).errcd, 0u);
}

}  // namespace
}  // namespace sgxref::hw
