// Concurrent leaves on the same pages (SDM vol. 3D 41.1.5, and each leaf's concurrency
// tables): one leaf is parked by testlib::PauseAt inside its work with its
// architectural locks held, while the test thread runs a conflicting leaf, which must
// be refused with #GP and change nothing. Then the parked leaf finishes normally.
#include <gtest/gtest.h>

#include <array>
#include <functional>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "testlib/pause_at.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"

namespace sgxref::hw {
namespace {

using testlib::EnclaveBuilder;
using testlib::overlap;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
constexpr uint64_t kRegFlags = sf::type(PageType::kReg) | sf::kR | sf::kW;
constexpr uint32_t kSecs = 0;
constexpr uint32_t kReg = 1;   // added in SetUp, at kBase + 0x1000
constexpr uint32_t kNext = 2;  // free; the parked leaf's target where it needs one
constexpr uint32_t kFree = 3;

// A debug enclave with one REG page, built on CPU 0. The parked leaf runs on CPU 1 in
// its own thread; the test thread issues the conflicting leaf on CPU 2.
class Overlap : public ::testing::Test {
 protected:
  Overlap() : m(testlib::small_config()), builder(m, kSecs) {}

  void SetUp() override {
    ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
    ASSERT_EQ(builder.add(kReg, kBase + 0x1000, page.data(), kRegFlags), Result::ok());
  }

  // The test thread's leaf is refused with #GP and changes nothing.
  void expect_gp(const std::function<Result()>& leaf) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(leaf(), Result::gp());
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }

  Result add_next(EnclaveBuilder& b) {
    return b.add(kNext, kBase + 0x2000, page.data(), kRegFlags);
  }

