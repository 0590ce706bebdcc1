// What the model's verdicts depend on (concrete domain, world.h's layout): ELDU's MAC
// over every field EWB bound, EINIT's comparison with what was measured, and whose report
// key EREPORT uses.
#include <gtest/gtest.h>

#include "model/leaves.h"
#include "model/world.h"

namespace sgxref::model::test {
namespace {

using namespace layout;

constexpr int64_t kT = 0;

class ArchVerdicts : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(w.build_enclave()); }
  World w;
};

TEST_F(ArchVerdicts, EwbBindsVersionEnclaveAddressFlagsAndContents) {
  ASSERT_TRUE(w.evict(kData, 0, 0));
  const Blob<C>& b = w.s.blob[0];
  EXPECT_EQ(b.version, w.data(kVa).va[0]);
  EXPECT_EQ(b.eid, w.data(kSecs).eid);
  EXPECT_EQ(b.page, kDataPage);
  EXPECT_TRUE(b.type == pt::kReg && b.r && b.w && b.x && !b.pending && !b.modified && !b.pr);
  EXPECT_EQ(b.data.words, w.data(kData).words);
}

TEST_F(ArchVerdicts, EldMacFailsWhenAnyBoundFlagIsAltered) {
  ASSERT_TRUE(w.evict(kData, 0, 0));
  const SecInfo<C> own = w.pcmd_of(0);
  for (int field = 0; field < 7; ++field) {
    SecInfo<C> altered = own;
    switch (field) {
      case 0: altered.r = !altered.r; break;
      case 1: altered.w = !altered.w; break;
      case 2: altered.x = !altered.x; break;
      case 3: altered.pending = !altered.pending; break;
      case 4: altered.modified = !altered.modified; break;
      case 5: altered.pr = !altered.pr; break;
      default: altered.reserved = true; break;
    }
    EXPECT_EQ(w.eldu_with(kData, kVa, 0, 0, kDataPage, kSecs, altered),
              Code(sgx::kMacCompareFail))
        << "field " << field;
  }
  // Another type is another kind of page: a TCS blob claimed as a VA page has no SECS.
  SecInfo<C> va = own;
  va.type = pt::kVa;
  EXPECT_EQ(w.eldu_with(kData, kVa, 0, 0, kDataPage, null_slot(w.s), va),
            Code(sgx::kMacCompareFail));
  EXPECT_EQ(w.eldu_with(kData, kVa, 0, 0, kDataPage, kSecs, own), Ok());
}

TEST_F(ArchVerdicts, EldMacFailsForAnotherVersionOfThePage) {
  ASSERT_TRUE(w.evict(kData, 0, 0));
  ASSERT_EQ(w.eldu(kData, kVa, 0, 0, kDataPage, kSecs), Ok());
  ASSERT_TRUE(w.evict(kData, 1, 1));
  // Blob 0 sealed an older version; slot 1 holds the newer one.
  EXPECT_EQ(w.eldu(kData, kVa, 1, 0, kDataPage, kSecs), Code(sgx::kMacCompareFail));
  EXPECT_EQ(w.eldu(kData, kVa, 1, 1, kDataPage, kSecs), Ok());
}

TEST_F(ArchVerdicts, EcreateEaddAndEextendCountAsMeasuredEvents) {
  World v;
  ASSERT_EQ(v.ecreate(0, 0, 4), Ok());
  EXPECT_EQ(v.data(0).mr_count, 1);
  ASSERT_EQ(v.eadd(1, 0, 2, si(pt::kReg, true, true)), Ok());
  EXPECT_EQ(v.data(0).mr_count, 2);
  EXPECT_EQ(v.data(0).mr_page, 2);
  ASSERT_EQ(v.eadd(2, 0, 1, si(pt::kReg, true)), Ok());
  ASSERT_EQ(v.eextend(0, 1), Ok());
  EXPECT_EQ(v.data(0).mr_count, 4);
  EXPECT_EQ(v.data(0).mr_page, 2);  // EEXTEND measured the page at 2
  EXPECT_EQ(v.eextend(0, 5), Pf(5, 0x8001));
  EXPECT_EQ(v.data(0).mr_count, 4);  // a refused leaf measures nothing
}

TEST_F(ArchVerdicts, EinitComparesTheClaimWithWhatWasMeasured) {
  World v;
  ASSERT_EQ(v.ecreate(0, 0, 4), Ok());
  ASSERT_EQ(v.eadd(1, 0, 2, si(pt::kReg, true, true)), Ok());
  ASSERT_EQ(v.eadd(2, 0, 1, si(pt::kReg, true)), Ok());
  EXPECT_EQ(v.einit_claiming(0, 2, 2), Code(sgx::kInvalidMeasurement));  // one event short
  EXPECT_EQ(v.einit_claiming(0, 3, 2), Code(sgx::kInvalidMeasurement));  // another last page
  // The measurement is checked before the launch checks.
  EXPECT_EQ(v.einit_claiming(0, 2, 1, 0, sgx::kInvalidEinitToken), Code(sgx::kInvalidMeasurement));
  EXPECT_FALSE(v.data(0).init);
  EXPECT_EQ(v.einit_claiming(0, 3, 1), Ok());
}

TEST_F(ArchVerdicts, EreportIsKeyedForTheTargetEnclave) {
  ASSERT_EQ(w.ecreate(5, 0, 4), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.ereport(kT, kSsaPage, kSsaPage, kDataPage, kSecs), Value(kSecs));
  EXPECT_EQ(w.ereport(kT, kSsaPage, kSsaPage, kDataPage, 5), Value(5));
  // A TARGETINFO naming no enclave: no enclave's key.
  EXPECT_EQ(w.ereport(kT, kSsaPage, kSsaPage, kDataPage, kVa), Value(null_slot(w.s)));
  EXPECT_EQ(w.ereport(kT, kSsaPage, kSsaPage, kTcsPage, kSecs), Pf(kTcsPage, 0x8007));
}

}  // namespace
}  // namespace sgxref::model::test
