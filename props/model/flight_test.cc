// Leaves in flight (concrete domain, world.h's layout): a leaf parked between its two
// phases holds its locks, and other CPUs' leaves meet them as SDM 41.1.5 says (#GP, or
// SGX_EPC_PAGE_CONFLICT for EBLOCK, EMODPR and EMODT); once it lands, they succeed.
#include <gtest/gtest.h>

#include "model/leaves.h"
#include "model/world.h"

namespace sgxref::model::test {
namespace {

using namespace layout;

constexpr int64_t kT = 0;  // enclave thread, or a second kernel CPU
constexpr int64_t kK = 1;  // the CPU whose leaf is parked

class ArchFlight : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(w.build_enclave()); }
  static Op eblock(int64_t slot) { return {kEblock, PageOp<C>{kK, slot}}; }
  World w;
};

TEST_F(ArchFlight, AParkedLeafIsInFlightUntilItLands) {
  const Op op = eblock(kData);
  EXPECT_EQ(w.begin(op), Ok());
  EXPECT_EQ(w.cpu(kK).flight.leaf, flight::kEblock);
  EXPECT_FALSE(w.epcm(kData).blocked);  // EBLOCK checks and commits in its second phase
  EXPECT_EQ(w.end(op), Ok());
  EXPECT_EQ(w.cpu(kK).flight.leaf, flight::kNone);
  EXPECT_TRUE(w.epcm(kData).blocked);
}

TEST_F(ArchFlight, SharedHolderRefusesExclusiveRequests) {
  ASSERT_EQ(w.begin(eblock(kData)), Ok());
  EXPECT_EQ(w.eremove(kData, kT), Gp());
  EXPECT_EQ(w.emodt(kData, si(pt::kTrim), kT), Code(sgx::kEpcPageConflict));
  EXPECT_EQ(w.eblock(kData, kT), Ok());  // Shared with Shared
  ASSERT_EQ(w.end(eblock(kData)), Code(sgx::kBlkState));
  EXPECT_EQ(w.eremove(kData, kT), Ok());
}

TEST_F(ArchFlight, ExclusiveHolderRefusesSharedRequests) {
  const Op remove{kEremove, PageOp<C>{kK, kData}};
  ASSERT_EQ(w.begin(remove), Ok());
  EXPECT_EQ(w.eblock(kData, kT), Code(sgx::kEpcPageConflict));
  EXPECT_EQ(w.emodpr(kData, si(pt::kReg, true), kT), Gp());
  EXPECT_EQ(w.end(remove), Ok());
}

TEST_F(ArchFlight, Sgx2LeavesExcludeEachOtherOnAPage) {
  const Op restrict{kEmodpr, ModifyOp<C>{kK, kData, si(pt::kReg, true)}};
  ASSERT_EQ(w.begin(restrict), Ok());
  EXPECT_EQ(w.emodpr(kData, si(pt::kReg, true), kT), Code(sgx::kEpcPageConflict));
  EXPECT_EQ(w.emodt(kData, si(pt::kTrim), kT), Code(sgx::kEpcPageConflict));
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.emodpe(kT, kSsaPage, kDataPage, si(pt::kReg, true)), Gp());
  ASSERT_EQ(w.eresume(kT, kTcsPage), Ok());
  EXPECT_EQ(w.load(kT, kDataPage), Value(kDataWord));  // accesses take no lock
  ASSERT_EQ(w.end(restrict), Ok());
  EXPECT_EQ(w.emodpe(kT, kSsaPage, kDataPage, si(pt::kReg, true)), Ok());
}

