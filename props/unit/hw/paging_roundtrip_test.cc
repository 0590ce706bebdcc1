// EWB then ELDB/ELDU gives back every kind of page byte for byte with its EPCM
// attributes, whatever slot it comes back to (DESIGN.md D2 at the hardware level):
// REG and TCS pages of an enclave, a TRIM page, the SECS after its children, and VA
// pages evicted into other VA pages, forming a tree reloaded from the root.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "testlib/enclave_builder.h"
#include "testlib/enclave_fixture.h"
#include "testlib/pager.h"
#include "testlib/sgx2_ops.h"
#include "testlib/test_enclave.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::Blob;
using testlib::EnclaveBuilder;
using testlib::Pager;
using testlib::TestEnclave;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x40000;  // 64 pages
constexpr uint32_t kSecs = 0;
constexpr uint32_t kTcs = 1;        // at kBase
constexpr uint32_t kFirstReg = 2;   // REG pages in slots 2..kFirstReg+kRegs-1
constexpr uint32_t kRegs = 40;
constexpr uint32_t kFirstFree = kFirstReg + kRegs;  // 42..55 free
constexpr uint32_t kVaLeaf = 56;    // VA pages: two leaves, a root, a top
constexpr uint32_t kVaLeaf2 = 57;
constexpr uint32_t kVaRoot = 58;
constexpr uint32_t kVaTop = 59;

Config config() {
  Config c;
  c.epc_pages = 64;
  c.ram_pages = 256;
  return c;
}

uint64_t reg_linaddr(uint32_t i) { return kBase + (uint64_t(i) + 1) * kPageSize; }

// REG page i's permissions: all the combinations EADD accepts (W needs R).
uint64_t reg_flags(uint32_t i) {
  constexpr uint64_t kPerms[] = {sf::kR, sf::kR | sf::kW, sf::kR | sf::kX,
                                 sf::kR | sf::kW | sf::kX, sf::kX, 0};
  return sf::type(PageType::kReg) | kPerms[i % 6];
}

// An enclave with a TCS and 40 REG pages of distinct contents, and four VA pages.
class PagingRoundtrip : public ::testing::Test {
 protected:
  PagingRoundtrip() : m(config()), builder(m, kSecs), pager(m) {}

  void SetUp() override {
    ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
    const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0x1000);
    ASSERT_EQ(builder.add(kTcs, kBase, &tcs, sf::type(PageType::kTcs)), Result::ok());
    std::array<uint8_t, kPageSize> page;
    uint32_t x = 0x9E3779B9u;
    for (uint32_t i = 0; i < kRegs; ++i) {
      for (auto& b : page) {
        x = x * 1664525u + 1013904223u;
        b = uint8_t(x >> 24);
      }
      ASSERT_EQ(builder.add(kFirstReg + i, reg_linaddr(i), page.data(), reg_flags(i)),
                Result::ok());
    }
    for (uint32_t va : {kVaLeaf, kVaLeaf2, kVaRoot, kVaTop}) ASSERT_EQ(pager.epa(va), Result::ok());
    for (uint32_t slot = kSecs; slot < kFirstFree; ++slot) remember(slot);
  }

  // What a page must look like after it comes back: its bytes and its EPCM entry as
  // EWB found it, unblocked and unstamped (ELDU), in whatever slot.
  struct Original {
    std::vector<uint8_t> bytes;
    EpcmEntry entry;
  };
  void remember(uint32_t slot) {
    Original o{std::vector<uint8_t>(Inspector(m).page(slot), Inspector(m).page(slot) + kPageSize),
               Inspector(m).epcm(slot)};
    original[slot] = o;
  }
  void expect_restored(uint32_t from, uint32_t to, uint32_t secs_slot, bool blocked = false) {
    const Original& o = original.at(from);
    EXPECT_EQ(std::memcmp(Inspector(m).page(to), o.bytes.data(), kPageSize), 0) << "slot " << from;
    EpcmEntry want = o.entry;
    want.blocked = blocked;
    want.stamped = false;
    want.stamp = 0;
    if (want.type != PageType::kSecs && want.type != PageType::kVa) want.secs = secs_slot;
    EXPECT_EQ(Inspector(m).epcm(to), want) << "slot " << from;
  }

  // Evicts the TCS and every REG page the way Linux's reclaimer batches them: EBLOCK
  // each, one ETRACK, EWB each (into the two leaf VA pages, alternating).
  void evict_children() {
    for (uint32_t s = kTcs; s < kFirstFree; ++s) ASSERT_EQ(pager.eblock(s), Result::ok());
    ASSERT_EQ(pager.etrack(kSecs), Result::ok());
    for (uint32_t s = kTcs; s < kFirstFree; ++s) {
      const PAddr va = pager.va_slot(s % 2 ? kVaLeaf : kVaLeaf2, s);
      ASSERT_EQ(pager.ewb(s, va, blobs[s]), Result::ok()) << "slot " << s;
    }
  }

  Machine m;
  EnclaveBuilder builder;
  Pager pager;
  std::map<uint32_t, Original> original;
  std::map<uint32_t, Blob> blobs;  // by the slot the page was evicted from
};

