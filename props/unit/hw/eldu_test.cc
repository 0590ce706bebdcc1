// ELDB and ELDU: SDM vol. 3D "ELDB/ELDU/ELDBC/ELDUC—Load an EPC Page and Mark its
// State". Every way a blob can fail its MAC is in paging_tamper_test.cc; conflicts with
// other leaves in paging_overlap_test.cc.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "hw/paging_state.h"
#include "testlib/enclave_builder.h"
#include "testlib/kernel_memory.h"
#include "testlib/pager.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::Blob;
using testlib::EnclaveBuilder;
using testlib::KernelMemory;
using testlib::Pager;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
constexpr uint32_t kSecs = 0;
constexpr uint32_t kReg = 1;  // at kBase + 0x1000
constexpr uint32_t kTcs = 2;  // at kBase
constexpr uint32_t kVa = 3;   // evicted in SetUp
constexpr uint32_t kVa2 = 4;  // holds kVa's version in slot 5
constexpr uint32_t kFree = 5;
constexpr uint32_t kFree2 = 6;
constexpr uint32_t kOtherSecs = 7;  // an enclave with no pages, evicted in SetUp

// An enclave (SECS in slot 0) with a REG page in slot 1 and a TCS in slot 2; a VA page
// that holds, in its slot 8, the version of another enclave's SECS and was evicted into
// slot 5 of the VA page in slot 4; and the operands of one ELDU of that blob into slot
// 5, valid until a test spoils one of them.
class Eldu : public ::testing::Test {
 protected:
  Eldu()
      : m(testlib::small_config(8, 96)), mem(m), builder(m, kSecs), pager(m),
        srcpge(mem.frame()), pcmd(mem.frame()) {}

  void SetUp() override {
    ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
    std::array<uint8_t, kPageSize> page{};
    ASSERT_EQ(builder.add(kReg, kBase + 0x1000, page.data(),
                          sf::type(PageType::kReg) | sf::kR | sf::kW),
              Result::ok());
    const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0x1000);
    ASSERT_EQ(builder.add(kTcs, kBase, &tcs, sf::type(PageType::kTcs)), Result::ok());
    ASSERT_EQ(pager.epa(kVa), Result::ok());
    ASSERT_EQ(pager.epa(kVa2), Result::ok());
    EnclaveBuilder other(m, kOtherSecs);
    ASSERT_EQ(other.create(testlib::make_secs(2 * kBase, kSize)), Result::ok());
    Blob other_blob;
    ASSERT_EQ(pager.ewb(kOtherSecs, pager.va_slot(kVa, 8), other_blob), Result::ok());
    held_version = Inspector(m).va_slots(kVa).at(8);
    ASSERT_EQ(pager.ewb(kVa, pager.va_slot(kVa2, 5), blob), Result::ok());
    linaddr = blob.linaddr;
    secs = blob.secs;
  }

  Result run(bool block, PAddr epc, PAddr va_slot) {
    mem.write(page_of(srcpge), blob.page.data(), blob.page.size());
    mem.write(pcmd, &blob.pcmd, sizeof blob.pcmd);
    const uapi::PageInfo pi{.linaddr = linaddr, .srcpge = srcpge, .secinfo = pcmd,
                            .secs = secs};
    const PAddr pageinfo = mem.put(pi, pageinfo_offset);
    return block ? m.cpu(0).eldb(pageinfo, epc, va_slot) : m.cpu(0).eldu(pageinfo, epc, va_slot);
  }
  Result run(PAddr epc, PAddr va_slot) { return run(false, epc, va_slot); }
  Result run() { return run(m.epc_addr(kFree), blob.va_slot); }

  void expect_refused(PAddr epc, PAddr va_slot, const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(run(epc, va_slot), refusal);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }
  void expect_refused(const Result& refusal) {
    expect_refused(m.epc_addr(kFree), blob.va_slot, refusal);
  }

  // The blob claims to be a page of an enclave, so PAGEINFO.SECS is checked; the MAC
  // would fail, but the checks come first.
  void claim_child() { blob.pcmd.secinfo.flags = sf::type(PageType::kReg) | sf::kR; }

  Machine m;
  KernelMemory mem;
  EnclaveBuilder builder;
  Pager pager;
  Blob blob;
  uint64_t held_version = 0;
  PAddr srcpge;
  PAddr pcmd;
  uint64_t pageinfo_offset = 0;
  uint64_t linaddr = 0;
  uint64_t secs = 0;
};

