// EWB: SDM vol. 3D "EWB—Invalidate an EPC Page and Write out to Main Memory". What the
// blob is worth on reload (the MAC binding) is in paging_tamper_test.cc; conflicts with
// other leaves in paging_overlap_test.cc.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "hw/paging_state.h"
#include "testlib/enclave_builder.h"
#include "testlib/kernel_memory.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::EnclaveBuilder;
using testlib::KernelMemory;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
constexpr uint32_t kSecs = 0;
constexpr uint32_t kReg = 1;  // at kBase + 0x1000
constexpr uint32_t kTcs = 2;  // at kBase
constexpr uint32_t kVa = 3;
constexpr uint32_t kVa2 = 4;
constexpr uint32_t kFree = 5;

// An enclave (SECS in slot 0) with a REG page in slot 1 and a TCS in slot 2, two VA
// pages in slots 3 and 4, and the operands of one EWB, valid until a test spoils one.
class Ewb : public ::testing::Test {
 protected:
  Ewb()
      : m(testlib::small_config()), mem(m), builder(m, kSecs), srcpge(mem.frame()),
        pcmd(mem.frame()) {
    for (size_t i = 0; i < page.size(); ++i) page[i] = uint8_t(i * 7 + 3);
  }

  void SetUp() override {
    ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
    ASSERT_EQ(builder.add(kReg, kBase + 0x1000, page.data(),
                          sf::type(PageType::kReg) | sf::kR | sf::kW | sf::kX),
              Result::ok());
    const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0x1000);
    ASSERT_EQ(builder.add(kTcs, kBase, &tcs, sf::type(PageType::kTcs)), Result::ok());
    ASSERT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(kVa)), Result::ok());
    ASSERT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(kVa2)), Result::ok());
  }

  PAddr slot_of(uint32_t va_page, uint32_t index) const {
    return m.epc_addr(va_page) + index * kVaSlotSize;
  }

  Result run(PAddr epc, PAddr va_slot) {
    const uapi::PageInfo pi{.linaddr = linaddr, .srcpge = srcpge, .secinfo = pcmd,
                            .secs = secs};
    pageinfo = mem.put(pi, pageinfo_offset);
    return m.cpu(0).ewb(pageinfo, epc, va_slot);
  }
  Result run(uint32_t slot) { return run(m.epc_addr(slot), slot_of(kVa2, 5)); }

  void expect_refused(PAddr epc, PAddr va_slot, const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(run(epc, va_slot), refusal);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }
  void expect_refused(uint32_t slot, const Result& refusal) {
    expect_refused(m.epc_addr(slot), slot_of(kVa2, 5), refusal);
  }

  void remove_children() {
    ASSERT_EQ(m.cpu(0).eremove(m.epc_addr(kReg)), Result::ok());
    ASSERT_EQ(m.cpu(0).eremove(m.epc_addr(kTcs)), Result::ok());
  }

  uint64_t va_slot_value(uint32_t va_page, uint32_t index) const {
    return Inspector(m).va_slots(va_page).at(index);
  }

  Machine m;
  KernelMemory mem;
  EnclaveBuilder builder;
  std::array<uint8_t, kPageSize> page{};
  PAddr srcpge;
  PAddr pcmd;
  PAddr pageinfo = 0;
  uint64_t pageinfo_offset = 0;
  uint64_t linaddr = 0;
  uint64_t secs = 0;
};

TEST_F(Ewb, MisalignedPageinfoIsGp) {
  pageinfo_offset = 16;
  expect_refused(kVa, Result::gp());
}

TEST_F(Ewb, MisalignedPageIsGp) {
  expect_refused(m.epc_addr(kVa) + 0x800, slot_of(kVa2, 5), Result::gp());
}

TEST_F(Ewb, NonEpcPageIsPf) {
  const PAddr ram = mem.frame();
  expect_refused(ram, slot_of(kVa2, 5), Result::pf(ram, 0));
}

TEST_F(Ewb, MisalignedVaSlotIsGp) {
  expect_refused(m.epc_addr(kVa), slot_of(kVa2, 5) + 4, Result::gp());
}

TEST_F(Ewb, NonEpcVaSlotIsPf) {
  const PAddr ram = mem.frame() + 8;
  expect_refused(m.epc_addr(kVa), ram, Result::pf(ram, 0));
}

TEST_F(Ewb, VaSlotInEvictedPageIsGp) {
  expect_refused(m.epc_addr(kVa), slot_of(kVa, 7), Result::gp());
}

