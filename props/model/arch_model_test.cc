// The arch model on hand-made scenarios, one rule per test (concrete domain). The layout
// every test starts from is in world.h.
#include <gtest/gtest.h>

#include "model/leaves.h"
#include "model/world.h"

namespace sgxref::model::test {
namespace {

using namespace layout;

constexpr int64_t kT = 0;  // the CPU running enclave code; CPU 1 runs the kernel's ENCLS

class ArchModel : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(w.build_enclave()); }

  bool invariants_hold() const {
    return well_formed(w.d, w.s) && h1(w.d, w.s) && h2(w.d, w.s) && h3(w.d, w.s) && h4(w.d, w.s);
  }

  World w;
};

// --- entering, accessing, leaving ------------------------------------------------------

TEST_F(ArchModel, EenterRecordsEntryAndAccessesFillTheTlb) {
  EXPECT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_TRUE(w.cpu(kT).mode);
  EXPECT_EQ(w.cpu(kT).secs, kSecs);
  EXPECT_EQ(w.cpu(kT).tcs, kTcs);
  EXPECT_EQ(w.cpu(kT).entry_age, 0);
  EXPECT_TRUE(w.data(kTcs).active);

  EXPECT_EQ(w.store(kT, kDataPage), Ok());
  const TlbEntry<C>& t = w.cpu(kT).tlb[kDataPage];
  EXPECT_TRUE(t.valid && t.r && t.w && t.x);
  EXPECT_EQ(t.slot, kData);
  EXPECT_EQ(w.fetch(kT, kDataPage), Value(9));  // the store's value
  EXPECT_TRUE(invariants_hold());

  EXPECT_EQ(w.eexit(kT), Ok());
  EXPECT_FALSE(w.cpu(kT).mode);
  EXPECT_FALSE(w.cpu(kT).tlb[kDataPage].valid);
  EXPECT_FALSE(w.data(kTcs).active);
}

TEST_F(ArchModel, TlbRightsAreEpcmRightsIntersectedWithPte) {
  ASSERT_EQ(w.map(kDataPage, kData, /*w=*/false, /*x=*/false), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.load(kT, kDataPage), Value(kDataWord));
  const TlbEntry<C>& t = w.cpu(kT).tlb[kDataPage];
  EXPECT_TRUE(t.valid && t.r);
  EXPECT_FALSE(t.w || t.x);
}

TEST_F(ArchModel, PageFaultErrorCodesFollowTheSelftests) {
  ASSERT_EQ(w.map(kDataPage, kData, /*w=*/false), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  // The PTE forbids the store: P|W|U.
  EXPECT_EQ(w.store(kT, kDataPage), Pf(kDataPage, 0x7));
  ASSERT_EQ(w.eresume(kT, kTcsPage), Ok());
  // No PTE at all: U only.
  EXPECT_EQ(w.load(kT, kFreePage), Pf(kFreePage, 0x4));
  ASSERT_EQ(w.eresume(kT, kTcsPage), Ok());
  // The EPCM refuses (a blocked page): P|U|SGX, and W for a store.
  ASSERT_EQ(w.map(kDataPage, kData), Ok());
  ASSERT_EQ(w.eblock(kData), Ok());
  EXPECT_EQ(w.load(kT, kDataPage), Pf(kDataPage, 0x8005));
  ASSERT_EQ(w.eresume(kT, kTcsPage), Ok());
  EXPECT_EQ(w.store(kT, kDataPage), Pf(kDataPage, 0x8007));
}

TEST_F(ArchModel, FetchNeedsXInPteAndEpcm) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.fetch(kT, kSsaPage), Pf(kSsaPage, 0x15));
  ASSERT_EQ(w.map(kSsaPage, kSsa, true, /*x=*/true), Ok());
  ASSERT_EQ(w.eresume(kT, kTcsPage), Ok());
  EXPECT_EQ(w.fetch(kT, kSsaPage), Pf(kSsaPage, 0x8015));
}

