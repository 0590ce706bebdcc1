// The Accessed bit of a PTE (docs/hw.md "Enclave access and the TLB"): every successful
// page walk sets it, as x86's walker does, and the OS test-and-clears it to age pages
// for reclaim (Linux's sgx_reclaimer_age); a faulting walk and a TLB hit leave it alone,
// and the walker's update never undoes a concurrent edit of the PTE.
#include <gtest/gtest.h>

#include "hw/cpu.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "testlib/pause_at.h"
#include "testlib/sgx2_fixture.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

constexpr LAddr kPage = 0x1000'0000;
constexpr Pte kMapped{.present = true, .writable = true, .nx = true, .pa = 0x10'0000'3000};

TEST(PageTableAccessed, SetWritesTheBitAsGiven) {
  PageTable pt;
  pt.set(kPage, kMapped);
  EXPECT_FALSE(pt.get(kPage).accessed);
  Pte young = kMapped;
  young.accessed = true;
  pt.set(kPage, young);
  EXPECT_EQ(pt.get(kPage), young);
}

TEST(PageTableAccessed, TestAndClearReturnsTheBitAndClearsOnlyIt) {
  PageTable pt;
  Pte young = kMapped;
  young.accessed = true;
  pt.set(kPage, young);
  EXPECT_TRUE(pt.test_and_clear_accessed(kPage));
  EXPECT_EQ(pt.get(kPage), kMapped);
  EXPECT_FALSE(pt.test_and_clear_accessed(kPage));
  EXPECT_EQ(pt.get(kPage), kMapped);
}

TEST(PageTableAccessed, TestAndClearOfAPageWithNoPteIsFalseAndMapsNothing) {
  PageTable pt;
  EXPECT_FALSE(pt.test_and_clear_accessed(kPage));
  pt.set(kPage, kMapped);
  pt.clear(kPage);
  EXPECT_FALSE(pt.test_and_clear_accessed(kPage));
  EXPECT_EQ(pt.get(kPage), Pte{});
  EXPECT_TRUE(pt.entries().empty());
}

TEST(PageTableAccessed, MarkAccessedRefusesAPteThatChangedSinceTheWalkReadIt) {
  PageTable pt;
  pt.set(kPage, kMapped);
  const Pte seen = pt.get(kPage);
  Pte remapped = kMapped;
  remapped.pa += kPageSize;
  pt.set(kPage, remapped);
  EXPECT_FALSE(pt.mark_accessed(kPage, seen));
  EXPECT_EQ(pt.get(kPage), remapped);
  pt.clear(kPage);
  EXPECT_FALSE(pt.mark_accessed(kPage, seen));
  EXPECT_EQ(pt.get(kPage), Pte{});
}

class AccessedBit : public testlib::Sgx2Fixture {
 protected:
  bool accessed(LAddr a) { return pt().get(a).accessed; }
  void age(LAddr a) { (void)pt().test_and_clear_accessed(a); }
  Result fetch64(LAddr a) {
    uint64_t v;
    return cpu().fetch(a, &v, 8);
  }
  // CPU 0 leaves the enclave and is back where user code calls ENCLU.
  void exit_enclave() {
    ASSERT_EQ(cpu().eexit(kCallSite), Result::ok());
    ASSERT_EQ(cpu().set_regs(outside_regs()), Result::ok());
  }
};

TEST_F(AccessedBit, EnclaveLoadStoreAndFetchWalksSetIt) {
  ASSERT_EQ(eenter(), Result::ok());
  const LAddr data = la(TestEnclave::kData), data2 = la(TestEnclave::kData2),
              code = la(TestEnclave::kCode);
  ASSERT_FALSE(accessed(data) || accessed(data2) || accessed(code));
  (void)load64(0, data);
  ASSERT_EQ(store64(0, data2, 1), Result::ok());
  ASSERT_EQ(fetch64(code), Result::ok());
  EXPECT_TRUE(accessed(data));
  EXPECT_TRUE(accessed(data2));
  EXPECT_TRUE(accessed(code));
}

TEST_F(AccessedBit, WalksOutsideEnclaveModeSetIt) {
  const LAddr exec = kUser + kPageSize;
  pt().set(exec, Pte{.present = true, .writable = false, .nx = false, .pa = user_});
  const LAddr store_page = kUser + 2 * kPageSize;
  (void)enclave().map_user_page(store_page);
  (void)load64(0, kUser);
  ASSERT_EQ(store64(0, store_page, 1), Result::ok());
  ASSERT_EQ(fetch64(exec), Result::ok());
  // EPC outside enclave mode is the abort page, but the walk that reached it succeeded.
  (void)load64(0, la(TestEnclave::kData));
  EXPECT_TRUE(accessed(kUser));
  EXPECT_TRUE(accessed(store_page));
  EXPECT_TRUE(accessed(exec));
  EXPECT_TRUE(accessed(la(TestEnclave::kData)));
}

