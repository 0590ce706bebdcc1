// EADD: SDM vol. 3D "EADD—Add a Page to an Uninitialized Enclave".
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "testlib/enclave_builder.h"
#include "testlib/kernel_memory.h"
#include "testlib/mrenclave_blocks.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/tcs.h"

namespace sgxref::hw {
namespace {

using testlib::EnclaveBuilder;
using testlib::eadd_block;
using testlib::ecreate_block;
using testlib::KernelMemory;
namespace attr = uapi::attr;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
constexpr uint32_t kSecsSlot = 0;
constexpr uint32_t kTarget = 2;

// An enclave ECREATEd in slot 0 and the operands of one EADD into slot 2, valid until a
// test spoils one of them.
class Eadd : public ::testing::Test {
 protected:
  Eadd() : m(testlib::small_config()), mem(m), builder(m, kSecsSlot) {
    for (size_t i = 0; i < page.size(); ++i) page[i] = uint8_t(i * 13 + 5);
  }

  void SetUp() override { create(testlib::make_secs(kBase, kSize)); }

  void create(const uapi::Secs& s) { ASSERT_EQ(builder.create(s), Result::ok()); }

  Result run() {
    const PAddr src = mem.put(page) + src_offset;
    uapi::SecInfo si{};
    si.flags = secinfo_flags;
    std::memcpy(si.reserved, secinfo_reserved.data(), sizeof si.reserved);
    const PAddr sip = mem.put(si, secinfo_offset);
    const uapi::PageInfo pi{.linaddr = linaddr, .srcpge = src, .secinfo = sip, .secs = secs};
    return m.cpu(0).eadd(mem.put(pi, pageinfo_offset), target);
  }

  void expect_refused(const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(run(), refusal);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }

  void put_tcs(const uapi::Tcs& tcs) {
    std::memcpy(page.data(), &tcs, sizeof tcs);
    secinfo_flags = sf::type(PageType::kTcs);
  }

