// Enclave accesses through the TLB and the page walk (docs/hw.md "Enclave access and the
// TLB"): the #PF error codes for PTE and EPCM refusals, the fill, stale entries that keep
// working until an exit flushes them, and accesses outside ELRANGE and outside enclave
// mode.
#include <gtest/gtest.h>

#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_fixture.h"
#include "testlib/sgx2_ops.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Tlb : public testlib::EnclaveFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(EnclaveFixture::SetUp());
    ASSERT_EQ(eenter(), Result::ok());
  }

  Pte pte(uint64_t offset, bool writable, bool nx) const {
    return Pte{.present = true, .writable = writable, .nx = nx, .pa = m_->epc_addr(slot(offset))};
  }
  LAddr data() const { return la(TestEnclave::kData); }
  LAddr code() const { return la(TestEnclave::kCode); }

  Result fetch64(LAddr a) {
    uint64_t v;
    return cpu().fetch(a, &v, 8);
  }
};

TEST_F(Tlb, MissFillsEntryWithEpcmAndPteRights) {
  ASSERT_EQ(store64(0, data(), 5), Result::ok());
  EXPECT_EQ(load64(0, data()), 5u);
  const CpuView v = Inspector(m()).cpu_view(0);
  ASSERT_EQ(v.tlb.size(), 1u);
  EXPECT_EQ(
      v.tlb[0],
      (TlbEntryView{
          .page = data(), .slot = slot(TestEnclave::kData), .r = true, .w = true, .x = false}));
}

TEST_F(Tlb, FillIntersectsEpcmWithPte) {
  pt().set(data(), pte(TestEnclave::kData, /*writable=*/false, /*nx=*/true));
  (void)load64(0, data());
  uint64_t insn;
  ASSERT_EQ(cpu().fetch(code(), &insn, 8), Result::ok());
  EXPECT_EQ(insn, 0x9090909090909090ull);
  const std::vector<TlbEntryView> tlb = Inspector(m()).cpu_view(0).tlb;  // by linear page
  ASSERT_EQ(tlb.size(), 2u);
  EXPECT_EQ(
      tlb[0],
      (TlbEntryView{
          .page = code(), .slot = slot(TestEnclave::kCode), .r = true, .w = false, .x = true}));
  EXPECT_EQ(
      tlb[1],
      (TlbEntryView{
          .page = data(), .slot = slot(TestEnclave::kData), .r = true, .w = false, .x = false}));
}

TEST_F(Tlb, NotPresentLoadStoreAndFetchArePf) {
  pt().clear(data());
  Result r;
  (void)load64(0, data(), &r);
  EXPECT_EQ(r, Result::pf(data(), 0x4));
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(store64(0, data(), 1), Result::pf(data(), 0x6));
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(fetch64(data()), Result::pf(data(), 0x14));
}

TEST_F(Tlb, StoreThePteForbidsIsPf7) {
  pt().set(data(), pte(TestEnclave::kData, false, true));
  EXPECT_EQ(store64(0, data(), 1), Result::pf(data(), 0x7));
}

TEST_F(Tlb, FetchFromNxPteIsPf15) {
  pt().set(code(), pte(TestEnclave::kCode, false, /*nx=*/true));
  EXPECT_EQ(fetch64(code()), Result::pf(code(), 0x15));
}

TEST_F(Tlb, StoreTheEpcmForbidsIsPf8007) {
  pt().set(code(), pte(TestEnclave::kCode, /*writable=*/true, false));
  EXPECT_EQ(store64(0, code(), 1), Result::pf(code(), 0x8007));
}

TEST_F(Tlb, LoadOfNonRegPageIsPf8005) {
  Result r;
  (void)load64(0, la(TestEnclave::kTcs2), &r);
  EXPECT_EQ(r, Result::pf(la(TestEnclave::kTcs2), 0x8005));
}