TEST_F(AccessedBit, EnclaveWalksOutsideElrangeSetIt) {
  ASSERT_EQ(eenter(), Result::ok());
  (void)load64(0, kUser);
  EXPECT_TRUE(accessed(kUser));
}

TEST_F(AccessedBit, FaultingWalkLeavesItClear) {
  pt().set(kUser, Pte{.present = true, .writable = false, .nx = true, .pa = user_});
  EXPECT_EQ(store64(0, kUser, 1), Result::pf(kUser, 0x7));
  EXPECT_EQ(fetch64(kUser), Result::pf(kUser, 0x15));
  EXPECT_FALSE(accessed(kUser));
  // Nor does a walk that finds no PTE write one.
  const LAddr unmapped = kUser + kPageSize;
  EXPECT_EQ(store64(0, unmapped, 1), Result::pf(unmapped, 0x6));
  EXPECT_EQ(pt().get(unmapped), Pte{});
}

TEST_F(AccessedBit, EpcmFaultAfterTheWalkLeavesItSet) {
  ASSERT_EQ(eenter(), Result::ok());
  const LAddr code = la(TestEnclave::kCode);
  pt().set(code, Pte{.present = true,
                     .writable = true,
                     .nx = false,
                     .pa = m().epc_addr(slot(TestEnclave::kCode))});
  EXPECT_EQ(store64(0, code, 1), Result::pf(code, 0x8007));
  EXPECT_TRUE(accessed(code));
}

TEST_F(AccessedBit, TlbHitDoesNotSetIt) {
  ASSERT_EQ(eenter(), Result::ok());
  const LAddr data = la(TestEnclave::kData);
  (void)load64(0, data);
  EXPECT_TRUE(pt().test_and_clear_accessed(data));
  (void)load64(0, data);
  EXPECT_FALSE(accessed(data));
  // Once an exit flushes the TLB, the next access walks again.
  ASSERT_NO_FATAL_FAILURE(exit_enclave());
  ASSERT_EQ(eenter(), Result::ok());
  (void)load64(0, data);
  EXPECT_TRUE(accessed(data));
}

TEST_F(AccessedBit, EnclaveEntryWalksSetItOnTcsAndSsa) {
  const LAddr tcs = la(TestEnclave::kTcs1), ssa = la(TestEnclave::kSsa1);
  ASSERT_FALSE(accessed(tcs) || accessed(ssa));
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_TRUE(accessed(tcs));
  EXPECT_TRUE(accessed(ssa));
}

TEST_F(AccessedBit, EncluOperandWalksSetItDespiteATlbEntry) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(put_secinfo(0, kReg | kR), Result::ok());  // caches the SECINFO page
  const LAddr secinfo = la(kSecinfo), target = la(TestEnclave::kData2);
  age(secinfo);
  age(target);
  ASSERT_EQ(cpu().emodpe(secinfo, target), Result::ok());
  EXPECT_TRUE(accessed(secinfo));
  EXPECT_TRUE(accessed(target));
}

// The OS edits the PTE after the walk read it and before it set A (the walker parked at
// "walk.pte_read"): the walk reads the PTE again and uses the new translation, and only
// the new PTE gets A.
TEST_F(AccessedBit, PteRemappedBeforeTheUpdateIsWalkedAgain) {
  const LAddr page = kUser + kPageSize;
  const PAddr old_frame = enclave().map_user_page(page);
  const PAddr new_frame = enclave().map_user_page(kUser + 2 * kPageSize);
  const uint64_t old_value = 1, new_value = 2;
  enclave().memory().write(old_frame, &old_value, sizeof old_value);
  enclave().memory().write(new_frame, &new_value, sizeof new_value);
  const Pte remapped{.present = true, .writable = true, .nx = true, .pa = new_frame};
  const uint64_t loaded = testlib::overlap(
      "walk.pte_read", [&] { return load64(0, page); }, [&] { pt().set(page, remapped); });
  EXPECT_EQ(loaded, new_value);
  Pte want = remapped;
  want.accessed = true;
  EXPECT_EQ(pt().get(page), want);
}

TEST_F(AccessedBit, PteClearedBeforeTheUpdateFaultsAndStaysClear) {
  Result r;
  (void)testlib::overlap(
      "walk.pte_read", [&] { return load64(0, kUser, &r); }, [&] { pt().clear(kUser); });
  EXPECT_EQ(r, Result::pf(kUser, 0x4));
  EXPECT_EQ(pt().get(kUser), Pte{});
}

}  // namespace
}  // namespace sgxref::hw
