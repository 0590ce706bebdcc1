// User code's memory accesses and the arch fault handler between a #PF and the retry
// (do_user_addr_fault): an EPCM fault (PFEC.SGX) and a #GP are never resolved; any other
// #PF goes to the mm's fault path, which checks the VMA's rights (access_error) and
// then faults anonymous memory in or asks the driver's handler.
#include <gtest/gtest.h>

#include <cstring>

#include "hw/cpu.h"
#include "kernel/user_mode.h"
#include "kernel_fixture.h"

namespace sgxref::kernel::test {
namespace {

using UserModeTest = KernelTest;
using hw::Fault;
using hw::Vector;
namespace pfec = hw::pfec;

constexpr uint64_t P = kPageSize;

Fault pf(LAddr a, uint32_t code) { return Fault{Vector::kPF, code, a}; }

TEST_F(UserModeTest, AFaultWithTheSgxBitIsSigsegvAndMapsNothing) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a), pfec::kP | pfec::kW | pfec::kU | pfec::kSgx)),
            FaultResult::kSigsegv);
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a), pfec::kU | pfec::kSgx)), FaultResult::kSigsegv);
  EXPECT_FALSE(pte(LAddr(a)).present);
}

TEST_F(UserModeTest, AGeneralProtectionFaultIsSigsegv) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  EXPECT_EQ(do_user_addr_fault(mm(), Fault{Vector::kGP, 0, LAddr(a)}), FaultResult::kSigsegv);
  EXPECT_FALSE(pte(LAddr(a)).present);
}

TEST_F(UserModeTest, ANotPresentFaultInAnAnonymousVmaIsHandledByMappingAZeroedPage) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a) + 12, pfec::kU | pfec::kW)),
            FaultResult::kHandled);
  const hw::Pte w = pte(LAddr(a));
  ASSERT_TRUE(w.present);
  EXPECT_TRUE(w.writable);
  EXPECT_TRUE(w.nx) << "no PROT_EXEC, no execute";
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a) + P, pfec::kU)), FaultResult::kHandled);
  EXPECT_TRUE(pte(LAddr(a) + P).present);
  EXPECT_EQ(peek(LAddr(a) + 16), 0u);
}

TEST_F(UserModeTest, AFaultOutsideAnyVmaIsSigsegv) {
  EXPECT_EQ(do_user_addr_fault(mm(), pf(0x2000'0000, pfec::kU)), FaultResult::kSigsegv);
  CpuHold cpu;
  uint64_t v = 0;
  EXPECT_EQ(user_load(0x2000'0000, &v, sizeof v), FaultResult::kSigsegv);
}

TEST_F(UserModeTest, AWriteFaultInAReadOnlyVmaIsSigsegv) {
  const long a = anon(P, PROT_READ);
  ASSERT_GT(a, 0);
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a), pfec::kU | pfec::kW)), FaultResult::kSigsegv);
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a), pfec::kU)), FaultResult::kHandled);
  EXPECT_FALSE(pte(LAddr(a)).writable);
  CpuHold cpu;
  const uint64_t v = 1;
  EXPECT_EQ(user_store(LAddr(a), &v, sizeof v), FaultResult::kSigsegv);
}

TEST_F(UserModeTest, AnInstructionFetchFaultNeedsVmExec) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a), pfec::kU | pfec::kI)), FaultResult::kSigsegv);
  const long x = anon(P, PROT_READ | PROT_EXEC);
  ASSERT_GT(x, 0);
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(x), pfec::kU | pfec::kI)), FaultResult::kHandled);
  EXPECT_FALSE(pte(LAddr(x)).nx);
  CpuHold cpu;
  uint8_t insn = 0xFF;
  EXPECT_FALSE(this_cpu().fetch(LAddr(x), &insn, 1).faulted());
  EXPECT_EQ(insn, 0);
}

TEST_F(UserModeTest, AFaultInADriverVmaGoesToItsHandler) {
  const long a = device_map(2 * P);
  ASSERT_GT(a, 0);
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a) + P + 3, pfec::kU | pfec::kW)),
            FaultResult::kHandled);
  EXPECT_EQ(dev_.vm_ops.faults, 1);
  EXPECT_EQ(pte(LAddr(a) + P).pa, dev_.vm_ops.frame(LAddr(a) + P)) << "the faulting page";
  dev_.vm_ops.answer = VmFault::kSigbus;
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a), pfec::kU)), FaultResult::kSigbus);
  // VM_FAULT_OOM: the OOM killer's turn (mm_fault_error), then user code takes the
  // fault again; neither a signal nor a vDSO exception.
  dev_.vm_ops.answer = VmFault::kOom;
  EXPECT_EQ(do_user_addr_fault(mm(), pf(LAddr(a), pfec::kU)), FaultResult::kHandled);
  EXPECT_FALSE(pte(LAddr(a)).present);
}