TEST_F(ArchModel, FaultInEnclaveModeCausesAex) {
  ASSERT_EQ(w.eaug(5, kSecs, kFreePage), Ok());
  ASSERT_EQ(w.map(kFreePage, 5), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.store(kT, kDataPage), Ok());
  // A pending page is not accessible before EACCEPT.
  EXPECT_EQ(w.store(kT, kFreePage), Pf(kFreePage, 0x8007));
  EXPECT_FALSE(w.cpu(kT).mode);
  EXPECT_FALSE(w.cpu(kT).tlb[kDataPage].valid);
  EXPECT_EQ(w.data(kTcs).cssa, 1);
  EXPECT_FALSE(w.data(kTcs).active);
}

TEST_F(ArchModel, EnclsInEnclaveModeIsUdAndCausesAex) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.eblock(kData, /*cpu=*/kT), Ud());
  EXPECT_FALSE(w.epcm(kData).blocked);
  EXPECT_FALSE(w.cpu(kT).mode);
  EXPECT_EQ(w.data(kTcs).cssa, 1);
}

TEST_F(ArchModel, AexAndEresumeWalkTheSsaStack) {
  EXPECT_EQ(w.eresume(kT, kTcsPage), Gp());  // no saved frame yet
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.aex(kT), Ok());
  EXPECT_EQ(w.data(kTcs).cssa, 1);
  EXPECT_EQ(w.eresume(kT, kTcsPage), Ok());
  EXPECT_EQ(w.data(kTcs).cssa, 0);
  ASSERT_EQ(w.aex(kT), Ok());
  // EENTER on top of the saved frame uses frame 1 (page 2).
  EXPECT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.aex(kT), Ok());
  EXPECT_EQ(w.data(kTcs).cssa, 2);
  EXPECT_EQ(w.eenter(kT, kTcsPage), Gp());  // CSSA == NSSA
  EXPECT_EQ(w.eresume(kT, kTcsPage), Ok());
  EXPECT_EQ(w.data(kTcs).cssa, 1);
}

TEST_F(ArchModel, OneCpuPerTcs) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.eenter(1, kTcsPage), Gp());
  EXPECT_TRUE(w.cpu(kT).mode);
  // EENTER from enclave mode is #GP, delivered by AEX.
  EXPECT_EQ(w.eenter(kT, kTcsPage), Gp());
  EXPECT_FALSE(w.cpu(kT).mode);
}

TEST_F(ArchModel, EenterChecksTheSsaFrame) {
  ASSERT_TRUE(w.evict(kSsa, 0, 0));
  // The PTE still maps the evicted slot: the EPCM check fails.
  EXPECT_EQ(w.eenter(kT, kTcsPage), Pf(kSsaPage, 0x8007));
  ASSERT_EQ(w.unmap(kSsaPage), Ok());
  EXPECT_EQ(w.eenter(kT, kTcsPage), Pf(kSsaPage, 0x6));
  EXPECT_FALSE(w.cpu(kT).mode);
}

TEST_F(ArchModel, StaleTlbWriteWorksUntilAex) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.store(kT, kDataPage), Ok());
  ASSERT_EQ(w.emodpr(kData, si(pt::kReg, true)), Ok());
  EXPECT_FALSE(w.epcm(kData).w);
  // The cached translation still grants W.
  EXPECT_EQ(w.store(kT, kDataPage), Ok());
  EXPECT_EQ(w.ipi(kT), Ok());
  ASSERT_EQ(w.eresume(kT, kTcsPage), Ok());
  EXPECT_EQ(w.store(kT, kDataPage), Pf(kDataPage, 0x8007));
}

