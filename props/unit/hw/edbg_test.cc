// EDBGRD / EDBGWR: SDM vol. 3D "EDBGRD—Read From a Debug Enclave" and "EDBGWR—Write to
// a Debug Enclave".
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"
#include "uapi/tcs.h"

namespace sgxref::hw {
namespace {

using testlib::EnclaveBuilder;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
// A DEBUG enclave: SECS, read-only REG page, TCS.
constexpr uint32_t kSecs = 0;
constexpr uint32_t kReg = 1;
constexpr uint32_t kTcs = 2;
// A production enclave: SECS, REG page, TCS.
constexpr uint32_t kProdSecs = 3;
constexpr uint32_t kProdReg = 4;
constexpr uint32_t kProdTcs = 5;
constexpr uint32_t kVa = 6;
constexpr uint32_t kFree = 7;
constexpr uint64_t kSentinel = 0x5A5A'5A5A'5A5A'5A5Aull;

class EdbgTest : public ::testing::Test {
 protected:
  EdbgTest() : m(testlib::small_config()) {
    for (size_t i = 0; i < page.size(); ++i) page[i] = uint8_t(i * 3 + 1);
  }

  void SetUp() override {
    build(kSecs, kReg, kTcs, uapi::attr::kDebug | uapi::attr::kMode64Bit);
    build(kProdSecs, kProdReg, kProdTcs, uapi::attr::kMode64Bit);
    ASSERT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(kVa)), Result::ok());
  }

  void build(uint32_t secs, uint32_t reg, uint32_t tcs_slot, uint64_t attributes) {
    EnclaveBuilder b(m, secs);
    uapi::Secs s = testlib::make_secs(kBase, kSize);
    s.attributes = attributes;
    ASSERT_EQ(b.create(s), Result::ok());
    ASSERT_EQ(b.add(reg, kBase + 0x1000, page.data(), sf::type(PageType::kReg) | sf::kR),
              Result::ok());
    ASSERT_EQ(b.add(tcs_slot, kBase, &tcs, sf::type(PageType::kTcs)), Result::ok());
  }

  // Sets EPCM state bits as EAUG, EMODT or EMODPR would; those leaves have their own
  // tests.
  void set_epcm(uint32_t slot, void (*change)(EpcmEntry&)) {
    MachineState& s = Internals::of(m);
    sched::MutexLock l(s.mu());
    change(s.epcm_entry(slot));
  }

  uint64_t quad_at(uint32_t slot, uint64_t offset) const {
    uint64_t v;
    std::memcpy(&v, Inspector(m).page(slot) + offset, sizeof v);
    return v;
  }

  void expect_read_refused(PAddr addr, const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    uint64_t data = kSentinel;
    EXPECT_EQ(m.cpu(0).edbgrd(addr, data), refusal);
    EXPECT_EQ(data, kSentinel);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }

  void expect_write_refused(PAddr addr, const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(m.cpu(0).edbgwr(addr, kSentinel), refusal);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }

  Machine m;
  std::array<uint8_t, kPageSize> page{};
  uapi::Tcs tcs = testlib::make_tcs(0x2000, 0x1000);
};

using Edbgrd = EdbgTest;
using Edbgwr = EdbgTest;

TEST_F(Edbgrd, ReadsQuadwordOfDebugEnclavePage) {
  uint64_t data = 0;
  ASSERT_EQ(m.cpu(0).edbgrd(m.epc_addr(kReg) + 0x7F8, data), Result::ok());
  EXPECT_EQ(data, quad_at(kReg, 0x7F8));
}

TEST_F(Edbgrd, ReadsTcsFieldsBelowTcsLimit) {
  uint64_t data = 0;
  ASSERT_EQ(m.cpu(0).edbgrd(m.epc_addr(kTcs) + offsetof(uapi::Tcs, ssa_offset), data),
            Result::ok());
  EXPECT_EQ(data, 0x2000u);
  ASSERT_EQ(m.cpu(0).edbgrd(m.epc_addr(kTcs) + offsetof(uapi::Tcs, fs_limit), data),
            Result::ok());
  EXPECT_EQ(data, ~uint64_t{0});
}

TEST_F(Edbgrd, VaSlotInUseReadsAllOnes) {
  const uint64_t version = 0x1234'5678'9ABC'DEF0ull;
  std::memcpy(Internals::of(m).page(kVa) + 16, &version, sizeof version);  // as EWB leaves it
  uint64_t data = 0;
  ASSERT_EQ(m.cpu(0).edbgrd(m.epc_addr(kVa) + 16, data), Result::ok());
  EXPECT_EQ(data, ~uint64_t{0});
}

TEST_F(Edbgrd, VaSlotEmptyReadsZero) {
  uint64_t data = kSentinel;
  ASSERT_EQ(m.cpu(0).edbgrd(m.epc_addr(kVa) + 16, data), Result::ok());
  EXPECT_EQ(data, 0u);
}

TEST_F(Edbgrd, VaSlotLowThreeBitsAreIgnored) {
  Internals::of(m).page(kVa)[16] = 7;
  uint64_t data = kSentinel;
  ASSERT_EQ(m.cpu(0).edbgrd(m.epc_addr(kVa) + 16, data), Result::ok());
  EXPECT_EQ(data, 0u);
}

TEST_F(Edbgrd, MisalignedAddressIsGp) { expect_read_refused(m.epc_addr(kReg) + 4, Result::gp()); }

TEST_F(Edbgrd, NonEpcAddressIsPf) {
  const PAddr ram = m.ram().alloc();
  expect_read_refused(ram, Result::pf(ram, 0));
}