TEST_F(Ewb, UnmappedPageinfoIsPf) {
  const PAddr unmapped = kRamBase + 0x1000'0000;
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).ewb(unmapped, m.epc_addr(kVa), slot_of(kVa2, 5)), Result::pf(unmapped, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Ewb, NonzeroLinaddrIsGp) {
  linaddr = kBase;
  expect_refused(kVa, Result::gp());
}

TEST_F(Ewb, NonzeroSecsIsGp) {
  secs = m.epc_addr(kSecs);
  expect_refused(kVa, Result::gp());
}

TEST_F(Ewb, MisalignedPcmdIsGp) {
  pcmd += 64;
  expect_refused(kVa, Result::gp());
}

TEST_F(Ewb, MisalignedSrcpgeIsGp) {
  srcpge += 128;
  expect_refused(kVa, Result::gp());
}

TEST_F(Ewb, InvalidPageIsPf) {
  expect_refused(kFree, Result::epcm_pf(m.epc_addr(kFree)));
}

TEST_F(Ewb, VaSlotInInvalidPageIsPf) {
  expect_refused(m.epc_addr(kVa), slot_of(kFree, 1), Result::epcm_pf(slot_of(kFree, 1)));
}

TEST_F(Ewb, VaSlotInNonVaPageIsPf) {
  expect_refused(m.epc_addr(kVa), slot_of(kReg, 1), Result::epcm_pf(slot_of(kReg, 1)));
}

TEST_F(Ewb, UnblockedRegPageIsPageNotBlocked) {
  expect_refused(kReg, Result::error(SgxCode::kPageNotBlocked));
}

TEST_F(Ewb, UnblockedTcsPageIsPageNotBlocked) {
  expect_refused(kTcs, Result::error(SgxCode::kPageNotBlocked));
}

TEST_F(Ewb, BlockedUntrackedPageIsNotTracked) {
  ASSERT_EQ(m.cpu(0).eblock(m.epc_addr(kReg)), Result::ok());
  expect_refused(kReg, Result::error(SgxCode::kNotTracked));
}

TEST_F(Ewb, SecsWithResidentChildIsChildPresent) {
  ASSERT_EQ(m.cpu(0).eremove(m.epc_addr(kReg)), Result::ok());
  expect_refused(kSecs, Result::error(SgxCode::kChildPresent));
}

TEST_F(Ewb, UnmappedSrcpgeIsPf) {
  srcpge = kRamBase + 0x1000'0000;
  expect_refused(kVa, Result::pf(srcpge, pfec::kW));
}

TEST_F(Ewb, UnmappedPcmdIsPf) {
  pcmd = kRamBase + 0x1000'0000;
  expect_refused(kVa, Result::pf(pcmd, pfec::kW));
}

TEST_F(Ewb, EvictsVaPage) {
  // The VA page holds one version, of the SECS evicted into its slot 8.
  remove_children();
  ASSERT_EQ(run(m.epc_addr(kSecs), slot_of(kVa, 8)), Result::ok());
  const uint64_t held = va_slot_value(kVa, 8);
  std::vector<uint8_t> garbage(kPageSize, 0xEE);
  mem.write(srcpge, garbage.data(), garbage.size());
  mem.write(pcmd, garbage.data(), sizeof(uapi::Pcmd));
  const uint64_t version = Inspector(m).snapshot().paging_version;

  ASSERT_EQ(run(kVa), Result::ok());
  EXPECT_FALSE(Inspector(m).epcm(kVa).valid);
  EXPECT_EQ(va_slot_value(kVa2, 5), version);
  EXPECT_EQ(Inspector(m).snapshot().paging_version, version + 1);
  EXPECT_EQ(Inspector(m).counters().evictions, 2u);
  const auto pc = mem.get<uapi::Pcmd>(pcmd);
  EXPECT_EQ(pc.secinfo.flags, sf::type(PageType::kVa));
  EXPECT_EQ(pc.enclave_id, 0u);
  for (uint8_t b : pc.secinfo.reserved) EXPECT_EQ(b, 0);
  for (uint8_t b : pc.reserved) EXPECT_EQ(b, 0);
  EXPECT_EQ(mem.get<uapi::PageInfo>(pageinfo).linaddr, 0u);
  // The page went out encrypted: neither the version it held nor its zeros are in the
  // clear.
  std::array<uint8_t, kPageSize> out;
  mem.read(srcpge, out.data(), out.size());
  uint64_t at_slot_8;
  std::memcpy(&at_slot_8, out.data() + 8 * kVaSlotSize, sizeof at_slot_8);
  EXPECT_NE(at_slot_8, held);
  EXPECT_NE(out, (std::array<uint8_t, kPageSize>{}));
}