TEST_F(ArchModel, PteChangeWithoutIpiLeavesATranslationThePageTableNoLongerHas) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.store(kT, kDataPage), Ok());
  EXPECT_TRUE(tlb_follows_page_tables(w.d, w.s));
  ASSERT_EQ(w.unmap(kDataPage), Ok());
  EXPECT_FALSE(tlb_follows_page_tables(w.d, w.s));
  EXPECT_TRUE(h1(w.d, w.s));                // still the enclave's own page
  EXPECT_EQ(w.store(kT, kDataPage), Ok());  // the stale entry keeps working
  ASSERT_EQ(w.ipi(kT), Ok());
  EXPECT_TRUE(tlb_follows_page_tables(w.d, w.s));
}

// --- tracking and eviction --------------------------------------------------------------

TEST_F(ArchModel, EwbNeedsEtrackAfterBlock) {
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0), Code(sgx::kPageNotBlocked));
  ASSERT_EQ(w.eblock(kData), Ok());
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0), Code(sgx::kNotTracked));
  ASSERT_EQ(w.etrack(kSecs), Ok());
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0), Ok());
  EXPECT_FALSE(w.epcm(kData).valid);
  EXPECT_EQ(w.data(kVa).va[0], 1);
  const Blob<C>& b = w.s.blob[0];
  EXPECT_TRUE(b.valid);
  EXPECT_EQ(b.version, 1);
  EXPECT_EQ(b.page, kDataPage);
  EXPECT_EQ(b.type, pt::kReg);
  EXPECT_EQ(b.eid, w.data(kSecs).eid);
  EXPECT_TRUE(invariants_hold());
}

TEST_F(ArchModel, EwbWaitsForCpusInsideAtEtrack) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.eblock(kData), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0), Code(sgx::kNotTracked));
  ASSERT_EQ(w.ipi(kT), Ok());
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0), Ok());
}

TEST_F(ArchModel, CpuEnteringAfterEtrackDoesNotHoldUpEwb) {
  ASSERT_EQ(w.eblock(kData), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0), Ok());
  EXPECT_TRUE(invariants_hold());
}

TEST_F(ArchModel, EtrackWhileEarlierEntrantInsideIsPrevTrkIncmpl) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.etrack(kSecs), Ok());
  EXPECT_EQ(w.cpu(kT).entry_age, 1);
  EXPECT_EQ(w.etrack(kSecs), Code(sgx::kPrevTrkIncmpl));
  ASSERT_EQ(w.aex(kT), Ok());
  EXPECT_EQ(w.etrack(kSecs), Ok());
}

TEST_F(ArchModel, SecondEblockIsBlkstateAndKeepsTheStamp) {
  ASSERT_EQ(w.eblock(kData), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  EXPECT_EQ(w.eblock(kData), Code(sgx::kBlkState));
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0), Ok());
}

TEST_F(ArchModel, EblockRefusesWhatCannotBeBlocked) {
  EXPECT_EQ(w.eblock(kSecs), Code(sgx::kPgIsSecs));
  EXPECT_EQ(w.eblock(kVa), Code(sgx::kNotBlockable));
  EXPECT_EQ(w.eblock(6), Code(sgx::kPgInvld));
  EXPECT_EQ(w.eblock(kOutside), Pf(kOutside, 0));
}