TEST_F(PagingRoundtrip, RegAndTcsPagesComeBackByteForByteInOtherSlots) {
  evict_children();
  EXPECT_EQ(Inspector(m).counters().evictions, kRegs + 1);
  for (uint32_t s = kTcs; s < kFirstFree; ++s) ASSERT_FALSE(Inspector(m).epcm(s).valid);
  // Back in reverse order, so every page lands in another slot.
  for (uint32_t s = kTcs; s < kFirstFree; ++s) {
    const uint32_t to = kFirstFree - s;
    ASSERT_EQ(pager.eldu(blobs[s], to), Result::ok()) << "slot " << s;
    expect_restored(s, to, kSecs);
  }
  EXPECT_EQ(Inspector(m).counters().reloads, kRegs + 1);
  for (uint32_t va : {kVaLeaf, kVaLeaf2}) {
    for (uint64_t v : Inspector(m).va_slots(va)) EXPECT_EQ(v, 0u);
  }
}

TEST_F(PagingRoundtrip, EldbBringsPagesBackBlocked) {
  evict_children();
  for (uint32_t s = kTcs; s < kFirstFree; ++s) {
    ASSERT_EQ(pager.eldb(blobs[s], s), Result::ok());
    expect_restored(s, s, kSecs, /*blocked=*/true);
  }
}

TEST_F(PagingRoundtrip, SecsEvictedAfterItsChildrenAndReloadedFirst) {
  evict_children();
  remember(kSecs);  // its epoch moved with the ETRACK
  const SecsView view = Inspector(m).secs(kSecs);
  Blob secs_blob;
  ASSERT_EQ(pager.ewb(kSecs, pager.va_slot(kVaRoot, 0), secs_blob), Result::ok());
  EXPECT_EQ(secs_blob.pcmd.enclave_id, view.eid);

  // A child cannot come back before its SECS.
  Blob early = blobs[kFirstReg];
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(pager.eldu(early, kFirstReg), Result::epcm_pf(m.epc_addr(kSecs)));
  EXPECT_EQ(Inspector(m).snapshot(), before);

  // The SECS comes back elsewhere, with its enclave id and epoch; the children follow
  // it there (the driver hands ELDU the SECS's new address).
  constexpr uint32_t kNewSecs = kFirstFree;
  const uint64_t epoch = Inspector(m).tracking(kSecs).epoch;
  ASSERT_EQ(pager.eldu(secs_blob, kNewSecs), Result::ok());
  expect_restored(kSecs, kNewSecs, 0);
  EXPECT_EQ(Inspector(m).secs(kNewSecs), view);
  EXPECT_EQ(Inspector(m).tracking(kNewSecs).epoch, epoch);
  for (uint32_t s = kTcs; s < kFirstFree; ++s) {
    Blob b = blobs[s];
    b.secs = m.epc_addr(kNewSecs);
    ASSERT_EQ(pager.eldu(b, s), Result::ok()) << "slot " << s;
    expect_restored(s, s, kNewSecs);
  }
}

