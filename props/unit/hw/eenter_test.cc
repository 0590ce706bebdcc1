// EENTER: SDM vol. 3D "EENTER—Enters an Enclave". The enclave is testlib::TestEnclave,
// mapped in a page table every CPU walks; RBX is a linear address in it.
#include <gtest/gtest.h>

#include <thread>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "sched/scheduler.h"
#include "testlib/enclave_fixture.h"
#include "testlib/kernel_memory.h"
#include "testlib/pause_at.h"
#include "testlib/sgx2_ops.h"
#include "uapi/secinfo.h"
#include "uapi/secs.h"
#include "uapi/tcs.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;
using testlib::TestEnclaveOptions;

class Eenter : public testlib::EnclaveFixture {
 protected:
  // EENTER on CPU 0 expected to be refused: returns its result after checking that the
  // refusal changed nothing.
  Result refused(LAddr tcs, LAddr aep = kAep) {
    const Snapshot before = Inspector(m()).snapshot();
    const Result r = cpu().eenter(tcs, aep);
    EXPECT_EQ(Inspector(m()).snapshot(), before);
    EXPECT_FALSE(cpu().in_enclave_mode());
    return r;
  }
  Result refused_tcs2() { return refused(la(TestEnclave::kTcs2)); }

  // Rebuilds with TCS #2 edited by `edit`.
  void build_with_tcs2(std::function<void(uapi::Tcs&)> edit) {
    TestEnclaveOptions o;
    o.edit_tcs2 = std::move(edit);
    build(o);
  }

  Result edbgwr(PAddr pa, uint64_t v) { return cpu(3).edbgwr(pa, v); }
};

constexpr uint32_t kEpcmRead = 0x8005;   // P|U|SGX
constexpr uint32_t kEpcmWrite = 0x8007;  // P|W|U|SGX

TEST_F(Eenter, EntersAtOentryWithCssaInRax) {
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_TRUE(cpu().in_enclave_mode());
  const Registers r = cpu().regs();
  EXPECT_EQ(r.rip, la(TestEnclave::kCode));
  EXPECT_EQ(r.rax, 0u);
  EXPECT_EQ(r.rcx, kCallSite);
  EXPECT_EQ(r.rsp, kOutsideRsp);  // EENTER keeps the stack; the enclave switches it
  // OFSBASE = OGSBASE = 0: FS and GS point at the enclave base.
  EXPECT_EQ(r.fs_base, la(0));
  EXPECT_EQ(r.gs_base, la(0));
}

TEST_F(Eenter, MarksTcsActiveAndSavesOutsideStackInSsa) {
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(tcs().state, 1u);
  EXPECT_EQ(tcs().ssa_index, 0u);
  EXPECT_EQ(gpr(TestEnclave::kSsa1).ursp, kOutsideRsp);
  EXPECT_EQ(gpr(TestEnclave::kSsa1).urbp, kOutsideRbp);
}

TEST_F(Eenter, RecordsEnclaveAndEntryEpoch) {
  ASSERT_EQ(cpu(1).etrack(enclave().secs_addr()), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  const CpuView v = Inspector(m()).cpu_view(0);
  EXPECT_TRUE(v.enclave_mode);
  EXPECT_EQ(v.secs, enclave().secs_slot());
  EXPECT_EQ(v.tcs, la(TestEnclave::kTcs1));
  EXPECT_EQ(v.entry_epoch, 1u);
  EXPECT_TRUE(v.tlb.empty());
  EXPECT_EQ(Inspector(m()).tracking(enclave().secs_slot()).cpus_inside, std::vector<uint32_t>{0});
}

TEST_F(Eenter, TwoCpusRunOnTwoTcss) {
  ASSERT_EQ(eenter(0, TestEnclave::kTcs1), Result::ok());
  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  EXPECT_EQ(Inspector(m()).tracking(enclave().secs_slot()).cpus_inside,
            (std::vector<uint32_t>{0, 1}));
}

TEST_F(Eenter, RaxIsCssaAfterAnAex) {
  ASSERT_EQ(eenter(), Result::ok());
  // A store to an unmapped page of the enclave: #PF, AEX, CSSA 1.
  pt().clear(la(TestEnclave::kData));
  ASSERT_EQ(store64(0, la(TestEnclave::kData), 1).fault.vector, Vector::kPF);
  ASSERT_EQ(cpu().set_regs(outside_regs()), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());  // TCS #1 has two SSA frames: the handler's entry
  EXPECT_EQ(cpu().regs().rax, 1u);
  EXPECT_EQ(gpr(TestEnclave::kSsa1 + 0x1000).ursp, kOutsideRsp);
}

TEST_F(Eenter, InEnclaveModeIsGpDeliveredByAex) {
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(eenter(0, TestEnclave::kTcs2), Result::gp());
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_EQ(tcs(TestEnclave::kTcs1).ssa_index, 1u);
  EXPECT_EQ(tcs(TestEnclave::kTcs2).state, 0u);
}

TEST_F(Eenter, EnclsInEnclaveModeIsUdDeliveredByAex) {
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(cpu().epa(uint64_t(PageType::kVa), m().epc_addr(31)), Result::ud());
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_EQ(gpr(TestEnclave::kSsa1).exitinfo, 0x80000306u);  // valid, hardware, #UD
  EXPECT_FALSE(Inspector(m()).epcm(31).valid);
}

TEST_F(Eenter, MisalignedTcsIsGp) { EXPECT_EQ(refused(la(TestEnclave::kTcs1) + 8), Result::gp()); }

TEST_F(Eenter, UnmappedTcsIsPf) {
  pt().clear(la(TestEnclave::kTcs1));
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kTcs1), 0x4));
}