TEST_F(ArchModel, EwbIntoOccupiedSlotStillEvicts) {
  ASSERT_TRUE(w.evict(kData, 0, 0));
  ASSERT_EQ(w.eblock(kSsa), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  EXPECT_EQ(w.ewb(kSsa, kVa, 0, 1), Code(sgx::kVaSlotOccupied));
  EXPECT_FALSE(w.epcm(kSsa).valid);
  EXPECT_EQ(w.data(kVa).va[0], 2);
  // The first page's version is gone: it cannot be reloaded.
  EXPECT_EQ(w.eldu(kData, kVa, 0, 0, kDataPage, kSecs), Code(sgx::kMacCompareFail));
}

TEST_F(ArchModel, EldRejectsReplayOfOlderBlob) {
  ASSERT_TRUE(w.evict(kData, 0, 0));
  EXPECT_EQ(w.eldu(kData, kVa, 0, 0, kDataPage, kSecs), Ok());
  EXPECT_EQ(w.data(kVa).va[0], 0);
  EXPECT_TRUE(w.epcm(kData).valid && !w.epcm(kData).blocked);
  ASSERT_TRUE(w.evict(kData, 0, 1));
  EXPECT_EQ(w.eldu(kData, kVa, 0, 0, kDataPage, kSecs), Code(sgx::kMacCompareFail));
  EXPECT_EQ(w.eldu(kData, kVa, 0, 1, kDataPage, kSecs), Ok());
  // The slot was cleared: the same blob cannot be loaded twice.
  EXPECT_EQ(w.eldu(5, kVa, 0, 1, kDataPage, kSecs), Code(sgx::kMacCompareFail));
  EXPECT_TRUE(invariants_hold());
}

TEST_F(ArchModel, EldRejectsOtherAddressEnclaveOrAlteredBlob) {
  ASSERT_TRUE(w.evict(kData, 0, 0));
  EXPECT_EQ(w.eldu(kData, kVa, 0, 0, kFreePage, kSecs), Code(sgx::kMacCompareFail));
  EXPECT_EQ(w.eldu(kData, kVa, 0, 0, kDataPage, kSecs, /*intact=*/false),
            Code(sgx::kMacCompareFail));
  ASSERT_EQ(w.ecreate(5, 0, 4), Ok());  // another enclave, other EID
  EXPECT_EQ(w.eldu(kData, kVa, 0, 0, kDataPage, 5), Code(sgx::kMacCompareFail));
  EXPECT_EQ(w.eldu(kData, kVa, 0, 0, kDataPage, kTcs), Pf(kTcs, 0x8001));
  EXPECT_EQ(w.eldu(kData, kVa, 0, 0, kDataPage, kSecs), Ok());
}

TEST_F(ArchModel, EldbLoadsBlockedAndUnstamped) {
  ASSERT_TRUE(w.evict(kData, 0, 0));
  EXPECT_EQ(w.eldb(kData, kVa, 0, 0, kDataPage, kSecs), Ok());
  EXPECT_TRUE(w.epcm(kData).blocked);
  EXPECT_FALSE(w.epcm(kData).stamped);
  // Nothing can have cached it since it was loaded: no ETRACK is needed.
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0), Ok());
}

TEST_F(ArchModel, SecsEvictionNeedsNoChildrenAndReloadsElsewhere) {
  EXPECT_EQ(w.ewb(kSecs, kVa, 0, 0), Code(sgx::kChildPresent));
  ASSERT_EQ(w.epa(5), Ok());
  ASSERT_TRUE(w.evict(kTcs, 0, 0));
  ASSERT_TRUE(w.evict(kSsa, 1, 1));
  ASSERT_TRUE(w.evict(kData, 0, 2, /*va=*/5));
  EXPECT_EQ(w.ewb(kSecs, 5, 1, 3), Ok());
  EXPECT_EQ(w.s.blob[3].eid, 0);  // a SECS is bound to no enclave
  // A SECS belongs to no enclave: PAGEINFO.SECS must be null.
  EXPECT_EQ(w.eldu(6, 5, 1, 3, 0, kSecs), Gp());
  EXPECT_EQ(w.eldu(6, 5, 1, 3, 0, null_slot(w.s)), Ok());
  EXPECT_EQ(w.epcm(6).type, pt::kSecs);
  EXPECT_TRUE(w.data(6).init);
  // A child reloads under the SECS's new slot; the old slot is no SECS any more.
  EXPECT_EQ(w.eldu(kData, 5, 0, 2, kDataPage, 6), Ok());
  EXPECT_EQ(w.epcm(kData).secs, 6);
  EXPECT_EQ(w.eldu(kSsa, kVa, 1, 1, kSsaPage, kSecs), Pf(kSecs, 0x8001));
  EXPECT_TRUE(invariants_hold());
}

