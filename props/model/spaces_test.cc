// Address spaces (concrete domain): CPUs walk the page table CR3 names, so two enclaves
// can live at the same linear addresses in two processes, and a translation to the other
// one's page fails the ENCLAVESECS check.
#include <gtest/gtest.h>

#include "model/leaves.h"
#include "model/world.h"

namespace sgxref::model::test {
namespace {

using namespace layout;

constexpr int64_t kT = 0;

// A second enclave at the same ELRANGE (pages 0-3) in address space 1: SECS 5, TCS 6 at
// page 0 with its SSA frame at page 1 (REG 7), mapped there; CPU 0 runs in space 1.
class ArchSpaces : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(w.build_enclave());
    ASSERT_EQ(w.ecreate(5, 0, 4), Ok());
    ASSERT_EQ(w.eadd(6, 5, 0, si(pt::kTcs), 1, 1), Ok());
    ASSERT_EQ(w.eadd(7, 5, 1, si(pt::kReg, true, true), 0, 0, 8), Ok());
    ASSERT_EQ(w.einit(5), Ok());
    ASSERT_EQ(w.map(0, 6, true, false, 1), Ok());
    ASSERT_EQ(w.map(1, 7, true, false, 1), Ok());
  }
  World w;
};

TEST_F(ArchSpaces, EachCpuEntersTheEnclaveItsPageTableMaps) {
  ASSERT_EQ(w.cr3(kT, 1), Ok());
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.cpu(kT).secs, 5);
  EXPECT_EQ(w.load(kT, kSsaPage), Value(8));
  ASSERT_EQ(w.eenter(1, kTcsPage), Ok());
  EXPECT_EQ(w.cpu(1).secs, kSecs);
  EXPECT_EQ(w.load(1, kSsaPage), Value(2));
}

TEST_F(ArchSpaces, Cr3IsRefusedInEnclaveMode) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  EXPECT_EQ(w.cr3(kT, 1), Gp());
  EXPECT_TRUE(w.cpu(kT).mode);  // no AEX: the OS never ran there
  EXPECT_EQ(w.cpu(kT).space, 0);
}

TEST_F(ArchSpaces, AnotherEnclavesPageAtTheSameAddressFailsTheEnclaveCheck) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.map(kSsaPage, 7), Ok());  // space 0, page 1: enclave 5's REG page at page 1
  EXPECT_EQ(w.load(kT, kSsaPage), Pf(kSsaPage, 0x8005));
  EXPECT_FALSE(w.cpu(kT).mode);
}

TEST_F(ArchSpaces, PteChangeWithoutIpiKeepsTheOldTranslation) {
  ASSERT_EQ(w.eenter(kT, kTcsPage), Ok());
  ASSERT_EQ(w.load(kT, kSsaPage), Value(2));
  ASSERT_EQ(w.map(kSsaPage, 7), Ok());  // no IPI
  EXPECT_EQ(w.load(kT, kSsaPage), Value(2));  // the TLB still has enclave 0's page
  EXPECT_TRUE(h1(w.d, w.s));
  EXPECT_FALSE(tlb_follows_page_tables(w.d, w.s));
}

}  // namespace
}  // namespace sgxref::model::test