TEST_F(Eenter, TcsMappedOutsideEpcIsPf) { EXPECT_EQ(refused(kUser), Result::pf(kUser, kEpcmRead)); }

TEST_F(Eenter, NonCanonicalTcsAddressIsGp) {
  EXPECT_EQ(refused(0x0000'8000'0000'0000ull), Result::gp());
}

TEST_F(Eenter, NonCanonicalAepIsGp) {
  EXPECT_EQ(refused(la(TestEnclave::kTcs1), 0x0000'8000'0000'0000ull), Result::gp());
}

TEST_F(Eenter, TcsHeldByAnotherLeafIsGp) {
  const Result removed = testlib::overlap(
      "eremove.locked", [&] { return cpu(1).eremove(m().epc_addr(slot(TestEnclave::kTcs1))); },
      [&] {
        EXPECT_EQ(eenter(), Result::gp());
        EXPECT_FALSE(cpu().in_enclave_mode());
      });
  EXPECT_EQ(removed, Result::ok());
}

TEST_F(Eenter, InvalidTcsIsPf) {
  ASSERT_EQ(cpu(1).eremove(m().epc_addr(slot(TestEnclave::kTcs1))), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kTcs1), kEpcmRead));
}

TEST_F(Eenter, BlockedTcsIsPf) {
  ASSERT_EQ(cpu(1).eblock(m().epc_addr(slot(TestEnclave::kTcs1))), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kTcs1), kEpcmRead));
}

TEST_F(Eenter, TcsAtAnotherLinearAddressIsPf) {
  // An alias: the OS maps TCS #1's frame at a second address inside ELRANGE.
  const LAddr alias = la(0xF000);
  pt().set(alias, Pte{.present = true,
                      .writable = true,
                      .nx = true,
                      .pa = m().epc_addr(slot(TestEnclave::kTcs1))});
  EXPECT_EQ(refused(alias), Result::pf(alias, kEpcmRead));
}

TEST_F(Eenter, PageOtherThanTcsIsPf) {
  EXPECT_EQ(refused(la(TestEnclave::kData)), Result::pf(la(TestEnclave::kData), kEpcmRead));
}

TEST_F(Eenter, ModifiedTcsIsPf) {
  // EMODT turns a REG page into a TCS that is MODIFIED until the enclave accepts it.
  testlib::KernelMemory mem(m());
  uapi::SecInfo si{};
  si.flags = uapi::secinfo_flag::type(PageType::kTcs);
  const PAddr secinfo = mem.put(si);
  ASSERT_EQ(cpu(1).emodt(secinfo, m().epc_addr(slot(TestEnclave::kData))), Result::ok());
  ASSERT_TRUE(Inspector(m()).epcm(slot(TestEnclave::kData)).modified);
  EXPECT_EQ(refused(la(TestEnclave::kData)), Result::pf(la(TestEnclave::kData), kEpcmRead));
}

TEST_F(Eenter, MisalignedOssaIsGp) {
  ASSERT_NO_FATAL_FAILURE(build_with_tcs2([](uapi::Tcs& t) { t.ssa_offset += 8; }));
  EXPECT_EQ(refused_tcs2(), Result::gp());
}