TEST_F(Tlb, FetchTheEpcmForbidsIsPf8015) {
  pt().set(data(), pte(TestEnclave::kData, true, /*nx=*/false));
  EXPECT_EQ(fetch64(data()), Result::pf(data(), 0x8015));
}

TEST_F(Tlb, ElrangeMappedOutsideEpcIsEpcmPf) {
  pt().set(data(), Pte{.present = true, .writable = true, .nx = true, .pa = user_});
  Result r;
  (void)load64(0, data(), &r);
  EXPECT_EQ(r, Result::pf(data(), 0x8005));
}

TEST_F(Tlb, PageAtAnotherAddressIsEpcmPf) {
  // The OS maps data page 2's frame at data page 1's address.
  pt().set(data(), pte(TestEnclave::kData2, true, true));
  Result r;
  (void)load64(0, data(), &r);
  EXPECT_EQ(r, Result::pf(data(), 0x8005));
}

TEST_F(Tlb, BlockedPageIsEpcmPf) {
  ASSERT_EQ(cpu(1).eblock(m().epc_addr(slot(TestEnclave::kData))), Result::ok());
  EXPECT_EQ(store64(0, data(), 1), Result::pf(data(), 0x8007));
}

TEST_F(Tlb, PendingPageIsEpcmPf) {
  // EAUG adds a page the enclave has not accepted yet.
  constexpr uint32_t kAugSlot = 20;
  const LAddr aug = la(0x8000);
  ASSERT_EQ(testlib::Sgx2Ops(m(), 3).eaug(enclave().secs_slot(), kAugSlot, aug), Result::ok());
  pt().set(aug, Pte{.present = true, .writable = true, .nx = true, .pa = m().epc_addr(kAugSlot)});
  EXPECT_EQ(store64(0, aug, 1), Result::pf(aug, 0x8007));
}

TEST_F(Tlb, StaleEntrySurvivesBlockingUntilAnExit) {
  ASSERT_EQ(store64(0, data(), 1), Result::ok());
  ASSERT_EQ(cpu(1).eblock(m().epc_addr(slot(TestEnclave::kData))), Result::ok());
  EXPECT_EQ(store64(0, data(), 2), Result::ok());
  EXPECT_EQ(load64(0, data()), 2u);
}

TEST_F(Tlb, StaleEntryKeepsWorkingAfterPteChangeUntilIpi) {
  ASSERT_EQ(store64(0, data(), 1), Result::ok());
  // mprotect(PROT_READ) without a TLB shootdown.
  pt().set(data(), pte(TestEnclave::kData, false, true));
  EXPECT_EQ(store64(0, data(), 2), Result::ok());
  EXPECT_EQ(store64(0, data(), 3), Result::ok());
  // The shootdown: an AEX flushes the stale entry.
  m().ipi(0);
  EXPECT_EQ(store64(0, data(), 4), Result::interrupted());
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(store64(0, data(), 4), Result::pf(data(), 0x7));
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(load64(0, data()), 3u);
}

TEST_F(Tlb, EntryLackingTheRightIsRewalked) {
  pt().set(data(), pte(TestEnclave::kData, false, true));
  (void)load64(0, data());  // fills R only
  pt().set(data(), pte(TestEnclave::kData, true, true));
  EXPECT_EQ(store64(0, data(), 9), Result::ok());
  EXPECT_TRUE(Inspector(m()).cpu_view(0).tlb[0].w);
}

TEST_F(Tlb, EnterFlushesTheTlb) {
  ASSERT_EQ(store64(0, data(), 1), Result::ok());
  ASSERT_EQ(cpu().eexit(kCallSite), Result::ok());
  ASSERT_EQ(cpu().set_regs(outside_regs()), Result::ok());
  // Nothing fills the TLB outside enclave mode, and EENTER starts from an empty one.
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_TRUE(Inspector(m()).cpu_view(0).tlb.empty());
}