TEST_F(UserModeTest, AFileMappingWithoutAFaultHandlerIsSigbus) {
  dev_.give_vm_ops = false;
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  CpuHold cpu;
  uint64_t v = 0;
  EXPECT_EQ(user_load(LAddr(a), &v, sizeof v), FaultResult::kSigbus);
}

// VM_FAULT_NOPAGE with nothing mapped (a driver busy with the page): user code takes the
// fault again until the handler maps it.
TEST_F(UserModeTest, AFaultHandlerAnsweringNoPageWithoutMappingIsRetried) {
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  dev_.vm_ops.nopage_first = 3;
  CpuHold cpu;
  uint64_t v = 0xFF;
  EXPECT_EQ(user_load(LAddr(a), &v, sizeof v), FaultResult::kHandled);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(dev_.vm_ops.faults, 4);
}

TEST_F(UserModeTest, UserAccessesThroughADriverMappingReachItsFrames) {
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  CpuHold cpu;
  const uint64_t v = 0xFEED;
  ASSERT_EQ(user_store(LAddr(a) + 40, &v, sizeof v), FaultResult::kHandled);
  uint64_t raw = 0;
  ASSERT_FALSE(m_.read(dev_.vm_ops.frame(LAddr(a)) + 40, &raw, sizeof raw).faulted());
  EXPECT_EQ(raw, v);
}

TEST_F(UserModeTest, EpcMappedOutsideAnEnclaveReadsAllOnesAndDropsWrites) {
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  {
    sched::ReaderLock l(mm().mmap_lock);
    Vma* v = mm().find_vma(LAddr(a));
    ASSERT_NE(v, nullptr);
    ASSERT_EQ(mm().insert_pfn(*v, LAddr(a), m_.epc_addr(3)), VmFault::kNoPage);
    EXPECT_EQ(mm().insert_pfn(*v, LAddr(a) + P, m_.epc_addr(4)), VmFault::kSigbus)
        << "outside the VMA";
  }
  CpuHold cpu;
  const uint64_t w = 0;
  EXPECT_EQ(user_store(LAddr(a), &w, sizeof w), FaultResult::kHandled);
  uint64_t r = 0;
  EXPECT_EQ(user_load(LAddr(a), &r, sizeof r), FaultResult::kHandled);
  EXPECT_EQ(r, ~uint64_t(0));
}

TEST_F(UserModeTest, AnAccessRunningIntoAnUnmappedPageIsSigsegvAfterTheMappedPart) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().munmap(LAddr(a) + P, P), 0);
  CpuHold cpu;
  uint8_t bytes[16];
  std::memset(bytes, 0x6B, sizeof bytes);
  EXPECT_EQ(user_store(LAddr(a) + P - 8, bytes, sizeof bytes), FaultResult::kSigsegv);
  EXPECT_EQ(peek(LAddr(a) + P - 8), 0x6B6B'6B6B'6B6B'6B6Bu);
}

TEST_F(UserModeTest, InsertPfnKeepsAPteThatIsAlreadyThere) {
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 1);
  const PAddr first = pte(LAddr(a)).pa;
  sched::ReaderLock l(mm().mmap_lock);
  Vma* v = mm().find_vma(LAddr(a));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(mm().insert_pfn(*v, LAddr(a), m_.epc_addr(0)), VmFault::kNoPage);
  EXPECT_EQ(pte(LAddr(a)).pa, first);
}

TEST_F(UserModeTest, TestAndClearYoungReportsAccessesSinceTheLastCall) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  CpuHold cpu;
  uint64_t v = 0;
  ASSERT_EQ(user_load(LAddr(a), &v, sizeof v), FaultResult::kHandled);
  EXPECT_TRUE(mm().test_and_clear_young(LAddr(a)));
  EXPECT_FALSE(mm().test_and_clear_young(LAddr(a)));
  ASSERT_EQ(user_load(LAddr(a), &v, sizeof v), FaultResult::kHandled);
  EXPECT_TRUE(mm().test_and_clear_young(LAddr(a)));
}

}  // namespace
}  // namespace sgxref::kernel::test