TEST_F(Eenter, MisalignedFsBaseIsGp) {
  ASSERT_NO_FATAL_FAILURE(build_with_tcs2([](uapi::Tcs& t) { t.fs_offset = 0x10; }));
  EXPECT_EQ(refused_tcs2(), Result::gp());
}

TEST_F(Eenter, MisalignedGsBaseIsGp) {
  ASSERT_NO_FATAL_FAILURE(build_with_tcs2([](uapi::Tcs& t) { t.gs_offset = 0x10; }));
  EXPECT_EQ(refused_tcs2(), Result::gp());
}

TEST_F(Eenter, ReservedTcsFlagIsGp) {
  // A debugger may write TCS.FLAGS of a debug enclave; bit 1 (AEXNOTIFY) is reserved here.
  ASSERT_EQ(edbgwr(m().epc_addr(slot(TestEnclave::kTcs2)) + 8, 0x2), Result::ok());
  EXPECT_EQ(refused_tcs2(), Result::gp());
}

TEST_F(Eenter, UninitializedEnclaveIsGp) {
  TestEnclaveOptions o;
  o.init = false;
  ASSERT_NO_FATAL_FAILURE(build(o));
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
}

TEST_F(Eenter, ThirtyTwoBitEnclaveIsGp) {
  TestEnclaveOptions o;
  o.cleared_attributes = uapi::attr::kMode64Bit;
  ASSERT_NO_FATAL_FAILURE(build(o));
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
}

TEST_F(Eenter, AexNotifyEnclaveWithoutDebugOptInIsGp) {
  TestEnclaveOptions o;
  o.extra_attributes = uapi::attr::kAexNotify;
  ASSERT_NO_FATAL_FAILURE(build(o));
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
  // An opted-in debug thread may enter it.
  ASSERT_EQ(edbgwr(m().epc_addr(slot(TestEnclave::kTcs1)) + 8, uapi::kTcsFlagDbgOptIn),
            Result::ok());
  EXPECT_EQ(eenter(), Result::ok());
}

TEST_F(Eenter, CssaAtNssaIsGp) {
  ASSERT_EQ(eenter(0, TestEnclave::kTcs2), Result::ok());
  pt().clear(la(TestEnclave::kData));
  ASSERT_EQ(store64(0, la(TestEnclave::kData), 1).fault.vector, Vector::kPF);
  ASSERT_EQ(tcs(TestEnclave::kTcs2).ssa_index, 1u);  // TCS #2 has NSSA = 1
  ASSERT_EQ(cpu().set_regs(outside_regs()), Result::ok());
  EXPECT_EQ(refused_tcs2(), Result::gp());
}

TEST_F(Eenter, UnmappedSsaPageIsPf) {
  pt().clear(la(TestEnclave::kSsa1));
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kSsa1), 0x6));
}

TEST_F(Eenter, ReadOnlySsaPteIsPf) {
  pt().set(la(TestEnclave::kSsa1), Pte{.present = true,
                                       .writable = false,
                                       .nx = true,
                                       .pa = m().epc_addr(slot(TestEnclave::kSsa1))});
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kSsa1), 0x7));
}

TEST_F(Eenter, SsaOnPageWithoutEpcmWriteIsPf) {
  ASSERT_NO_FATAL_FAILURE(build_with_tcs2([](uapi::Tcs& t) { t.ssa_offset = TestEnclave::kCode; }));
  // The OS maps the code page writable; the EPCM still says R-X.
  pt().set(la(TestEnclave::kCode), Pte{.present = true,
                                       .writable = true,
                                       .nx = false,
                                       .pa = m().epc_addr(slot(TestEnclave::kCode))});
  EXPECT_EQ(refused_tcs2(), Result::pf(la(TestEnclave::kCode), kEpcmWrite));
}

TEST_F(Eenter, SsaOnNonRegPageIsPf) {
  ASSERT_NO_FATAL_FAILURE(build_with_tcs2([](uapi::Tcs& t) { t.ssa_offset = TestEnclave::kTcs1; }));
  EXPECT_EQ(refused_tcs2(), Result::pf(la(TestEnclave::kTcs1), kEpcmWrite));
}

TEST_F(Eenter, SsaMappedOutsideEpcIsPf) {
  pt().set(la(TestEnclave::kSsa1), Pte{.present = true, .writable = true, .nx = true, .pa = user_});
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kSsa1), kEpcmWrite));
}