TEST_F(PagingRoundtrip, VaPagesEvictedIntoVaPagesFormATree) {
  evict_children();
  remember(kSecs);
  Blob secs_blob;
  ASSERT_EQ(pager.ewb(kSecs, pager.va_slot(kVaLeaf, 0), secs_blob), Result::ok());
  for (uint32_t va : {kVaLeaf, kVaLeaf2, kVaRoot}) remember(va);
  // Leaves into the root, the root into the top: only the top stays resident.
  Blob leaf_blob, leaf2_blob, root_blob;
  ASSERT_EQ(pager.ewb(kVaLeaf, pager.va_slot(kVaRoot, 10), leaf_blob), Result::ok());
  ASSERT_EQ(pager.ewb(kVaLeaf2, pager.va_slot(kVaRoot, 11), leaf2_blob), Result::ok());
  remember(kVaRoot);
  ASSERT_EQ(pager.ewb(kVaRoot, pager.va_slot(kVaTop, 500), root_blob), Result::ok());
  for (uint32_t s = kSecs; s < kFirstFree; ++s) ASSERT_FALSE(Inspector(m).epcm(s).valid);

  // Back from the root down, every VA page into another slot.
  constexpr uint32_t kRootAgain = kSecs;
  constexpr uint32_t kLeafAgain = kTcs;
  constexpr uint32_t kLeaf2Again = kFirstReg;
  ASSERT_EQ(pager.eldu(root_blob, kRootAgain), Result::ok());
  expect_restored(kVaRoot, kRootAgain, 0);
  leaf_blob.va_slot = pager.va_slot(kRootAgain, 10);
  leaf2_blob.va_slot = pager.va_slot(kRootAgain, 11);
  ASSERT_EQ(pager.eldu(leaf_blob, kLeafAgain), Result::ok());
  expect_restored(kVaLeaf, kLeafAgain, 0);
  ASSERT_EQ(pager.eldu(leaf2_blob, kLeaf2Again), Result::ok());
  expect_restored(kVaLeaf2, kLeaf2Again, 0);

  constexpr uint32_t kNewSecs = kVaLeaf;
  secs_blob.va_slot = pager.va_slot(kLeafAgain, 0);
  ASSERT_EQ(pager.eldu(secs_blob, kNewSecs), Result::ok());
  expect_restored(kSecs, kNewSecs, 0);
  for (uint32_t s = kTcs; s < kFirstFree; ++s) {
    // The first two slots now hold VA pages.
    const uint32_t to = s == kTcs ? kFirstFree : s == kFirstReg ? kFirstFree + 1 : s;
    Blob b = blobs[s];
    b.secs = m.epc_addr(kNewSecs);
    b.va_slot = pager.va_slot(s % 2 ? kLeafAgain : kLeaf2Again, s);
    ASSERT_EQ(pager.eldu(b, to), Result::ok()) << "slot " << s;
    expect_restored(s, to, kNewSecs);
  }
}

TEST_F(PagingRoundtrip, EldbPageNeedsNoEtrackBeforeItsNextEviction) {
  // ELDB leaves the page BLOCKED and unstamped: no CPU can have cached it since.
  Blob b;
  ASSERT_EQ(pager.evict(kFirstReg, pager.va_slot(kVaLeaf, 0), b), Result::ok());
  ASSERT_EQ(pager.eldb(b, kFirstReg), Result::ok());
  ASSERT_EQ(pager.ewb(kFirstReg, pager.va_slot(kVaLeaf, 0), b), Result::ok());
  ASSERT_EQ(pager.eldu(b, kFirstReg), Result::ok());
  expect_restored(kFirstReg, kFirstReg, kSecs);
}

TEST_F(PagingRoundtrip, EblockAfterElduNeedsEtrackAgain) {
  Blob b;
  ASSERT_EQ(pager.evict(kFirstReg, pager.va_slot(kVaLeaf, 0), b), Result::ok());
  ASSERT_EQ(pager.eldu(b, kFirstReg), Result::ok());
  ASSERT_EQ(pager.eblock(kFirstReg), Result::ok());
  EXPECT_EQ(pager.ewb(kFirstReg, pager.va_slot(kVaLeaf, 0), b),
            Result::error(SgxCode::kNotTracked));
  ASSERT_EQ(pager.etrack(kSecs), Result::ok());
  ASSERT_EQ(pager.ewb(kFirstReg, pager.va_slot(kVaLeaf, 0), b), Result::ok());
}

TEST_F(PagingRoundtrip, ManyCyclesKeepContents) {
  // Odd rounds reload with ELDB, so the next round evicts the still-blocked page
  // directly.
  for (int round = 0; round < 8; ++round) {
    const bool eldb = round % 2 == 1;
    for (uint32_t s = kFirstReg; s < kFirstReg + 8; ++s) {
      Blob b;
      const PAddr va = pager.va_slot(kVaRoot, s);
      ASSERT_EQ(Inspector(m).epcm(s).blocked ? pager.ewb(s, va, b) : pager.evict(s, va, b),
                Result::ok());
      ASSERT_EQ(eldb ? pager.eldb(b, s) : pager.eldu(b, s), Result::ok());
      expect_restored(s, s, kSecs, eldb);
    }
  }
}

