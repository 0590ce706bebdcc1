// EREMOVE: SDM vol. 3D "EREMOVE—Remove a page from the EPC".
#include <gtest/gtest.h>

#include <array>

#include "hw/cpu.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "uapi/page_type.h"

namespace sgxref::hw {
namespace {

using testlib::EnclaveBuilder;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
constexpr uint32_t kSecs = 0;
constexpr uint32_t kReg = 1;
constexpr uint32_t kTcs = 2;
constexpr uint32_t kVa = 3;

Config small() {
  Config c;
  c.epc_pages = 8;
  c.ram_pages = 64;
  return c;
}

// An enclave (SECS in slot 0) with a REG page in slot 1 and a TCS in slot 2, and a VA
// page in slot 3.
class Eremove : public ::testing::Test {
 protected:
  Eremove() : m(small()), builder(m, kSecs) {}

  void SetUp() override {
    ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
    ASSERT_EQ(builder.add(kReg, kBase + 0x1000, page.data(),
                          sf::type(PageType::kReg) | sf::kR | sf::kW),
              Result::ok());
    const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0x1000);
    ASSERT_EQ(builder.add(kTcs, kBase, &tcs, sf::type(PageType::kTcs)), Result::ok());
    ASSERT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(kVa)), Result::ok());
  }

  Result remove(uint32_t slot) { return m.cpu(0).eremove(m.epc_addr(slot)); }

  // Turns the REG page into a TRIM page as EMODT (and, if `accepted`, EACCEPT) leave
  // it; those leaves have their own tests.
  void trim(bool accepted) {
    sched::MutexLock l(m.mu());
    EpcmEntry& e = m.epcm_entry(kReg);
    e.type = PageType::kTrim;
    e.r = e.w = e.x = false;
    e.modified = !accepted;
  }

  void expect_refused(PAddr addr, const Result& refusal) {
    const Snapshot before = m.snapshot();
    EXPECT_EQ(m.cpu(0).eremove(addr), refusal);
    EXPECT_EQ(m.snapshot(), before);
  }

  Machine m;
  EnclaveBuilder builder;
  std::array<uint8_t, kPageSize> page{};
};

TEST_F(Eremove, FreesRegPage) {
  ASSERT_EQ(remove(kReg), Result::ok());
  EXPECT_EQ(m.epcm(kReg), EpcmEntry{});
}

TEST_F(Eremove, FreesTcsPage) {
  ASSERT_EQ(remove(kTcs), Result::ok());
  EXPECT_EQ(m.epcm(kTcs), EpcmEntry{});
}

TEST_F(Eremove, FreesVaPage) {
  ASSERT_EQ(remove(kVa), Result::ok());
  EXPECT_EQ(m.epcm(kVa), EpcmEntry{});
}

TEST_F(Eremove, FreesAcceptedTrimPage) {
  trim(/*accepted=*/true);
  ASSERT_EQ(remove(kReg), Result::ok());
  EXPECT_EQ(m.epcm(kReg), EpcmEntry{});
}

TEST_F(Eremove, FreesTrimPageNotYetAccepted) {
  trim(/*accepted=*/false);
  ASSERT_EQ(remove(kReg), Result::ok());
  EXPECT_EQ(m.epcm(kReg), EpcmEntry{});
}

TEST_F(Eremove, InvalidPageIsSuccessAndChangesNothing) {
  const Snapshot before = m.snapshot();
  EXPECT_EQ(remove(6), Result::ok());
  EXPECT_EQ(m.snapshot(), before);
}

TEST_F(Eremove, SecsWithChildIsChildPresent) {
  ASSERT_EQ(remove(kReg), Result::ok());
  expect_refused(m.epc_addr(kSecs), Result::error(SgxCode::kChildPresent));
}

TEST_F(Eremove, SecsWithTrimChildIsChildPresent) {
  ASSERT_EQ(remove(kTcs), Result::ok());
  trim(/*accepted=*/false);
  expect_refused(m.epc_addr(kSecs), Result::error(SgxCode::kChildPresent));
}

TEST_F(Eremove, FreesChildlessSecsAndDropsItsMeasurement) {
  const uint64_t eid = m.secs(kSecs).eid;
  ASSERT_EQ(remove(kReg), Result::ok());
  ASSERT_EQ(remove(kTcs), Result::ok());
  // The VA page's ENCLAVESECS field is 0, the SECS's slot: VA pages are nobody's child.
  ASSERT_EQ(remove(kSecs), Result::ok());
  EXPECT_EQ(m.epcm(kSecs), EpcmEntry{});
  EXPECT_TRUE(m.epcm(kVa).valid);
  EXPECT_EQ(m.snapshot().measurements.count(eid), 0u);
}

TEST_F(Eremove, FreedSecsSlotTakesANewEnclave) {
  ASSERT_EQ(remove(kReg), Result::ok());
  ASSERT_EQ(remove(kTcs), Result::ok());
  ASSERT_EQ(remove(kSecs), Result::ok());
  ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
  EXPECT_EQ(m.secs(kSecs).eid, 2u);
}

TEST_F(Eremove, MisalignedPageIsGp) { expect_refused(m.epc_addr(kReg) + 8, Result::gp()); }

TEST_F(Eremove, NonEpcPageIsPf) {
  const PAddr ram = m.ram().alloc();
  expect_refused(ram, Result::pf(ram, 0));
}

}  // namespace
}  // namespace sgxref::hw
