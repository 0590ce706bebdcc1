// The arch model's contents: stores write a word, loads and fetches read it, and EADD,
// EAUG, EWB, ELDU and EACCEPTCOPY carry whole pages (concrete domain, world.h's layout).
#include <gtest/gtest.h>

#include "model/leaves.h"
#include "model/world.h"

namespace sgxref::model::test {
namespace {

using namespace layout;

constexpr int64_t kT = 0;

class ArchContents : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(w.build_enclave()); }
  World w;
};

TEST_F(ArchContents, EaddCopiesTheSourceWords) {
  EXPECT_EQ(w.data(kTcs).words, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(w.data(kSsa).words, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(w.data(kData).words, (std::vector<int64_t>{kDataWord, kDataWord}));
}

TEST_F(ArchContents, StoresWriteOneWordAndLoadsReadIt) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.store(kT, kDataPage, 1, 11), Ok());      // through a walk
  EXPECT_EQ(w.load(kT, kDataPage, 1), Value(11));      // through the TLB
  EXPECT_EQ(w.load(kT, kDataPage, 0), Value(kDataWord));
  EXPECT_EQ(w.store(kT, kDataPage, 0, 7), Ok());       // through the TLB
  EXPECT_EQ(w.fetch(kT, kDataPage, 0), Value(7));
  EXPECT_EQ(w.data(kData).words, (std::vector<int64_t>{7, 11}));
}

TEST_F(ArchContents, AFaultingAccessReadsAndWritesNothing) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.load(kT, kFreePage, 0), Pf(kFreePage, 0x4));
  ASSERT_EQ(w.eresume(kT, kTcsPage), Ok());
  EXPECT_EQ(w.store(kT, kTcsPage, 0, 5), Pf(kTcsPage, 0x8007));  // a TCS is no data page
  EXPECT_EQ(w.data(kTcs).words, (std::vector<int64_t>{0, 0}));
}

// The words lie in a TCS's reserved bytes, which must be zero.
TEST_F(ArchContents, ATcsWithWordsIsNoTcs) {
  World v;
  ASSERT_EQ(v.ecreate(0, 0, 4), Ok());
  EXPECT_EQ(v.eadd(1, 0, 0, si(pt::kTcs), 1, 1, /*content=*/4), Gp());
  ASSERT_EQ(w.emodt(kData, si(pt::kTcs)), Ok());
  ASSERT_EQ(w.etrack(kSecs), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  const SecInfo<C> tcs = si(pt::kTcs, false, false, false, false, true);
  EXPECT_EQ(w.eaccept(kT, kSsaPage, kDataPage, tcs), Gp());
}

TEST_F(ArchContents, WhereThereIsNoEnclavePageLoadsReadAllOnes) {
  // Outside enclave mode the EPC is the abort page, and the model keeps no other memory.
  EXPECT_EQ(w.load(kT, kDataPage, 0), Value(kNoData));
  EXPECT_EQ(w.store(kT, kDataPage, 0, 5), Ok());  // dropped
  EXPECT_EQ(w.data(kData).words[0], kDataWord);
  ASSERT_EQ(w.map(kFreePage, kOutside), Ok());
  EXPECT_EQ(w.load(kT, kFreePage, 1), Value(kNoData));
}

TEST_F(ArchContents, EvictionAndReloadCarryTheWords) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.store(kT, kDataPage, 1, 12), Ok());
  ASSERT_EQ(w.eexit(kT), Ok());
  ASSERT_TRUE(w.evict(kData, 0, 0));
  EXPECT_EQ(w.s.blob[0].data.words, (std::vector<int64_t>{kDataWord, 12}));
  w.s.data[kData].words = {0, 0};  // what the slot held meanwhile does not matter
  ASSERT_EQ(w.eldu(kData, kVa, 0, 0, kDataPage, kSecs), Ok());
  EXPECT_EQ(w.data(kData).words, (std::vector<int64_t>{kDataWord, 12}));
}

TEST_F(ArchContents, EaugZeroesAndEacceptcopyCopiesTheSource) {
  ASSERT_EQ(w.eaug(5, kSecs, kFreePage), Ok());
  EXPECT_EQ(w.data(5).words, (std::vector<int64_t>{0, 0}));
  ASSERT_EQ(w.map(kFreePage, 5), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.store(kT, kDataPage, 0, 13), Ok());
  EXPECT_EQ(w.eacceptcopy(kT, kSsaPage, kFreePage, kDataPage, si(pt::kReg, true)), Ok());
  EXPECT_EQ(w.load(kT, kFreePage, 0), Value(13));
  EXPECT_EQ(w.load(kT, kFreePage, 1), Value(kDataWord));
}

}  // namespace
}  // namespace sgxref::model::test
