// Paging leaves overlapping other leaves on the same pages (SDM vol. 3D 41.1.5 and the
// concurrency tables of EBLOCK, EWB and ELDB/ELDU): one leaf is parked by
// testlib::PauseAt inside its work with its architectural locks held while the test
// thread runs another. EBLOCK answers SGX_EPC_PAGE_CONFLICT; EWB and ELDx answer #GP;
// a refused leaf changes nothing, and the parked leaf then finishes normally.
#include <gtest/gtest.h>

#include <array>
#include <functional>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "testlib/pager.h"
#include "testlib/pause_at.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"

namespace sgxref::hw {
namespace {

using testlib::Blob;
using testlib::EnclaveBuilder;
using testlib::Pager;
using testlib::overlap;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
constexpr uint64_t kRegFlags = sf::type(PageType::kReg) | sf::kR | sf::kW;
constexpr uint32_t kSecs = 0;
constexpr uint32_t kReg = 1;   // at kBase + 0x1000
constexpr uint32_t kReg2 = 2;  // at kBase + 0x2000
constexpr uint32_t kVa = 3;
constexpr uint32_t kVa2 = 4;
constexpr uint32_t kFree = 5;
constexpr uint32_t kFree2 = 6;

// An enclave with two REG pages and two VA pages, built on CPU 0. The parked leaf runs
// on CPU 1 in its own thread (pager `parked`); the test thread's leaf on CPU 2
// (pager `other`).
class PagingOverlap : public ::testing::Test {
 protected:
  PagingOverlap()
      : m(testlib::small_config(8, 128)), builder(m, kSecs), setup(m, 0), parked(m, 1),
        other(m, 2) {}

  void SetUp() override {
    ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
    ASSERT_EQ(builder.add(kReg, kBase + 0x1000, page.data(), kRegFlags), Result::ok());
    ASSERT_EQ(builder.add(kReg2, kBase + 0x2000, page.data(), kRegFlags), Result::ok());
    ASSERT_EQ(setup.epa(kVa), Result::ok());
    ASSERT_EQ(setup.epa(kVa2), Result::ok());
  }

  void expect_refused(const std::function<Result()>& leaf, const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(leaf(), refusal);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }
  void expect_conflict(const std::function<Result()>& leaf) {
    expect_refused(leaf, Result::error(SgxCode::kEpcPageConflict));
  }
  void expect_gp(const std::function<Result()>& leaf) { expect_refused(leaf, Result::gp()); }

  // Blocks both REG pages and tracks them, ready for EWB.
  void block_and_track() {
    ASSERT_EQ(setup.eblock(kReg), Result::ok());
    ASSERT_EQ(setup.eblock(kReg2), Result::ok());
    ASSERT_EQ(setup.etrack(kSecs), Result::ok());
  }