TEST_F(Eldu, MisalignedPageinfoIsGp) {
  pageinfo_offset = 8;
  expect_refused(Result::gp());
}

TEST_F(Eldu, MisalignedPageIsGp) {
  expect_refused(m.epc_addr(kFree) + 0x100, blob.va_slot, Result::gp());
}

TEST_F(Eldu, NonEpcPageIsPf) {
  const PAddr ram = mem.frame();
  expect_refused(ram, blob.va_slot, Result::pf(ram, 0));
}

TEST_F(Eldu, MisalignedVaSlotIsGp) {
  expect_refused(m.epc_addr(kFree), blob.va_slot + 1, Result::gp());
}

TEST_F(Eldu, NonEpcVaSlotIsPf) {
  const PAddr ram = mem.frame() + 40;
  expect_refused(m.epc_addr(kFree), ram, Result::pf(ram, 0));
}

TEST_F(Eldu, UnmappedPageinfoIsPf) {
  const PAddr unmapped = kRamBase + 0x1000'0000;
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).eldu(unmapped, m.epc_addr(kFree), blob.va_slot), Result::pf(unmapped, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Eldu, MisalignedPcmdIsGp) {
  pcmd += 32;
  expect_refused(Result::gp());
}

TEST_F(Eldu, MisalignedSrcpgeIsGp) {
  srcpge += 8;
  expect_refused(Result::gp());
}

TEST_F(Eldu, ValidTargetIsPf) {
  expect_refused(m.epc_addr(kReg), blob.va_slot, Result::epcm_pf(m.epc_addr(kReg)));
}

TEST_F(Eldu, VaSlotInTargetPageIsGp) {
  expect_refused(m.epc_addr(kFree), m.epc_addr(kFree) + 8, Result::gp());
}

TEST_F(Eldu, VaSlotInInvalidPageIsPf) {
  const PAddr slot = m.epc_addr(kFree2) + 16;
  expect_refused(m.epc_addr(kFree), slot, Result::epcm_pf(slot));
}

TEST_F(Eldu, VaSlotInNonVaPageIsPf) {
  const PAddr slot = m.epc_addr(kReg) + 16;
  expect_refused(m.epc_addr(kFree), slot, Result::epcm_pf(slot));
}