TEST_F(Eenter, BlockedSsaPageIsPf) {
  ASSERT_EQ(cpu(1).eblock(m().epc_addr(slot(TestEnclave::kSsa1))), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kSsa1), kEpcmWrite));
}

TEST_F(Eenter, SsaPageOfAnotherEnclaveIsPf) {
  // A second enclave's data page, mapped where TCS #1's SSA should be.
  ASSERT_NO_FATAL_FAILURE(build_other_enclave());
  pt().set(la(TestEnclave::kSsa1), Pte{.present = true,
                                       .writable = true,
                                       .nx = true,
                                       .pa = m().epc_addr(other().slot(TestEnclave::kData))});
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::pf(la(TestEnclave::kSsa1), kEpcmWrite));
}

TEST_F(Eenter, PendingSsaPageIsPf) {
  ASSERT_NO_FATAL_FAILURE(build_with_tcs2([](uapi::Tcs& t) { t.ssa_offset = 0x8000; }));
  constexpr uint32_t kAugSlot = 20;
  ASSERT_EQ(testlib::Sgx2Ops(m(), 3).eaug(enclave().secs_slot(), kAugSlot, la(0x8000)),
            Result::ok());
  pt().set(la(0x8000),
           Pte{.present = true, .writable = true, .nx = true, .pa = m().epc_addr(kAugSlot)});
  EXPECT_EQ(refused_tcs2(), Result::pf(la(0x8000), kEpcmWrite));
}

TEST_F(Eenter, GprAreaOnSecondFramePageIsCheckedAndReportedExactly) {
  // Two-page SSA frames: TCS #2's frame spans 0x4000-0x5fff, so its GPRSGX lands on the
  // code page, which the EPCM does not let the enclave write.
  TestEnclaveOptions o;
  o.ssa_frame_size = 2;
  ASSERT_NO_FATAL_FAILURE(build(o));
  pt().set(la(TestEnclave::kCode), Pte{.present = true,
                                       .writable = true,
                                       .nx = false,
                                       .pa = m().epc_addr(slot(TestEnclave::kCode))});
  const LAddr gpr_la = la(TestEnclave::kCode) + kPageSize - sizeof(GprSgx);
  EXPECT_EQ(refused_tcs2(), Result::pf(gpr_la, kEpcmWrite));
}

TEST_F(Eenter, NonCanonicalEntryIsGp) {
  ASSERT_NO_FATAL_FAILURE(
      build_with_tcs2([](uapi::Tcs& t) { t.entry_offset = 0x0000'8000'0000'0000ull; }));
  EXPECT_EQ(refused_tcs2(), Result::gp());
}

TEST_F(Eenter, NonCanonicalFsBaseIsGp) {
  ASSERT_NO_FATAL_FAILURE(
      build_with_tcs2([](uapi::Tcs& t) { t.fs_offset = 0x0000'8000'0000'0000ull; }));
  EXPECT_EQ(refused_tcs2(), Result::gp());
}

TEST_F(Eenter, NonCanonicalGsBaseIsGp) {
  ASSERT_NO_FATAL_FAILURE(
      build_with_tcs2([](uapi::Tcs& t) { t.gs_offset = 0x0000'8000'0000'0000ull; }));
  EXPECT_EQ(refused_tcs2(), Result::gp());
}

TEST_F(Eenter, ActiveTcsIsGp) {
  ASSERT_EQ(eenter(1), Result::ok());
  EXPECT_EQ(refused(la(TestEnclave::kTcs1)), Result::gp());
}

TEST_F(Eenter, RacingEntriesOnOneTcsAdmitOne) {
  // Both hold the TCS Shared; exactly one finds it inactive.
  Result r[2];
  std::thread t0([&] { r[0] = eenter(0); });
  std::thread t1([&] { r[1] = eenter(1); });
  t0.join();
  t1.join();
  EXPECT_EQ(int(r[0] == Result::ok()) + int(r[1] == Result::ok()), 1);
  EXPECT_EQ(int(r[0] == Result::gp()) + int(r[1] == Result::gp()), 1);
}

TEST_F(Eenter, CountsCallsAndFaults) {
  (void)refused(la(TestEnclave::kTcs1) + 8);
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(Inspector(m()).counters().calls[int(Leaf::kEenter)], 2u);
  EXPECT_EQ(Inspector(m()).counters().faults[int(Leaf::kEenter)], 1u);
}

}  // namespace
}  // namespace sgxref::hw