  Machine m;
  EnclaveBuilder builder;
  Pager setup;
  Pager parked;
  Pager other;
  std::array<uint8_t, kPageSize> page{};
  Blob blob;
  Blob blob2;
};

TEST_F(PagingOverlap, EblockOfPageBeingAddedIsEpcPageConflict) {
  EnclaveBuilder adder(m, kSecs, /*cpu=*/1);
  const Result added = overlap(
      "eadd.measuring", [&] { return adder.add(kFree, kBase + 0x3000, page.data(), kRegFlags); },
      [&] { expect_conflict([&] { return other.eblock(kFree); }); });
  EXPECT_EQ(added, Result::ok());
}

TEST_F(PagingOverlap, EblockOfPageBeingEvictedIsEpcPageConflict) {
  block_and_track();
  const Result evicted = overlap(
      "ewb.locked", [&] { return parked.ewb(kReg, parked.va_slot(kVa, 0), blob); },
      [&] { expect_conflict([&] { return other.eblock(kReg); }); });
  EXPECT_EQ(evicted, Result::ok());
}

TEST_F(PagingOverlap, EblockOfPageBeingLoadedIsEpcPageConflict) {
  ASSERT_EQ(setup.evict(kReg, setup.va_slot(kVa, 0), blob), Result::ok());
  const Result loaded = overlap(
      "eldu.locked", [&] { return parked.eldu(blob, kFree); },
      [&] { expect_conflict([&] { return other.eblock(kFree); }); });
  EXPECT_EQ(loaded, Result::ok());
}

TEST_F(PagingOverlap, EblockOfPageBeingRemovedIsEpcPageConflict) {
  const Result removed = overlap(
      "eremove.locked", [&] { return m.cpu(1).eremove(m.epc_addr(kReg)); },
      [&] { expect_conflict([&] { return other.eblock(kReg); }); });
  EXPECT_EQ(removed, Result::ok());
}

TEST_F(PagingOverlap, TwoEblocksOfOnePageBlockItOnce) {
  const Result first = overlap(
      "eblock.locked", [&] { return parked.eblock(kReg); },
      [&] { EXPECT_EQ(other.eblock(kReg), Result::ok()); });
  EXPECT_EQ(first, Result::error(SgxCode::kBlkState, true));
  EXPECT_TRUE(Inspector(m).epcm(kReg).blocked);
}

TEST_F(PagingOverlap, EwbOfPageBeingBlockedIsGp) {
  ASSERT_EQ(setup.eblock(kReg2), Result::ok());
  ASSERT_EQ(setup.etrack(kSecs), Result::ok());
  const Result blocked = overlap(
      "eblock.locked", [&] { return parked.eblock(kReg2); },
      [&] { expect_gp([&] { return other.ewb(kReg2, other.va_slot(kVa, 0), blob); }); });
  EXPECT_EQ(blocked, Result::error(SgxCode::kBlkState, true));
}

TEST_F(PagingOverlap, EwbsShareAVaPage) {
  block_and_track();
  const Result first = overlap(
      "ewb.locked", [&] { return parked.ewb(kReg, parked.va_slot(kVa, 0), blob); },
      [&] { EXPECT_EQ(other.ewb(kReg2, other.va_slot(kVa, 1), blob2), Result::ok()); });
  EXPECT_EQ(first, Result::ok());
  EXPECT_EQ(setup.eldu(blob, kReg), Result::ok());
  EXPECT_EQ(setup.eldu(blob2, kReg2), Result::ok());
}

TEST_F(PagingOverlap, EwbIntoVaSlotInUseIsGp) {
  block_and_track();
  const Result first = overlap(
      "ewb.locked", [&] { return parked.ewb(kReg, parked.va_slot(kVa, 0), blob); },
      [&] { expect_gp([&] { return other.ewb(kReg2, other.va_slot(kVa, 0), blob2); }); });
  EXPECT_EQ(first, Result::ok());
}

TEST_F(PagingOverlap, EldbFromVaSlotInUseIsGp) {
  // Two loads of one blob racing: only one of them can be the one that consumes the
  // version.
  ASSERT_EQ(setup.evict(kReg, setup.va_slot(kVa, 0), blob), Result::ok());
  const Result loaded = overlap(
      "eldu.locked", [&] { return parked.eldu(blob, kFree); },
      [&] { expect_gp([&] { return other.eldb(blob, kFree2); }); });
  EXPECT_EQ(loaded, Result::ok());
  EXPECT_EQ(other.eldb(blob, kFree2), Result::error(SgxCode::kMacCompareFail));
}

TEST_F(PagingOverlap, EwbIntoVaSlotBeingLoadedFromIsGp) {
  ASSERT_EQ(setup.evict(kReg, setup.va_slot(kVa, 0), blob), Result::ok());
  ASSERT_EQ(setup.eblock(kReg2), Result::ok());
  ASSERT_EQ(setup.etrack(kSecs), Result::ok());
  const Result loaded = overlap(
      "eldb.locked", [&] { return parked.eldb(blob, kFree); },
      [&] { expect_gp([&] { return other.ewb(kReg2, other.va_slot(kVa, 0), blob2); }); });
  EXPECT_EQ(loaded, Result::ok());
}

TEST_F(PagingOverlap, EwbOfVaPageInUseIsGp) {
  block_and_track();
  const Result first = overlap(
      "ewb.locked", [&] { return parked.ewb(kReg, parked.va_slot(kVa, 0), blob); },
      [&] { expect_gp([&] { return other.ewb(kVa, other.va_slot(kVa2, 0), blob2); }); });
  EXPECT_EQ(first, Result::ok());
}

TEST_F(PagingOverlap, EwbIntoVaPageBeingEvictedIsGp) {
  block_and_track();
  const Result evicted = overlap(
      "ewb.locked", [&] { return parked.ewb(kVa, parked.va_slot(kVa2, 0), blob); },
      [&] { expect_gp([&] { return other.ewb(kReg, other.va_slot(kVa, 0), blob2); }); });
  EXPECT_EQ(evicted, Result::ok());
}

TEST_F(PagingOverlap, EremoveOfVaPageInUseIsGp) {
  block_and_track();
  const Result first = overlap(
      "ewb.locked", [&] { return parked.ewb(kReg, parked.va_slot(kVa, 0), blob); },
      [&] { expect_gp([&] { return m.cpu(2).eremove(m.epc_addr(kVa)); }); });
  EXPECT_EQ(first, Result::ok());
}

TEST_F(PagingOverlap, EldIntoPageBeingAddedIsGp) {
  ASSERT_EQ(setup.evict(kReg, setup.va_slot(kVa, 0), blob), Result::ok());
  EnclaveBuilder adder(m, kSecs, /*cpu=*/1);
  const Result added = overlap(
      "eadd.measuring", [&] { return adder.add(kFree, kBase + 0x3000, page.data(), kRegFlags); },
      [&] { expect_gp([&] { return other.eldu(blob, kFree); }); });
  EXPECT_EQ(added, Result::ok());
}

TEST_F(PagingOverlap, EldFromVaPageBeingEvictedIsGp) {
  ASSERT_EQ(setup.evict(kReg, setup.va_slot(kVa, 0), blob), Result::ok());
  const Result evicted = overlap(
      "ewb.locked", [&] { return parked.ewb(kVa, parked.va_slot(kVa2, 0), blob2); },
      [&] { expect_gp([&] { return other.eldu(blob, kFree); }); });
  EXPECT_EQ(evicted, Result::ok());
}

TEST_F(PagingOverlap, EpaOfPageBeingLoadedIsGp) {
  ASSERT_EQ(setup.evict(kReg, setup.va_slot(kVa, 0), blob), Result::ok());
  const Result loaded = overlap(
      "eldu.locked", [&] { return parked.eldu(blob, kFree); },
      [&] { expect_gp([&] { return other.epa(kFree); }); });
  EXPECT_EQ(loaded, Result::ok());
}

TEST_F(PagingOverlap, EldOfChildWhileItsSecsIsEvictedIsGp) {
  block_and_track();
  ASSERT_EQ(setup.ewb(kReg, setup.va_slot(kVa, 0), blob), Result::ok());
  ASSERT_EQ(setup.ewb(kReg2, setup.va_slot(kVa, 1), blob2), Result::ok());
  Blob secs_blob;
  const Result evicted = overlap(
      "ewb.locked", [&] { return parked.ewb(kSecs, parked.va_slot(kVa2, 0), secs_blob); },
      [&] { expect_gp([&] { return other.eldu(blob, kFree); }); });
  EXPECT_EQ(evicted, Result::ok());
}

TEST_F(PagingOverlap, EwbWhileEtrackRunsIsGp) {
  ASSERT_EQ(setup.eblock(kReg), Result::ok());
  const Result tracked = overlap(
      "etrack.locked", [&] { return parked.etrack(kSecs); },
      [&] { expect_gp([&] { return other.ewb(kReg, other.va_slot(kVa, 0), blob); }); });
  EXPECT_EQ(tracked, Result::ok());
  EXPECT_EQ(other.ewb(kReg, other.va_slot(kVa, 0), blob), Result::ok());
}

}  // namespace
}  // namespace sgxref::hw