TEST_F(Eldu, UnmappedPcmdIsPf) {
  pcmd = kRamBase + 0x1000'0000;
  const Snapshot before = Inspector(m).snapshot();
  const uapi::PageInfo pi{.linaddr = linaddr, .srcpge = srcpge, .secinfo = pcmd, .secs = 0};
  EXPECT_EQ(m.cpu(0).eldu(mem.put(pi), m.epc_addr(kFree), blob.va_slot), Result::pf(pcmd, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Eldu, ChildWithMisalignedSecsIsGp) {
  claim_child();
  secs = m.epc_addr(kSecs) + 64;
  expect_refused(Result::gp());
}

TEST_F(Eldu, ChildWithNonEpcSecsIsPf) {
  claim_child();
  secs = mem.frame();
  expect_refused(Result::pf(secs, 0));
}

TEST_F(Eldu, ChildWithInvalidSecsIsPf) {
  claim_child();
  secs = m.epc_addr(kFree2);
  expect_refused(Result::epcm_pf(secs));
}

TEST_F(Eldu, ChildWithNonSecsPageAsSecsIsPf) {
  claim_child();
  secs = m.epc_addr(kTcs);
  expect_refused(Result::epcm_pf(secs));
}

TEST_F(Eldu, SecsOrVaPageWithNonzeroSecsIsGp) {
  secs = m.epc_addr(kSecs);
  expect_refused(Result::gp());
}

TEST_F(Eldu, UnmappedSrcpgeIsPf) {
  const Snapshot before = Inspector(m).snapshot();
  const PAddr unmapped = kRamBase + 0x1000'0000;
  mem.write(pcmd, &blob.pcmd, sizeof blob.pcmd);
  const uapi::PageInfo pi{.linaddr = linaddr, .srcpge = unmapped, .secinfo = pcmd, .secs = 0};
  EXPECT_EQ(m.cpu(0).eldu(mem.put(pi), m.epc_addr(kFree), blob.va_slot),
            Result::pf(unmapped, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Eldu, MacMismatchIsMacCompareFailAndLeavesPageInvalidAndSlotSet) {
  blob.page[100] ^= 1;
  const uint64_t version = Inspector(m).va_slots(kVa2).at(5);
  expect_refused(Result::error(SgxCode::kMacCompareFail));
  EXPECT_FALSE(Inspector(m).epcm(kFree).valid);
  EXPECT_EQ(Inspector(m).va_slots(kVa2).at(5), version);
  EXPECT_EQ(Inspector(m).counters().mac_failures, 1u);
  EXPECT_EQ(Inspector(m).counters().reloads, 0u);
}

TEST_F(Eldu, ReloadsVaPageAndClearsItsSlot) {
  ASSERT_EQ(run(), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kFree), (EpcmEntry{.valid = true, .type = PageType::kVa}));
  const std::vector<uint64_t> slots = Inspector(m).va_slots(kFree);
  ASSERT_EQ(slots.size(), kVaSlotsPerPage);
  EXPECT_EQ(slots[8], held_version);
  EXPECT_EQ(Inspector(m).va_slots(kVa2).at(5), 0u);
  EXPECT_EQ(Inspector(m).counters().reloads, 1u);
}

TEST_F(Eldu, EldbOfVaPageLeavesItUnblocked) {
  ASSERT_EQ(run(true, m.epc_addr(kFree), blob.va_slot), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kFree), (EpcmEntry{.valid = true, .type = PageType::kVa}));
}

// The SECS of an enclave with no pages yet, evicted into slot 6 of the VA page in slot 4.
class ElduSecs : public Eldu {
 protected:
  void SetUp() override {
    Eldu::SetUp();
    ASSERT_EQ(m.cpu(0).eremove(m.epc_addr(kReg)), Result::ok());
    ASSERT_EQ(m.cpu(0).eremove(m.epc_addr(kTcs)), Result::ok());
    view = Inspector(m).secs(kSecs);
    ASSERT_EQ(pager.ewb(kSecs, pager.va_slot(kVa2, 6), secs_blob), Result::ok());
  }

  SecsView view;
  Blob secs_blob;
};

TEST_F(ElduSecs, ReloadsSecsWithItsEnclaveId) {
  ASSERT_EQ(pager.eldu(secs_blob, kFree), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kFree), (EpcmEntry{.valid = true, .type = PageType::kSecs}));
  EXPECT_EQ(Inspector(m).secs(kFree), view);
}

TEST_F(ElduSecs, EldbOfSecsLeavesItUnblocked) {
  ASSERT_EQ(pager.eldb(secs_blob, kFree), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kFree), (EpcmEntry{.valid = true, .type = PageType::kSecs}));
}

TEST_F(ElduSecs, ReloadedSecsContinuesItsMeasurement) {
  ASSERT_EQ(pager.eldu(secs_blob, kFree), Result::ok());
  std::array<uint8_t, kPageSize> page{};
  page[0] = 0x42;
  const uint64_t flags = sf::type(PageType::kReg) | sf::kR;
  EnclaveBuilder reloaded(m, kFree);
  ASSERT_EQ(reloaded.add_measured(kReg, kBase + 0x1000, page.data(), flags), Result::ok());

  // The same enclave built without the eviction measures the same.
  Machine other(testlib::small_config(8, 96));
  EnclaveBuilder straight(other, kSecs);
  ASSERT_EQ(straight.create(testlib::make_secs(kBase, kSize)), Result::ok());
  const std::array<uint8_t, kPageSize> zeros{};
  ASSERT_EQ(straight.add(kReg, kBase + 0x1000, zeros.data(),
                         sf::type(PageType::kReg) | sf::kR | sf::kW),
            Result::ok());
  const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0x1000);
  ASSERT_EQ(straight.add(kTcs, kBase, &tcs, sf::type(PageType::kTcs)), Result::ok());
  ASSERT_EQ(other.cpu(0).eremove(other.epc_addr(kReg)), Result::ok());
  ASSERT_EQ(other.cpu(0).eremove(other.epc_addr(kTcs)), Result::ok());
  ASSERT_EQ(straight.add_measured(kReg, kBase + 0x1000, page.data(), flags), Result::ok());
  EXPECT_EQ(Inspector(m).secs(kFree).mrenclave, Inspector(other).secs(kSecs).mrenclave);
}

}  // namespace
}  // namespace sgxref::hw
