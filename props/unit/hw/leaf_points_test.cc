// Every leaf passes two scheduling points (leaf.h, cpu.h): "<leaf>.begin" before it
// takes any lock and "<leaf>.end" once it has released them all, so a leaf parked at
// either holds nothing that another CPU's leaf or an IPI needs.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/leaf.h"
#include "hw/machine.h"
#include "testlib/enclave_fixture.h"
#include "testlib/pause_at.h"

namespace sgxref::hw {
namespace {

using testlib::overlap;
using testlib::TestEnclave;

std::string lower(const char* s) {
  std::string r(s);
  for (char& c : r) c = char(std::tolower(uint8_t(c)));
  return r;
}

TEST(LeafPointNames, AreTheLeafInLowerCase) {
  for (int i = 0; i < kLeafCount; ++i) {
    const Leaf leaf = Leaf(i);
    EXPECT_EQ(begin_point(leaf), lower(to_string(leaf)) + ".begin");
    EXPECT_EQ(end_point(leaf), lower(to_string(leaf)) + ".end");
  }
}

class LeafPoints : public testlib::EnclaveFixture {
 protected:
  PAddr data_addr() { return m().epc_addr(slot(TestEnclave::kData)); }
  uint64_t calls(Leaf leaf) { return Inspector(m()).counters().calls[int(leaf)]; }
};

// EBLOCK parked before its work holds no page lock: EREMOVE, which needs the page
// Exclusive, takes it, and EBLOCK then finds no page.
TEST_F(LeafPoints, EnclsLeafAtBeginHasTakenNoLock) {
  const Result blocked = overlap(
      "eblock.begin", [&] { return cpu(1).eblock(data_addr()); },
      [&] {
        EXPECT_EQ(calls(Leaf::kEblock), 0u);
        EXPECT_EQ(cpu(2).eremove(data_addr()), Result::ok());
      });
  EXPECT_EQ(blocked, Result::error(SgxCode::kPgInvld));
}

// EBLOCK parked after its work has committed and released its Shared lock.
TEST_F(LeafPoints, EnclsLeafAtEndHasCommittedAndReleasedItsLocks) {
  const Result blocked = overlap(
      "eblock.end", [&] { return cpu(1).eblock(data_addr()); },
      [&] {
        EXPECT_EQ(calls(Leaf::kEblock), 1u);
        EXPECT_TRUE(Inspector(m()).epcm(slot(TestEnclave::kData)).blocked);
        EXPECT_EQ(cpu(2).eremove(data_addr()), Result::ok());
      });
  EXPECT_EQ(blocked, Result::ok());
}

// EENTER parked before its work does not hold the CPU's lock, which an IPI takes; the
// CPU is still outside, so the IPI does nothing.
TEST_F(LeafPoints, EnteringLeafAtBeginHoldsNoCpuLock) {
  const Result entered = overlap(
      "eenter.begin", [&] { return eenter(1); },
      [&] {
        m().ipi(1);
        EXPECT_EQ(calls(Leaf::kEenter), 0u);
        EXPECT_FALSE(Inspector(m()).cpu_view(1).enclave_mode);
      });
  EXPECT_EQ(entered, Result::ok());
  EXPECT_TRUE(cpu(1).in_enclave_mode());
  EXPECT_FALSE(cpu(1).take_interrupt());
}

// EENTER parked after its work: the CPU is inside and its lock is free, so an IPI
// forces the AEX, which the driving thread sees at its next step.
TEST_F(LeafPoints, EnteringLeafAtEndHasEnteredAndReleasedTheCpuLock) {
  const Result entered = overlap(
      "eenter.end", [&] { return eenter(1); },
      [&] {
        EXPECT_TRUE(Inspector(m()).cpu_view(1).enclave_mode);
        m().ipi(1);
        EXPECT_EQ(Inspector(m()).counters().interrupts, 1u);
      });
  EXPECT_EQ(entered, Result::ok());
  EXPECT_TRUE(cpu(1).take_interrupt());
  EXPECT_FALSE(cpu(1).in_enclave_mode());
}

}  // namespace
}  // namespace sgxref::hw