// --- removal ----------------------------------------------------------------------------

TEST_F(ArchModel, EremoveWhileCpuInsideIsEnclaveAct) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.eremove(kData), Code(sgx::kEnclaveAct));
  ASSERT_EQ(w.eexit(kT), Ok());
  EXPECT_EQ(w.eremove(kData), Ok());
  EXPECT_FALSE(w.epcm(kData).valid);
}

TEST_F(ArchModel, EremoveOfAcceptedTrimIgnoresThreads) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.emodt(kData, si(pt::kTrim)), Ok());
  EXPECT_EQ(w.eremove(kData), Code(sgx::kEnclaveAct));  // not accepted yet
  ASSERT_EQ(w.etrack(kSecs), Ok());
  ASSERT_EQ(w.eexit(kT), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.eaccept(kT, kSsaPage, kDataPage, si(pt::kTrim, false, false, false, false, true)),
            Ok());
  EXPECT_EQ(w.eremove(kData), Ok());
  EXPECT_TRUE(invariants_hold());
}

TEST_F(ArchModel, EremoveOfSecsWithChildrenIsChildPresent) {
  EXPECT_EQ(w.eremove(kSecs), Code(sgx::kChildPresent));
  for (int64_t slot : {kTcs, kSsa, kData}) ASSERT_EQ(w.eremove(slot), Ok());
  EXPECT_EQ(w.eremove(kSecs), Ok());
  EXPECT_EQ(w.eremove(kVa), Ok());
  EXPECT_EQ(w.eremove(kVa), Ok());  // a free page needs nothing
}

// --- SGX2 -------------------------------------------------------------------------------

TEST_F(ArchModel, EacceptAfterEaugNeedsNoEtrack) {
  ASSERT_EQ(w.eaug(5, kSecs, kFreePage), Ok());
  ASSERT_EQ(w.map(kFreePage, 5), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kFreePage, si(pt::kReg, true, true, false, true)), Ok());
  EXPECT_FALSE(w.epcm(5).pending);
  EXPECT_EQ(w.store(kT, kFreePage), Ok());
}

TEST_F(ArchModel, EacceptRightAfterEmodprIsNotTracked) {
  ASSERT_EQ(w.emodpr(kData, si(pt::kReg, true)), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  const SecInfo<C> restricted = si(pt::kReg, true, false, false, false, false, true);
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kDataPage, restricted), Code(sgx::kNotTracked));
  ASSERT_EQ(w.etrack(kSecs), Ok());
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kDataPage, restricted), Code(sgx::kNotTracked));
}

TEST_F(ArchModel, EacceptNotTrackedUntilReentry) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.emodpr(kData, si(pt::kReg, true)), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  const SecInfo<C> restricted = si(pt::kReg, true, false, false, false, false, true);
  // The caller itself was inside before the ETRACK.
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kDataPage, restricted), Code(sgx::kNotTracked));
  ASSERT_EQ(w.eexit(kT), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kDataPage, restricted), Ok());
  EXPECT_FALSE(w.epcm(kData).pr);
  EXPECT_TRUE(invariants_hold());
}

TEST_F(ArchModel, EacceptComparesEverythingButPr) {
  ASSERT_EQ(w.emodpr(kData, si(pt::kReg, true)), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kDataPage, si(pt::kReg, true, true, false, false, false, true)),
            Code(sgx::kPageAttributesMismatch));
  // An illegal request (REG without PR or PENDING) is #GP, delivered by AEX.
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kDataPage, si(pt::kReg, true)), Gp());
  EXPECT_FALSE(w.cpu(kT).mode);
}

