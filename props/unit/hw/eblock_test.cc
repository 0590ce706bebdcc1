// EBLOCK: SDM vol. 3D "EBLOCK—Mark a page in EPC as Blocked". Conflicts with a leaf
// holding the page are in paging_overlap_test.cc.
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
constexpr uint32_t kFree = 4;

Config small() {
  Config c;
  c.epc_pages = 8;
  c.ram_pages = 64;
  return c;
}

// An enclave (SECS in slot 0) with a REG page in slot 1 and a TCS in slot 2, and a VA
// page in slot 3.
class Eblock : public ::testing::Test {
 protected:
  Eblock() : m(small()), builder(m, kSecs) {}

  void SetUp() override {
    ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
    ASSERT_EQ(builder.add(kReg, kBase + 0x1000, page.data(),
                          sf::type(PageType::kReg) | sf::kR | sf::kW),
              Result::ok());
    const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0x1000);
    ASSERT_EQ(builder.add(kTcs, kBase, &tcs, sf::type(PageType::kTcs)), Result::ok());
    ASSERT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(kVa)), Result::ok());
  }

  Result block(PAddr addr) { return m.cpu(0).eblock(addr); }

  void expect_refused(PAddr addr, const Result& refusal) {
    const Snapshot before = m.snapshot();
    EXPECT_EQ(block(addr), refusal);
    EXPECT_EQ(m.snapshot(), before);
  }

  // EBLOCK sets BLOCKED, stamps the page with its enclave's epoch (SEMANTICS.md
  // "Tracking") and changes nothing else.
  void expect_blocked(uint32_t slot) {
    const Snapshot before = m.snapshot();
    ASSERT_EQ(block(m.epc_addr(slot)), Result::ok());
    EpcmEntry expected = before.epcm[slot];
    expected.blocked = true;
    expected.stamped = true;
    expected.stamp = m.tracking(kSecs).epoch;
    Snapshot after = m.snapshot();
    EXPECT_EQ(after.epcm[slot], expected);
    after.epcm[slot] = before.epcm[slot];
    EXPECT_EQ(after, before);
  }

  Machine m;
  EnclaveBuilder builder;
  std::array<uint8_t, kPageSize> page{};
};

TEST_F(Eblock, BlocksRegPage) { expect_blocked(kReg); }

TEST_F(Eblock, BlocksTcsPage) { expect_blocked(kTcs); }

TEST_F(Eblock, MisalignedPageIsGp) { expect_refused(m.epc_addr(kReg) + 8, Result::gp()); }

TEST_F(Eblock, NonEpcPageIsPf) {
  const PAddr ram = m.ram().alloc();
  expect_refused(ram, Result::pf(ram, 0));
}

TEST_F(Eblock, InvalidPageIsPgInvld) {
  expect_refused(m.epc_addr(kFree), Result::error(SgxCode::kPgInvld));
}

TEST_F(Eblock, SecsIsPgIsSecsWithCf) {
  expect_refused(m.epc_addr(kSecs), Result::error(SgxCode::kPgIsSecs, true));
}

TEST_F(Eblock, VaPageIsNotBlockableWithCf) {
  expect_refused(m.epc_addr(kVa), Result::error(SgxCode::kNotBlockable, true));
}

TEST_F(Eblock, BlockedPageIsBlkStateWithCf) {
  ASSERT_EQ(block(m.epc_addr(kReg)), Result::ok());
  expect_refused(m.epc_addr(kReg), Result::error(SgxCode::kBlkState, true));
}

TEST_F(Eblock, BlocksTrimPage) {
  // A TRIM page as EMODT leaves it.
  {
    sched::MutexLock l(m.mu());
    EpcmEntry& e = m.epcm_entry(kReg);
    e.type = PageType::kTrim;
    e.r = e.w = e.x = false;
    e.modified = true;
  }
  expect_blocked(kReg);
}

}  // namespace
}  // namespace sgxref::hw