  Machine m;
  EnclaveBuilder builder;
  std::array<uint8_t, kPageSize> page{};
};

TEST_F(Overlap, EextendWhileEaddMeasuresIsGp) {
  EnclaveBuilder adder(m, kSecs, /*cpu=*/1);
  const Result added = overlap(
      "eadd.measuring", [&] { return add_next(adder); },
      [&] { expect_gp([&] { return m.cpu(2).eextend(m.epc_addr(kSecs), m.epc_addr(kReg)); }); });
  EXPECT_EQ(added, Result::ok());
  EXPECT_EQ(m.cpu(2).eextend(m.epc_addr(kSecs), m.epc_addr(kReg)), Result::ok());
}

TEST_F(Overlap, EaddWhileEaddMeasuresIsGp) {
  EnclaveBuilder adder(m, kSecs, /*cpu=*/1);
  EnclaveBuilder second(m, kSecs, /*cpu=*/2);
  const Result added = overlap(
      "eadd.measuring", [&] { return add_next(adder); },
      [&] { expect_gp([&] { return second.add(kFree, kBase + 0x3000, page.data(), kRegFlags); }); });
  EXPECT_EQ(added, Result::ok());
}

TEST_F(Overlap, EaddWhileEextendMeasuresIsGp) {
  EnclaveBuilder adder(m, kSecs, /*cpu=*/2);
  const Result extended = overlap(
      "eextend.measuring",
      [&] { return m.cpu(1).eextend(m.epc_addr(kSecs), m.epc_addr(kReg)); },
      [&] { expect_gp([&] { return add_next(adder); }); });
  EXPECT_EQ(extended, Result::ok());
}

TEST_F(Overlap, EcreateIntoEaddTargetIsGp) {
  EnclaveBuilder adder(m, kSecs, /*cpu=*/1);
  EnclaveBuilder creator(m, kNext, /*cpu=*/2);
  const Result added = overlap(
      "eadd.measuring", [&] { return add_next(adder); },
      [&] { expect_gp([&] { return creator.create(testlib::make_secs(2 * kBase, kSize)); }); });
  EXPECT_EQ(added, Result::ok());
}

TEST_F(Overlap, EremoveOfSecsWhileEaddHoldsItIsGp) {
  EnclaveBuilder adder(m, kSecs, /*cpu=*/1);
  const Result added = overlap(
      "eadd.measuring", [&] { return add_next(adder); },
      [&] { expect_gp([&] { return m.cpu(2).eremove(m.epc_addr(kSecs)); }); });
  EXPECT_EQ(added, Result::ok());
}

TEST_F(Overlap, EremoveOfEcreateTargetIsGp) {
  EnclaveBuilder creator(m, kNext, /*cpu=*/1);
  const Result created = overlap(
      "ecreate.locked", [&] { return creator.create(testlib::make_secs(2 * kBase, kSize)); },
      [&] { expect_gp([&] { return m.cpu(2).eremove(m.epc_addr(kNext)); }); });
  EXPECT_EQ(created, Result::ok());
}

TEST_F(Overlap, EaddIntoEcreateTargetIsGp) {
  EnclaveBuilder creator(m, kNext, /*cpu=*/1);
  EnclaveBuilder adder(m, kSecs, /*cpu=*/2);
  const Result created = overlap(
      "ecreate.locked", [&] { return creator.create(testlib::make_secs(2 * kBase, kSize)); },
      [&] { expect_gp([&] { return add_next(adder); }); });
  EXPECT_EQ(created, Result::ok());
}

TEST_F(Overlap, EextendOfPageBeingRemovedIsGp) {
  const Result removed = overlap(
      "eremove.locked", [&] { return m.cpu(1).eremove(m.epc_addr(kReg)); },
      [&] { expect_gp([&] { return m.cpu(2).eextend(m.epc_addr(kSecs), m.epc_addr(kReg)); }); });
  EXPECT_EQ(removed, Result::ok());
}

TEST_F(Overlap, EdbgrdOfPageBeingRemovedIsGp) {
  const Result removed = overlap(
      "eremove.locked", [&] { return m.cpu(1).eremove(m.epc_addr(kReg)); }, [&] {
        expect_gp([&] {
          uint64_t data = 0;
          return m.cpu(2).edbgrd(m.epc_addr(kReg), data);
        });
      });
  EXPECT_EQ(removed, Result::ok());
}

TEST_F(Overlap, EaddToSecsBeingRemovedIsGp) {
  ASSERT_EQ(m.cpu(0).eremove(m.epc_addr(kReg)), Result::ok());
  EnclaveBuilder adder(m, kSecs, /*cpu=*/2);
  const Result removed = overlap(
      "eremove.locked", [&] { return m.cpu(1).eremove(m.epc_addr(kSecs)); },
      [&] { expect_gp([&] { return add_next(adder); }); });
  EXPECT_EQ(removed, Result::ok());
}

TEST_F(Overlap, EremoveOfPageBeingReadByDebuggerIsGp) {
  uint64_t data = 0;
  const Result read = overlap(
      "edbgrd.locked", [&] { return m.cpu(1).edbgrd(m.epc_addr(kReg), data); },
      [&] { expect_gp([&] { return m.cpu(2).eremove(m.epc_addr(kReg)); }); });
  EXPECT_EQ(read, Result::ok());
}

TEST_F(Overlap, DebuggerWriteSharesPageWithDebuggerRead) {
  uint64_t data = 0;
  const Result read = overlap(
      "edbgrd.locked", [&] { return m.cpu(1).edbgrd(m.epc_addr(kReg), data); },
      [&] { EXPECT_EQ(m.cpu(2).edbgwr(m.epc_addr(kReg) + 8, 42), Result::ok()); });
  EXPECT_EQ(read, Result::ok());
}

TEST_F(Overlap, EremoveOfPageBeingWrittenByDebuggerIsGp) {
  const Result written = overlap(
      "edbgwr.locked", [&] { return m.cpu(1).edbgwr(m.epc_addr(kReg), 42); },
      [&] { expect_gp([&] { return m.cpu(2).eremove(m.epc_addr(kReg)); }); });
  EXPECT_EQ(written, Result::ok());
}

}  // namespace
}  // namespace sgxref::hw