  Machine m;
  KernelMemory mem;
  EnclaveBuilder builder;
  std::array<uint8_t, kPageSize> page{};
  uint64_t secinfo_flags = sf::type(PageType::kReg) | sf::kR | sf::kW;
  std::array<uint8_t, 56> secinfo_reserved{};
  uint64_t linaddr = kBase + 0x3000;
  PAddr secs = m.epc_addr(kSecsSlot);
  PAddr target = m.epc_addr(kTarget);
  uint64_t pageinfo_offset = 0;
  uint64_t secinfo_offset = 0;
  uint64_t src_offset = 0;
};

TEST_F(Eadd, AddsRegPageAndMeasuresOffsetAndSecinfo) {
  ASSERT_EQ(run(), Result::ok());
  EXPECT_EQ(Inspector(m).epcm(kTarget), (EpcmEntry{.valid = true,
                                                   .r = true,
                                                   .w = true,
                                                   .type = PageType::kReg,
                                                   .secs = kSecsSlot,
                                                   .enclave_address = linaddr}));
  EXPECT_EQ(std::memcmp(Inspector(m).page(kTarget), page.data(), kPageSize), 0);

  Sha256 expected;
  const auto create = ecreate_block(1, kSize);
  expected.update(create.data(), create.size());
  const auto add = eadd_block(0x3000, secinfo_flags);
  expected.update(add.data(), add.size());
  EXPECT_EQ(Inspector(m).secs(kSecsSlot).mrenclave, expected.peek());
}

TEST_F(Eadd, TcsGetsNoRightsAndCleanExecutionState) {
  uapi::Tcs tcs = testlib::make_tcs(0x4000, 0x1000);
  tcs.state = 1;
  tcs.flags = uapi::kTcsFlagDbgOptIn;
  tcs.ssa_index = 3;
  tcs.exit_addr = 0x1234'5000;
  put_tcs(tcs);
  secinfo_flags |= sf::kR | sf::kW | sf::kX;
  ASSERT_EQ(run(), Result::ok());

  const EpcmEntry e = Inspector(m).epcm(kTarget);
  EXPECT_EQ(e.type, PageType::kTcs);
  EXPECT_FALSE(e.r || e.w || e.x);
  uapi::Tcs stored;
  std::memcpy(&stored, Inspector(m).page(kTarget), sizeof stored);
  EXPECT_EQ(stored.state, 0u);
  EXPECT_EQ(stored.flags, 0u);
  EXPECT_EQ(stored.ssa_index, 0u);
  EXPECT_EQ(stored.exit_addr, 0u);
  EXPECT_EQ(stored.ssa_offset, 0x4000u);
  EXPECT_EQ(stored.nr_ssa_frames, 1u);
  EXPECT_EQ(stored.entry_offset, 0x1000u);
}

TEST_F(Eadd, TcsIsMeasuredWithRightsCleared) {
  put_tcs(testlib::make_tcs(0x4000, 0x1000));
  secinfo_flags |= sf::kR | sf::kX;
  ASSERT_EQ(run(), Result::ok());
  Sha256 expected;
  const auto create = ecreate_block(1, kSize);
  expected.update(create.data(), create.size());
  const auto add = eadd_block(0x3000, sf::type(PageType::kTcs));
  expected.update(add.data(), add.size());
  EXPECT_EQ(Inspector(m).secs(kSecsSlot).mrenclave, expected.peek());
}

TEST_F(Eadd, SecinfoStateBitsAreNotCopiedToTheEpcm) {
  secinfo_flags |= sf::kPending | sf::kModified | sf::kPr;
  ASSERT_EQ(run(), Result::ok());
  const EpcmEntry e = Inspector(m).epcm(kTarget);
  EXPECT_FALSE(e.pending || e.modified || e.pr || e.blocked);
}

TEST_F(Eadd, TcsIn64BitEnclaveIgnoresSegmentLimits) {
  uapi::Tcs tcs = testlib::make_tcs(0x4000, 0x1000);
  tcs.fs_limit = 0;
  tcs.gs_limit = 0;
  put_tcs(tcs);
  EXPECT_EQ(run(), Result::ok());
}

TEST_F(Eadd, AddsAtLastPageOfElrange) {
  linaddr = kBase + kSize - kPageSize;
  EXPECT_EQ(run(), Result::ok());
}

TEST_F(Eadd, MisalignedPageinfoIsGp) {
  pageinfo_offset = 8;
  expect_refused(Result::gp());
}

TEST_F(Eadd, MisalignedTargetIsGp) {
  target += 0x800;
  expect_refused(Result::gp());
}

TEST_F(Eadd, NonEpcTargetIsPf) {
  target = mem.frame();
  expect_refused(Result::pf(target, 0));
}

TEST_F(Eadd, UnmappedPageinfoIsPf) {
  const PAddr nowhere = kRamBase + (uint64_t{m.config().ram_pages} << kPageShift);
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).eadd(nowhere, target), Result::pf(nowhere, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Eadd, MisalignedSourceIsGp) {
  src_offset = 256;
  expect_refused(Result::gp());
}

TEST_F(Eadd, MisalignedSecsIsGp) {
  secs += 64;
  expect_refused(Result::gp());
}

TEST_F(Eadd, MisalignedSecinfoIsGp) {
  secinfo_offset = 32;
  expect_refused(Result::gp());
}

TEST_F(Eadd, MisalignedLinaddrIsGp) {
  linaddr += 8;
  expect_refused(Result::gp());
}

TEST_F(Eadd, NonEpcSecsIsPf) {
  secs = mem.frame();
  expect_refused(Result::pf(secs, 0));
}

TEST_F(Eadd, UnmappedSecinfoIsPf) {
  const PAddr nowhere = kRamBase + (uint64_t{m.config().ram_pages} << kPageShift);
  const uapi::PageInfo pi{
      .linaddr = linaddr, .srcpge = mem.put(page), .secinfo = nowhere, .secs = secs};
  const PAddr pip = mem.put(pi);
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).eadd(pip, target), Result::pf(nowhere, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Eadd, SecinfoReservedFlagIsGp) {
  secinfo_flags |= 1ull << 16;
  expect_refused(Result::gp());
}

TEST_F(Eadd, SecinfoReservedBytesAreGp) {
  secinfo_reserved[0] = 1;
  expect_refused(Result::gp());
}

TEST_F(Eadd, PageTypeOtherThanRegOrTcsIsGp) {
  for (PageType t : {PageType::kSecs, PageType::kVa, PageType::kTrim}) {
    SCOPED_TRACE(uapi::to_string(t));
    secinfo_flags = sf::type(t) | sf::kR;
    expect_refused(Result::gp());
  }
}

TEST_F(Eadd, ValidTargetIsPf) {
  target = secs;
  expect_refused(Result::epcm_pf(secs));
}

TEST_F(Eadd, InvalidSecsIsPf) {
  secs = m.epc_addr(5);
  expect_refused(Result::epcm_pf(secs));
}

TEST_F(Eadd, SecsThatIsNotASecsPageIsPf) {
  ASSERT_EQ(run(), Result::ok());
  secs = target;
  target = m.epc_addr(3);
  linaddr += kPageSize;
  expect_refused(Result::epcm_pf(secs));
}

TEST_F(Eadd, UnmappedSourceIsPf) {
  const PAddr nowhere = kRamBase + (uint64_t{m.config().ram_pages} << kPageShift);
  uapi::SecInfo si{};
  si.flags = secinfo_flags;
  const uapi::PageInfo pi{.linaddr = linaddr, .srcpge = nowhere, .secinfo = mem.put(si), .secs = secs};
  const PAddr pip = mem.put(pi);
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).eadd(pip, target), Result::pf(nowhere, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Eadd, TcsReservedFlagIsGp) {
  uapi::Tcs tcs = testlib::make_tcs(0x4000, 0x1000);
  tcs.flags = 1ull << 5;
  put_tcs(tcs);
  expect_refused(Result::gp());
}

TEST_F(Eadd, TcsReservedAreaIsGp) {
  uapi::Tcs tcs = testlib::make_tcs(0x4000, 0x1000);
  tcs.reserved[sizeof tcs.reserved - 1] = 1;
  put_tcs(tcs);
  expect_refused(Result::gp());
}

class Eadd32 : public Eadd {
 protected:
  void SetUp() override {
    uapi::Secs s = testlib::make_secs(kBase, kSize);
    s.attributes = attr::kDebug;
    create(s);
  }
};

TEST_F(Eadd32, TcsFsLimitNotEndingInFffIsGp) {
  uapi::Tcs tcs = testlib::make_tcs(0x4000, 0x1000);
  tcs.fs_limit = 0x1000;
  put_tcs(tcs);
  expect_refused(Result::gp());
}

TEST_F(Eadd32, TcsGsLimitNotEndingInFffIsGp) {
  uapi::Tcs tcs = testlib::make_tcs(0x4000, 0x1000);
  tcs.gs_limit = 0xFFE;
  put_tcs(tcs);
  expect_refused(Result::gp());
}

TEST_F(Eadd32, TcsLimitsEndingInFffAreAccepted) {
  uapi::Tcs tcs = testlib::make_tcs(0x4000, 0x1000);
  tcs.fs_limit = 0xFFF;
  tcs.gs_limit = 0x1FFF;
  put_tcs(tcs);
  EXPECT_EQ(run(), Result::ok());
}

TEST_F(Eadd, RegWritableButNotReadableIsGp) {
  secinfo_flags = sf::type(PageType::kReg) | sf::kW | sf::kX;
  expect_refused(Result::gp());
}

TEST_F(Eadd, LinaddrBelowElrangeIsGp) {
  linaddr = kBase - kPageSize;
  expect_refused(Result::gp());
}

TEST_F(Eadd, LinaddrAtEndOfElrangeIsGp) {
  linaddr = kBase + kSize;
  expect_refused(Result::gp());
}

TEST_F(Eadd, InitializedEnclaveIsGp) {
  // Sets INIT in the SECS page as EINIT leaves it; EINIT has its own tests.
  uapi::Secs s = load_secs(Inspector(m).page(kSecsSlot));
  s.attributes |= attr::kInit;
  std::memcpy(Internals::of(m).page(kSecsSlot), &s, offsetof(uapi::Secs, xfrm));
  expect_refused(Result::gp());
}

}  // namespace
}  // namespace sgxref::hw