TEST_F(ArchFlight, EacceptHoldsTheSgx2LockAgainstEmodpr) {
  ASSERT_EQ(w.emodpr(kData, si(pt::kReg, true)), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  const Op accept{kEaccept, AcceptOp<C>{kT, kSsaPage, kDataPage,
                                        si(pt::kReg, true, false, false, false, false, true)}};
  ASSERT_EQ(w.begin(accept), Ok());
  EXPECT_EQ(w.emodpr(kData, si(pt::kReg), kK), Code(sgx::kEpcPageConflict));
  EXPECT_EQ(w.end(accept), Ok());
}

TEST_F(ArchFlight, EwbAndEldOnOneVaSlotExcludeEachOther) {
  ASSERT_TRUE(w.evict(kSsa, 1, 1));
  ASSERT_EQ(w.eblock(kData), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  const Op ewb{kEwb, EwbOp<C>{kK, kData, kVa, 1, 0}};
  ASSERT_EQ(w.begin(ewb), Ok());
  EXPECT_EQ(w.eldu(5, kVa, 1, 1, kSsaPage, kSecs, true, kT), Gp());  // slot 1 is claimed
  EXPECT_EQ(w.end(ewb), Code(sgx::kVaSlotOccupied));
}

TEST_F(ArchFlight, EtrackHoldsTheTrackingResource) {
  ASSERT_EQ(w.eblock(kData), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  const Op track{kEtrack, EtrackOp<C>{kK, kSecs}};
  ASSERT_EQ(w.begin(track), Ok());
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0, kT), Gp());
  EXPECT_EQ(w.etrack(kSecs, kT), Gp());
  ASSERT_EQ(w.end(track), Ok());
  EXPECT_EQ(w.ewb(kData, kVa, 0, 0, kT), Ok());
}

TEST_F(ArchFlight, ACpuEnteringBetweenEtracksPhasesCountsAsBefore) {
  const Op track{kEtrack, EtrackOp<C>{kK, kSecs}};
  ASSERT_EQ(w.begin(track), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.end(track), Ok());
  EXPECT_EQ(w.cpu(kT).entry_age, 1);
  EXPECT_EQ(w.etrack(kSecs), Code(sgx::kPrevTrkIncmpl));
}

TEST_F(ArchFlight, MeasurementLockExcludesEaddEextendAndEinit) {
  World v;
  ASSERT_EQ(v.ecreate(0, 0, 4), Ok());
  ASSERT_EQ(v.eadd(1, 0, 1, si(pt::kReg, true)), Ok());
  const Op extend{kEextend, EextendOp<C>{kK, 0, 1}};
  ASSERT_EQ(v.begin(extend), Ok());
  EXPECT_EQ(v.eadd(2, 0, 2, si(pt::kReg, true), 0, 0, 0, kT), Gp());
  EXPECT_EQ(v.eextend(0, 1, kT), Gp());
  EXPECT_EQ(v.einit(0, 0, 0, kT), Gp());
  ASSERT_EQ(v.end(extend), Ok());
  EXPECT_EQ(v.data(0).mr_count, 3);
}

TEST_F(ArchFlight, VersionsTakenInFlightAreNotHandedOutAgain) {
  ASSERT_EQ(w.epa(5), Ok());
  ASSERT_EQ(w.eblock(kData), Ok());
  ASSERT_EQ(w.eblock(kSsa), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  const Op first{kEwb, EwbOp<C>{kK, kData, kVa, 0, 0}};
  ASSERT_EQ(w.begin(first), Ok());
  ASSERT_EQ(w.ewb(kSsa, 5, 0, 1, kT), Ok());
  ASSERT_EQ(w.end(first), Ok());
  EXPECT_NE(w.s.blob[0].version, w.s.blob[1].version);
  EXPECT_TRUE(h4(w.d, w.s));
}

TEST_F(ArchFlight, EnclaveIdsAreTheSmallestNoEnclaveHolds) {
  const int64_t first = w.data(kSecs).eid;
  ASSERT_EQ(w.ecreate(5, 0, 4), Ok());
  EXPECT_NE(w.data(5).eid, first);
  ASSERT_EQ(w.eremove(5), Ok());
  ASSERT_EQ(w.ecreate(6, 0, 4), Ok());
  EXPECT_NE(w.data(6).eid, first);
}

}  // namespace
}  // namespace sgxref::model::test