TEST_F(Ewb, EvictsBlockedAndTrackedRegPage) {
  const uint64_t eid = Inspector(m).secs(kSecs).eid;
  ASSERT_EQ(m.cpu(0).eblock(m.epc_addr(kReg)), Result::ok());
  ASSERT_EQ(m.cpu(0).etrack(m.epc_addr(kSecs)), Result::ok());
  ASSERT_EQ(run(kReg), Result::ok());
  EXPECT_FALSE(Inspector(m).epcm(kReg).valid);
  EXPECT_NE(va_slot_value(kVa2, 5), 0u);
  const auto pc = mem.get<uapi::Pcmd>(pcmd);
  EXPECT_EQ(pc.secinfo.flags, sf::type(PageType::kReg) | sf::kR | sf::kW | sf::kX);
  EXPECT_EQ(pc.enclave_id, eid);
  EXPECT_EQ(mem.get<uapi::PageInfo>(pageinfo).linaddr, kBase + 0x1000);
  std::array<uint8_t, kPageSize> out;
  mem.read(srcpge, out.data(), out.size());
  EXPECT_NE(out, page);
}

TEST_F(Ewb, EvictsBlockedAndTrackedTcsPage) {
  ASSERT_EQ(m.cpu(0).eblock(m.epc_addr(kTcs)), Result::ok());
  ASSERT_EQ(m.cpu(0).etrack(m.epc_addr(kSecs)), Result::ok());
  ASSERT_EQ(run(kTcs), Result::ok());
  EXPECT_FALSE(Inspector(m).epcm(kTcs).valid);
  EXPECT_EQ(mem.get<uapi::Pcmd>(pcmd).secinfo.flags, sf::type(PageType::kTcs));
  EXPECT_EQ(mem.get<uapi::PageInfo>(pageinfo).linaddr, kBase);
}

TEST_F(Ewb, EvictsSecsWithoutChildren) {
  remove_children();
  const uint64_t eid = Inspector(m).secs(kSecs).eid;
  ASSERT_EQ(run(kSecs), Result::ok());
  EXPECT_FALSE(Inspector(m).epcm(kSecs).valid);
  const auto pc = mem.get<uapi::Pcmd>(pcmd);
  EXPECT_EQ(pc.secinfo.flags, sf::type(PageType::kSecs));
  EXPECT_EQ(pc.enclave_id, eid);
  EXPECT_EQ(mem.get<uapi::PageInfo>(pageinfo).linaddr, 0u);
}

TEST_F(Ewb, VersionsAreFreshAndNonzero) {
  ASSERT_EQ(run(m.epc_addr(kVa), slot_of(kVa2, 0)), Result::ok());
  remove_children();
  ASSERT_EQ(run(m.epc_addr(kSecs), slot_of(kVa2, 1)), Result::ok());
  const uint64_t first = va_slot_value(kVa2, 0);
  const uint64_t second = va_slot_value(kVa2, 1);
  EXPECT_NE(first, 0u);
  EXPECT_NE(second, 0u);
  EXPECT_NE(first, second);
}

TEST_F(Ewb, OccupiedSlotIsVaSlotOccupiedWithCfAndStillEvicts) {
  remove_children();
  ASSERT_EQ(run(m.epc_addr(kSecs), slot_of(kVa2, 9)), Result::ok());
  const uint64_t old_version = va_slot_value(kVa2, 9);
  const uint64_t version = Inspector(m).snapshot().paging_version;
  EXPECT_EQ(run(m.epc_addr(kVa), slot_of(kVa2, 9)),
            Result::error(SgxCode::kVaSlotOccupied, true));
  EXPECT_FALSE(Inspector(m).epcm(kVa).valid);
  EXPECT_NE(va_slot_value(kVa2, 9), old_version);
  EXPECT_EQ(va_slot_value(kVa2, 9), version);
  EXPECT_EQ(mem.get<uapi::Pcmd>(pcmd).secinfo.flags, sf::type(PageType::kVa));
  EXPECT_EQ(Inspector(m).counters().evictions, 2u);
}

TEST_F(Ewb, OtherSlotsOfVaPageAreUntouched) {
  ASSERT_EQ(run(m.epc_addr(kVa), slot_of(kVa2, 3)), Result::ok());
  const std::vector<uint64_t> slots = Inspector(m).va_slots(kVa2);
  for (uint32_t i = 0; i < kVaSlotsPerPage; ++i) {
    if (i != 3) {
      EXPECT_EQ(slots[i], 0u) << i;
    }
  }
}

}  // namespace
}  // namespace sgxref::hw