// The selftests' test enclave, initialized and mapped, with CPU 0 to run it and CPU 3
// as the kernel, which pages through a VA page of its own.
class PagingUnderEnclave : public testlib::EnclaveFixture {
 protected:
  static constexpr uint32_t kKernel = 3;
  static constexpr uint32_t kVaPage = 20;
  static constexpr uint32_t kFree = 21;

  PagingUnderEnclave() = default;

  void SetUp() override {
    EnclaveFixture::SetUp();
    pager = std::make_unique<Pager>(m(), kKernel);
    ASSERT_EQ(pager->epa(kVaPage), Result::ok());
  }

  uint32_t secs() { return enclave().secs_slot(); }

  std::unique_ptr<Pager> pager;
};

TEST_F(PagingUnderEnclave, CpuInsideSinceBeforeEtrackBlocksEvictionUntilItLeaves) {
  const uint32_t data = slot(TestEnclave::kData);
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(store64(0, la(TestEnclave::kData), 0xFEED), Result::ok());
  const std::vector<TlbEntryView> tlb = Inspector(m()).cpu_view(0).tlb;
  ASSERT_TRUE(std::any_of(tlb.begin(), tlb.end(),
                          [&](const TlbEntryView& t) { return t.slot == data; }));

  // The kernel blocks the page and unmaps it, then tracks the enclave; CPU 0 entered
  // before that ETRACK and may still hold the translation.
  ASSERT_EQ(pager->eblock(data), Result::ok());
  pt().clear(la(TestEnclave::kData));
  ASSERT_EQ(pager->etrack(secs()), Result::ok());
  Blob b;
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(pager->ewb(data, pager->va_slot(kVaPage, 0), b), Result::error(SgxCode::kNotTracked));
  EXPECT_EQ(Inspector(m()).snapshot(), before);

  // The IPI forces CPU 0 out (AEX flushes its TLB); now the eviction goes through and
  // no TLB maps the slot.
  m().ipi(0);
  ASSERT_TRUE(cpu(0).take_interrupt());
  ASSERT_EQ(pager->ewb(data, pager->va_slot(kVaPage, 0), b), Result::ok());
  for (uint32_t c = 0; c < m().cpu_count(); ++c) {
    for (const TlbEntryView& t : Inspector(m()).cpu_view(c).tlb)
      EXPECT_NE(t.slot, data) << "cpu " << c;
  }

  // Reloaded elsewhere and mapped there, the page holds what the enclave wrote.
  ASSERT_EQ(pager->eldu(b, kFree), Result::ok());
  pt().set(la(TestEnclave::kData),
           Pte{.present = true, .writable = true, .nx = true, .pa = m().epc_addr(kFree)});
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(load64(0, la(TestEnclave::kData)), 0xFEEDu);
}

TEST_F(PagingUnderEnclave, TrimPageKeepsItsTypeAndModifiedState) {
  const uint32_t page = slot(TestEnclave::kData2);
  testlib::Sgx2Ops ops(m(), kKernel);
  ASSERT_EQ(ops.emodt(page, sf::type(PageType::kTrim)), Result::ok());
  const EpcmEntry trimmed = Inspector(m()).epcm(page);
  ASSERT_EQ(trimmed.type, PageType::kTrim);
  ASSERT_TRUE(trimmed.modified);
  const std::vector<uint8_t> bytes(Inspector(m()).page(page),
                                   Inspector(m()).page(page) + kPageSize);

  Blob b;
  ASSERT_EQ(pager->evict(page, pager->va_slot(kVaPage, 0), b), Result::ok());
  EXPECT_EQ(b.pcmd.secinfo.flags, sf::type(PageType::kTrim) | sf::kModified);
  ASSERT_EQ(pager->eldu(b, kFree), Result::ok());
  EpcmEntry want = trimmed;
  want.stamped = false;
  want.stamp = 0;
  EXPECT_EQ(Inspector(m()).epcm(kFree), want);
  EXPECT_EQ(std::memcmp(Inspector(m()).page(kFree), bytes.data(), kPageSize), 0);
}

}  // namespace
}  // namespace sgxref::hw