TEST_F(Edbgrd, InvalidPageIsPf) {
  expect_read_refused(m.epc_addr(kFree) + 8, Result::epcm_pf(m.epc_addr(kFree) + 8));
}

TEST_F(Edbgrd, SecsPageIsPf) {
  expect_read_refused(m.epc_addr(kSecs), Result::epcm_pf(m.epc_addr(kSecs)));
}

TEST_F(Edbgrd, TrimPageIsPf) {
  set_epcm(kReg, [](EpcmEntry& e) { e.type = PageType::kTrim; });
  expect_read_refused(m.epc_addr(kReg), Result::epcm_pf(m.epc_addr(kReg)));
}

TEST_F(Edbgrd, PendingPageIsNotDebuggable) {
  set_epcm(kReg, [](EpcmEntry& e) { e.pending = true; });
  expect_read_refused(m.epc_addr(kReg), Result::error(SgxCode::kPageNotDebuggable));
}

TEST_F(Edbgrd, ModifiedPageIsNotDebuggable) {
  set_epcm(kTcs, [](EpcmEntry& e) { e.modified = true; });
  expect_read_refused(m.epc_addr(kTcs), Result::error(SgxCode::kPageNotDebuggable));
}

TEST_F(Edbgrd, NotDebuggableComesBeforeTheDebugAttributeCheck) {
  set_epcm(kProdReg, [](EpcmEntry& e) { e.pending = true; });
  expect_read_refused(m.epc_addr(kProdReg), Result::error(SgxCode::kPageNotDebuggable));
}

TEST_F(Edbgrd, TcsOffsetAtTcsLimitIsGp) {
  expect_read_refused(m.epc_addr(kTcs) + offsetof(uapi::Tcs, reserved), Result::gp());
}

TEST_F(Edbgrd, RegPageOfNonDebugEnclaveIsGp) {
  expect_read_refused(m.epc_addr(kProdReg), Result::gp());
}

TEST_F(Edbgrd, TcsOfNonDebugEnclaveIsGp) {
  expect_read_refused(m.epc_addr(kProdTcs) + 8, Result::gp());
}

TEST_F(Edbgwr, WritesQuadwordIgnoringEpcmRights) {
  ASSERT_EQ(m.cpu(0).edbgwr(m.epc_addr(kReg) + 0x10, kSentinel), Result::ok());
  EXPECT_EQ(quad_at(kReg, 0x10), kSentinel);
  EXPECT_EQ(quad_at(kReg, 0x8), [&] {
    uint64_t v;
    std::memcpy(&v, page.data() + 0x8, sizeof v);
    return v;
  }());
}

TEST_F(Edbgwr, WritesTcsFlags) {
  ASSERT_EQ(m.cpu(0).edbgwr(m.epc_addr(kTcs) + offsetof(uapi::Tcs, flags),
                            uapi::kTcsFlagDbgOptIn),
            Result::ok());
  EXPECT_EQ(quad_at(kTcs, offsetof(uapi::Tcs, flags)), uapi::kTcsFlagDbgOptIn);
}

TEST_F(Edbgwr, TcsFieldOtherThanFlagsIsGp) {
  for (size_t offset : {offsetof(uapi::Tcs, state), offsetof(uapi::Tcs, ssa_offset),
                        offsetof(uapi::Tcs, entry_offset), size_t{0x808}}) {
    SCOPED_TRACE(offset);
    expect_write_refused(m.epc_addr(kTcs) + offset, Result::gp());
  }
}

TEST_F(Edbgwr, MisalignedAddressIsGp) { expect_write_refused(m.epc_addr(kReg) + 12, Result::gp()); }

TEST_F(Edbgwr, NonEpcAddressIsPf) {
  const PAddr ram = m.ram().alloc();
  expect_write_refused(ram, Result::pf(ram, 0));
}

TEST_F(Edbgwr, InvalidPageIsPf) {
  expect_write_refused(m.epc_addr(kFree), Result::epcm_pf(m.epc_addr(kFree)));
}

TEST_F(Edbgwr, SecsPageIsPf) {
  expect_write_refused(m.epc_addr(kSecs) + 8, Result::epcm_pf(m.epc_addr(kSecs) + 8));
}

TEST_F(Edbgwr, VaPageIsPf) {
  expect_write_refused(m.epc_addr(kVa), Result::epcm_pf(m.epc_addr(kVa)));
}

TEST_F(Edbgwr, TrimPageIsPf) {
  set_epcm(kReg, [](EpcmEntry& e) { e.type = PageType::kTrim; });
  expect_write_refused(m.epc_addr(kReg), Result::epcm_pf(m.epc_addr(kReg)));
}

TEST_F(Edbgwr, PendingPageIsNotDebuggable) {
  set_epcm(kReg, [](EpcmEntry& e) { e.pending = true; });
  expect_write_refused(m.epc_addr(kReg), Result::error(SgxCode::kPageNotDebuggable));
}

TEST_F(Edbgwr, ModifiedPageIsNotDebuggable) {
  set_epcm(kReg, [](EpcmEntry& e) { e.modified = true; });
  expect_write_refused(m.epc_addr(kReg), Result::error(SgxCode::kPageNotDebuggable));
}

TEST_F(Edbgwr, RegPageOfNonDebugEnclaveIsGp) {
  expect_write_refused(m.epc_addr(kProdReg), Result::gp());
}

TEST_F(Edbgwr, TcsFlagsOfNonDebugEnclaveIsGp) {
  expect_write_refused(m.epc_addr(kProdTcs) + offsetof(uapi::Tcs, flags), Result::gp());
}

}  // namespace
}  // namespace sgxref::hw