TEST_F(ArchModel, EmodprRefusesChangesInProgressAndFaultsOnAcceptedTrim) {
  ASSERT_EQ(w.eaug(5, kSecs, kFreePage), Ok());
  EXPECT_EQ(w.emodpr(5, si(pt::kReg, true)), Code(sgx::kPageNotModifiable));
  ASSERT_EQ(w.emodt(kData, si(pt::kTrim)), Ok());
  const SecInfo<C> rwx = si(pt::kReg, true, true, true);
  EXPECT_EQ(w.emodpr(kData, rwx), Code(sgx::kPageNotModifiable));
  ASSERT_EQ(w.etrack(kSecs), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.eaccept(kT, kSsaPage, kDataPage, si(pt::kTrim, false, false, false, false, true)),
            Ok());
  EXPECT_EQ(w.emodpr(kData, rwx), Pf(kData, 0x8001));
}

TEST_F(ArchModel, EmodtOnlyNarrowsTheType) {
  EXPECT_EQ(w.emodt(kData, si(pt::kReg)), Gp());
  EXPECT_EQ(w.emodt(kSecs, si(pt::kTrim)), Pf(kSecs, 0x8001));
  EXPECT_EQ(w.emodt(kTcs, si(pt::kTcs)), Pf(kTcs, 0x8001));
  EXPECT_EQ(w.emodt(kTcs, si(pt::kTrim)), Ok());
}

TEST_F(ArchModel, EacceptOfTcsWithoutFreeSsaFrameIsGp) {
  ASSERT_EQ(w.eaug(5, kSecs, kFreePage), Ok());
  ASSERT_EQ(w.map(kFreePage, 5), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.eaccept(kT, kSsaPage, kFreePage, si(pt::kReg, true, true, false, true)), Ok());
  ASSERT_EQ(w.emodt(5, si(pt::kTcs)), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  ASSERT_EQ(w.eexit(kT), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  // A zeroed page has no free SSA frame (CSSA 0 >= NSSA 0).
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kFreePage, si(pt::kTcs, false, false, false, false, true)),
            Gp());
  EXPECT_TRUE(w.epcm(5).modified);
}

TEST_F(ArchModel, TcsImageStoredBeforeEmodtMakesAnEnterableTcs) {
  ASSERT_EQ(w.eaug(5, kSecs, kFreePage), Ok());
  ASSERT_EQ(w.map(kFreePage, 5), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.eaccept(kT, kSsaPage, kFreePage, si(pt::kReg, true, true, false, true)), Ok());
  EXPECT_EQ(w.store_tcs(kT, kFreePage, /*cssa=*/0, /*nssa=*/1, /*ossa=*/2), Ok());
  EXPECT_EQ(w.data(5).nssa, 1);
  ASSERT_EQ(w.emodt(5, si(pt::kTcs)), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  ASSERT_EQ(w.eexit(kT), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kFreePage, si(pt::kTcs, false, false, false, false, true)),
            Ok());
  ASSERT_EQ(w.eexit(kT), Ok());
  EXPECT_EQ(w.eenter(1, kFreePage), Ok());
  EXPECT_EQ(w.cpu(1).tcs, 5);
  EXPECT_TRUE(invariants_hold());
}

