// EEXTEND: SDM vol. 3D "EEXTEND—Extend Uninitialized Enclave Measurement by 256 Bytes".
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
#include "testlib/mrenclave_blocks.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"

namespace sgxref::hw {
namespace {

using testlib::EnclaveBuilder;
using testlib::eextend_block;
using testlib::eadd_block;
using testlib::ecreate_block;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
constexpr uint32_t kSecs = 0;
constexpr uint32_t kReg = 1;
constexpr uint32_t kTcs = 2;
constexpr uint64_t kRegOffset = 0x2000;

// An enclave with a REG page at offset 0x2000 (slot 1) and a TCS at offset 0 (slot 2).
class Eextend : public ::testing::Test {
 protected:
  Eextend() : m(testlib::small_config()), builder(m, kSecs) {
    for (size_t i = 0; i < page.size(); ++i) page[i] = uint8_t(i * 31 + 7);
  }

  void SetUp() override {
    ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
    ASSERT_EQ(builder.add(kReg, kBase + kRegOffset, page.data(),
                          sf::type(PageType::kReg) | sf::kR | sf::kW),
              Result::ok());
    const uapi::Tcs tcs = testlib::make_tcs(0x3000, 0x2000);
    ASSERT_EQ(builder.add(kTcs, kBase, &tcs, sf::type(PageType::kTcs)), Result::ok());
  }

  // The running MRENCLAVE after SetUp's leaves.
  Sha256 built() const {
    Sha256 h;
    for (const auto& b : {ecreate_block(1, kSize),
                          eadd_block(kRegOffset, sf::type(PageType::kReg) | sf::kR | sf::kW),
                          eadd_block(0, sf::type(PageType::kTcs))}) {
      h.update(b.data(), b.size());
    }
    return h;
  }

  void expect_refused(PAddr rbx, PAddr rcx, const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(m.cpu(0).eextend(rbx, rcx), refusal);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }

  Machine m;
  EnclaveBuilder builder;
  std::array<uint8_t, kPageSize> page{};
  PAddr secs = m.epc_addr(kSecs);
};

TEST_F(Eextend, MeasuresChunkWithItsEnclaveOffset) {
  ASSERT_EQ(m.cpu(0).eextend(secs, m.epc_addr(kReg) + 0x300), Result::ok());
  Sha256 expected = built();
  const auto b = eextend_block(kRegOffset + 0x300);
  expected.update(b.data(), b.size());
  expected.update(page.data() + 0x300, 256);
  EXPECT_EQ(Inspector(m).secs(kSecs).mrenclave, expected.peek());
}

TEST_F(Eextend, MeasuresTcsPage) {
  ASSERT_EQ(m.cpu(0).eextend(secs, m.epc_addr(kTcs)), Result::ok());
  Sha256 expected = built();
  const auto b = eextend_block(0);
  expected.update(b.data(), b.size());
  expected.update(Inspector(m).page(kTcs), 256);
  EXPECT_EQ(Inspector(m).secs(kSecs).mrenclave, expected.peek());
}

TEST_F(Eextend, LeavesPageAndEpcmUnchanged) {
  const Snapshot before = Inspector(m).snapshot();
  ASSERT_EQ(m.cpu(0).eextend(secs, m.epc_addr(kReg)), Result::ok());
  const Snapshot after = Inspector(m).snapshot();
  EXPECT_EQ(after.epcm, before.epcm);
  EXPECT_EQ(after.page_digest, before.page_digest);
  EXPECT_NE(after.measurements, before.measurements);
}

TEST_F(Eextend, MisalignedSecsIsGp) { expect_refused(secs + 256, m.epc_addr(kReg), Result::gp()); }

TEST_F(Eextend, NonEpcSecsIsPf) {
  const PAddr ram = m.ram().alloc();
  expect_refused(ram, m.epc_addr(kReg), Result::pf(ram, 0));
}

TEST_F(Eextend, NonEpcSecsIsPfBeforeChunkAlignment) {
  const PAddr ram = m.ram().alloc();
  expect_refused(ram, m.epc_addr(kReg) + 8, Result::pf(ram, 0));
}

TEST_F(Eextend, MisalignedChunkIsGp) { expect_refused(secs, m.epc_addr(kReg) + 128, Result::gp()); }

TEST_F(Eextend, NonEpcChunkIsPf) {
  const PAddr ram = m.ram().alloc();
  expect_refused(secs, ram, Result::pf(ram, 0));
}

TEST_F(Eextend, InvalidPageIsPf) {
  expect_refused(secs, m.epc_addr(5), Result::epcm_pf(m.epc_addr(5)));
}

TEST_F(Eextend, SecsPageIsPf) { expect_refused(secs, secs + 256, Result::epcm_pf(secs + 256)); }

TEST_F(Eextend, VaPageIsPf) {
  ASSERT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(6)), Result::ok());
  expect_refused(secs, m.epc_addr(6), Result::epcm_pf(m.epc_addr(6)));
}

TEST_F(Eextend, SecsOfAnotherEnclaveIsGp) {
  EnclaveBuilder other(m, 4);
  ASSERT_EQ(other.create(testlib::make_secs(2 * kBase, kSize)), Result::ok());
  expect_refused(other.secs_addr(), m.epc_addr(kReg), Result::gp());
}

TEST_F(Eextend, SecsAddressThatIsNotTheSecsIsGp) {
  expect_refused(m.epc_addr(kTcs), m.epc_addr(kReg), Result::gp());
}

TEST_F(Eextend, InitializedEnclaveIsGp) {
  // Sets INIT in the SECS page as EINIT leaves it; EINIT has its own tests.
  uapi::Secs s = load_secs(Inspector(m).page(kSecs));
  s.attributes |= uapi::attr::kInit;
  std::memcpy(Internals::of(m).page(kSecs), &s, offsetof(uapi::Secs, xfrm));
  expect_refused(secs, m.epc_addr(kReg), Result::gp());
}

}  // namespace
}  // namespace sgxref::hw