TEST_F(Tlb, AccessCrossingIntoAFaultingPageChangesNothing) {
  const LAddr end = la(TestEnclave::kData2) - 4;
  ASSERT_EQ(store64(0, end, 0x1111111111111111ull), Result::ok());
  ASSERT_EQ(cpu().eexit(kCallSite), Result::ok());
  ASSERT_EQ(cpu().set_regs(outside_regs()), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  pt().clear(la(TestEnclave::kData2));
  EXPECT_EQ(store64(0, end, 0x2222222222222222ull), Result::pf(la(TestEnclave::kData2), 0x6));
  uint32_t low;
  std::memcpy(&low, Inspector(m()).page(slot(TestEnclave::kData)) + kPageSize - 4, 4);
  EXPECT_EQ(low, 0x11111111u);
}

TEST_F(Tlb, AccessCrossingTwoEnclavePagesSucceeds) {
  const LAddr end = la(TestEnclave::kData2) - 4;
  ASSERT_EQ(store64(0, end, 0x0123456789ABCDEFull), Result::ok());
  EXPECT_EQ(load64(0, end), 0x0123456789ABCDEFull);
  EXPECT_EQ(Inspector(m()).cpu_view(0).tlb.size(), 2u);
}

TEST_F(Tlb, WiderThanEightBytesIsUd) {
  uint8_t buf[16];
  EXPECT_EQ(cpu().load(data(), buf, sizeof buf), Result::ud());
  EXPECT_FALSE(cpu().in_enclave_mode());
}

TEST_F(Tlb, NonCanonicalAddressIsGp) {
  Result r;
  (void)load64(0, 0x0000'8000'0000'0000ull, &r);
  EXPECT_EQ(r, Result::gp());
  EXPECT_FALSE(cpu().in_enclave_mode());
}

TEST_F(Tlb, EnclaveReadsAndWritesUserMemoryThroughPaging) {
  enclave().memory().write(user_, "\x2a\0\0\0\0\0\0\0", 8);
  EXPECT_EQ(load64(0, kUser), 42u);
  ASSERT_EQ(store64(0, kUser + 8, 43), Result::ok());
  EXPECT_EQ(enclave().memory().get<uint64_t>(user_ + 8), 43u);
  EXPECT_TRUE(Inspector(m()).cpu_view(0).tlb.empty());  // only enclave pages are cached
}

TEST_F(Tlb, EpcOutsideElrangeIsAbortPageForTheEnclave) {
  const LAddr outside = 0x2000'0000;
  pt().set(outside, pte(TestEnclave::kData, true, true));
  ASSERT_EQ(store64(0, data(), 7), Result::ok());
  EXPECT_EQ(load64(0, outside), ~uint64_t(0));
  ASSERT_EQ(store64(0, outside, 8), Result::ok());
  EXPECT_EQ(load64(0, data()), 7u);
}

TEST_F(Tlb, FetchOutsideElrangeIsGp) {
  pt().set(kUser, Pte{.present = true, .writable = true, .nx = false, .pa = user_});
  EXPECT_EQ(fetch64(kUser), Result::gp());
  EXPECT_FALSE(cpu().in_enclave_mode());
}

TEST_F(Tlb, OutsideEnclaveModeEnclavePagesAreTheAbortPage) {
  ASSERT_EQ(store64(0, data(), 7), Result::ok());
  ASSERT_EQ(cpu().eexit(kCallSite), Result::ok());
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(load64(0, data()), ~uint64_t(0));
  EXPECT_EQ(store64(0, data(), 8), Result::ok());
  EXPECT_EQ(Inspector(m()).snapshot(), before);  // the write was dropped, nothing was cached
}

TEST_F(Tlb, OutsideEnclaveModeFaultsAreNotExits) {
  ASSERT_EQ(cpu().eexit(kCallSite), Result::ok());
  pt().clear(data());
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(store64(0, data(), 8), Result::pf(data(), 0x6));
  EXPECT_EQ(Inspector(m()).snapshot(), before);
  EXPECT_EQ(Inspector(m()).counters().aex, 0u);
}

}  // namespace
}  // namespace sgxref::hw