TEST_F(ArchModel, EacceptcopyFillsAPendingPage) {
  ASSERT_EQ(w.eaug(5, kSecs, kFreePage), Ok());
  ASSERT_EQ(w.map(kFreePage, 5), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  const SecInfo<C> rx = si(pt::kReg, true, false, true);
  EXPECT_EQ(w.eacceptcopy(kT, kSsaPage, kFreePage, kDataPage, rx), Ok());
  EXPECT_TRUE(w.epcm(5).r && w.epcm(5).x && !w.epcm(5).w && !w.epcm(5).pending);
  EXPECT_EQ(w.eacceptcopy(kT, kSsaPage, kFreePage, kDataPage, rx),
            Code(sgx::kPageAttributesMismatch));
}

TEST_F(ArchModel, EmodpeOnlyAddsRights) {
  ASSERT_EQ(w.emodpr(kData, si(pt::kReg, true)), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.emodpe(kT, kSsaPage, kDataPage, si(pt::kReg, false, true)), Ok());
  EXPECT_TRUE(w.epcm(kData).r && w.epcm(kData).w && !w.epcm(kData).x);
  EXPECT_TRUE(w.epcm(kData).pr);
  EXPECT_EQ(w.emodpe(kT, kTcsPage, kDataPage, si(pt::kReg, true)), Pf(kTcsPage, 0x8005));
}

// --- building -----------------------------------------------------------------------------

TEST(ArchModelBuild, EcreateChecksElrangeAndSecinfo) {
  World w;
  EXPECT_EQ(w.ecreate(0, 0, 3), Gp());  // not a power of two
  EXPECT_EQ(w.ecreate(0, 1, 2), Gp());  // base not aligned on size
  EXPECT_EQ(w.ecreate(0, 2, 4), Gp());  // past the address space
  EXPECT_EQ(w.ecreate(0, 0, 1), Gp());  // less than 2 pages
  EXPECT_EQ(arch::ecreate(w.d, w.s, EcreateOp<C>{1, 0, si(pt::kReg), 0, 2, true}), Gp());
  EXPECT_EQ(arch::ecreate(w.d, w.s, EcreateOp<C>{1, 0, si(pt::kSecs), 0, 2, false}), Gp());
  EXPECT_EQ(w.ecreate(kOutside, 2, 2), Pf(kOutside, 0));
  EXPECT_EQ(w.ecreate(0, 2, 2), Ok());
  EXPECT_EQ(w.ecreate(0, 0, 2), Pf(0, 0x8001));
  EXPECT_EQ(w.ecreate(1, 0, 2), Ok());
  EXPECT_EQ(w.data(1).eid, w.data(0).eid + 1);
}

TEST(ArchModelBuild, EaddChecksInSdmOrder) {
  World w;
  ASSERT_EQ(w.ecreate(0, 0, 4), Ok());
  const SecInfo<C> r = si(pt::kReg, true);
  EXPECT_EQ(w.eadd(kOutside + 1, 0, 1, r), Pf(kOutside + 1, 0));
  EXPECT_EQ(w.eadd(1, 2, 1, r), Pf(2, 0x8001));                 // not a SECS
  EXPECT_EQ(w.eadd(1, 2, 1, si(pt::kVa)), Gp());                // the SECINFO check comes first
  EXPECT_EQ(w.eadd(1, 0, 1, si(pt::kReg, false, true)), Gp());  // W without R
  EXPECT_EQ(w.eadd(1, 0, 5, r), Gp());                          // outside ELRANGE
  EXPECT_EQ(w.eadd(1, 0, 1, r), Ok());
  EXPECT_EQ(w.eadd(1, 0, 2, r), Pf(1, 0x8001));
  EXPECT_EQ(w.eadd(2, 0, 0, si(pt::kTcs, true, true, true), 1, 1), Ok());
  EXPECT_FALSE(w.epcm(2).r || w.epcm(2).w || w.epcm(2).x);  // a TCS gets no rights
  EXPECT_EQ(w.eextend(0, 1), Ok());
  EXPECT_EQ(w.eextend(2, 1), Gp());  // not the page's SECS
  ASSERT_EQ(w.einit(0), Ok());
  EXPECT_EQ(w.eadd(3, 0, 2, r), Gp());
  EXPECT_EQ(w.eextend(0, 1), Gp());
}

TEST(ArchModelBuild, EinitTakesVerdictsAroundTheSecsChecks) {
  World w;
  ASSERT_EQ(w.ecreate(0, 0, 4), Ok());
  EXPECT_EQ(w.einit(7, sgx::kInvalidSignature), Code(sgx::kInvalidSignature));
  EXPECT_EQ(w.einit(7), Pf(7, 0x8001));
  EXPECT_EQ(w.einit(0, 0, sgx::kInvalidEinitToken), Code(sgx::kInvalidEinitToken));
  EXPECT_FALSE(w.data(0).init);
  EXPECT_EQ(w.einit(0), Ok());
  EXPECT_EQ(w.einit(0, 0, sgx::kInvalidEinitToken), Gp());
}

// --- the invariants themselves ------------------------------------------------------------

TEST_F(ArchModel, InvariantsRejectBrokenStates) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.store(kT, kDataPage), Ok());
  ASSERT_TRUE(invariants_hold());
  const State<C> good = w.s;

  w.s.epcm[kData].valid = false;  // a TLB maps a freed slot
  EXPECT_FALSE(h1(w.d, w.s));
  EXPECT_FALSE(h2(w.d, w.s));
  w.s = good;
  w.s.epcm[kData].page = kFreePage;  // ...or a page at another address
  EXPECT_FALSE(h1(w.d, w.s));
  w.s = good;
  // ...or the enclave's SECS, whose ENCLAVESECS and address (0, 0) mean nothing but would
  // match a TLB entry at page 0 of the enclave in slot 0.
  w.s.cpu[kT].tlb[kTcsPage] = {true, kSecs, true, false, false};
  EXPECT_FALSE(h1(w.d, w.s));
  EXPECT_TRUE(h3(w.d, w.s));  // PR and MODIFIED mean nothing on a SECS: H1's concern
  w.s = good;
  w.s.epcm[kData].blocked = true;  // ...or was cached after being blocked
  w.s.epcm[kData].stamped = true;
  w.s.epcm[kData].stamp_age = 1;
  EXPECT_FALSE(h2(w.d, w.s));
  w.s = good;
  w.s.epcm[kData].w = false;  // a settled page cached with a right it lost
  EXPECT_FALSE(h3(w.d, w.s));
  w.s.epcm[kData].pr = true;  // fine while the restriction is not accepted
  EXPECT_TRUE(h3(w.d, w.s));
  w.s = good;
  w.s.epcm[kTcs].secs = 7;  // a page whose SECS slot is free
  EXPECT_FALSE(well_formed(w.d, w.s));
  w.s = good;
  w.s.epcm[kVa].page = 2;  // a VA page with an address
  EXPECT_FALSE(well_formed(w.d, w.s));
  w.s = good;
  w.s.epcm[kSecs].r = true;  // a SECS with rights
  EXPECT_FALSE(well_formed(w.d, w.s));
  w.s = good;
  ASSERT_EQ(w.ecreate(5, 0, 4), Ok());
  w.s.data[5].eid = w.s.data[kSecs].eid;  // two enclaves with one id
  EXPECT_FALSE(well_formed(w.d, w.s));

  w.s = good;
  ASSERT_EQ(w.ipi(kT), Ok());
  ASSERT_TRUE(w.evict(kData, 0, 0));
  ASSERT_TRUE(w.evict(kSsa, 1, 1));
  ASSERT_TRUE(h4(w.d, w.s));
  State<C> two_slots = w.s;
  two_slots.data[kVa].va[1] = two_slots.data[kVa].va[0];
  EXPECT_FALSE(h4(w.d, two_slots));
  State<C> two_blobs = w.s;
  two_blobs.blob[1].version = two_blobs.blob[0].version;
  EXPECT_FALSE(h4(w.d, two_blobs));
}

TEST_F(ArchModel, H4FollowsVersionsIntoEvictedVaPages) {
  ASSERT_EQ(w.epa(5), Ok());
  ASSERT_TRUE(w.evict(kData, 0, 0));     // version 1 in VA page kVa
  ASSERT_EQ(w.ewb(kVa, 5, 0, 1), Ok());  // kVa itself: version 2 in VA page 5
  EXPECT_TRUE(h4(w.d, w.s));
  State<C> twice = w.s;
  twice.data[5].va[1] = 1;  // version 1 now also sits in a resident slot
  EXPECT_FALSE(h4(w.d, twice));
}

}  // namespace
}  // namespace sgxref::model::test
