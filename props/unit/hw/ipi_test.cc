// Interrupts (Machine::ipi): an IPI to a CPU in enclave mode performs an AEX there, under
// that CPU's lock, and the thread driving the CPU sees it at its next step; to a CPU
// outside enclave mode it does nothing architectural (docs/hw.md "AEX").
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "sched/thread.h"
#include "testlib/enclave_fixture.h"
#include "testlib/pause_at.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Ipi : public testlib::EnclaveFixture {
 protected:
  LAddr data() const { return la(TestEnclave::kData); }
};

TEST_F(Ipi, InEnclaveModeForcesAnAex) {
  ASSERT_EQ(eenter(), Result::ok());
  Registers inside = cpu().regs();
  inside.rip = la(TestEnclave::kCode) + 0x10;
  inside.rax = 0x77;
  ASSERT_EQ(cpu().set_regs(inside), Result::ok());
  m().ipi(0);
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_EQ(tcs().ssa_index, 1u);
  EXPECT_EQ(tcs().state, 0u);
  EXPECT_EQ(gpr(TestEnclave::kSsa1).rip, inside.rip);
  EXPECT_EQ(gpr(TestEnclave::kSsa1).rax, 0x77u);
  EXPECT_EQ(gpr(TestEnclave::kSsa1).exitinfo, 0u);  // an interrupt, not an exception
  EXPECT_EQ(cpu().regs().rip, kAep);
  EXPECT_EQ(Inspector(m()).counters().interrupts, 1u);
  EXPECT_TRUE(Inspector(m()).tracking(enclave().secs_slot()).cpus_inside.empty());
}

TEST_F(Ipi, DrivingThreadSeesItAtItsNextStep) {
  ASSERT_EQ(eenter(), Result::ok());
  m().ipi(0);
  EXPECT_EQ(store64(0, data(), 1), Result::interrupted());
  // Seen once: the step after that runs, here outside enclave mode (the abort page).
  EXPECT_EQ(store64(0, data(), 1), Result::ok());
  EXPECT_EQ(load64(0, data()), ~uint64_t(0));
}

TEST_F(Ipi, TakeInterruptReportsItOnce) {
  ASSERT_EQ(eenter(), Result::ok());
  m().ipi(0);
  EXPECT_TRUE(cpu().take_interrupt());
  EXPECT_FALSE(cpu().take_interrupt());
}

TEST_F(Ipi, InterruptedStepsDoNotRun) {
  ASSERT_EQ(eenter(), Result::ok());
  m().ipi(0);
  const Registers synthetic = cpu().regs();
  Registers r = synthetic;
  r.rax = 0x1234;
  EXPECT_EQ(cpu().set_regs(r), Result::interrupted());
  EXPECT_EQ(cpu().regs(), synthetic);

  ASSERT_EQ(eresume(), Result::ok());
  m().ipi(0);
  EXPECT_EQ(cpu().eexit(kCallSite), Result::interrupted());
  EXPECT_EQ(Inspector(m()).counters().calls[int(Leaf::kEexit)], 0u);

  ASSERT_EQ(eresume(), Result::ok());
  m().ipi(0);
  EXPECT_EQ(eenter(0, TestEnclave::kTcs2), Result::interrupted());
  EXPECT_EQ(tcs(TestEnclave::kTcs2).state, 0u);
}

TEST_F(Ipi, EresumeContinuesWhereTheInterruptStoppedIt) {
  ASSERT_EQ(eenter(), Result::ok());
  Registers inside = cpu().regs();
  inside.rip = la(TestEnclave::kCode) + 0x30;
  inside.r10 = 0x1010;
  ASSERT_EQ(cpu().set_regs(inside), Result::ok());
  ASSERT_EQ(store64(0, data(), 5), Result::ok());
  m().ipi(0);
  ASSERT_TRUE(cpu().take_interrupt());
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(cpu().regs().rip, inside.rip);
  EXPECT_EQ(cpu().regs().r10, 0x1010u);
  EXPECT_EQ(load64(0, data()), 5u);
}

TEST_F(Ipi, OutsideEnclaveModeDoesNothing) {
  const Snapshot before = Inspector(m()).snapshot();
  m().ipi(0);
  EXPECT_EQ(Inspector(m()).snapshot(), before);
  EXPECT_FALSE(cpu().take_interrupt());
  EXPECT_EQ(Inspector(m()).counters().aex, 0u);
}

TEST_F(Ipi, OnlyTheTargetCpuLeaves) {
  ASSERT_EQ(eenter(0, TestEnclave::kTcs1), Result::ok());
  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  m().ipi(1);
  EXPECT_TRUE(cpu(0).in_enclave_mode());
  EXPECT_FALSE(cpu(1).in_enclave_mode());
  EXPECT_EQ(Inspector(m()).tracking(enclave().secs_slot()).cpus_inside, std::vector<uint32_t>{0});
}

TEST_F(Ipi, LandsBetweenInstructions) {
  // EENTER holds the CPU's lock from start to end: an IPI sent meanwhile waits for it
  // and then finds the CPU in enclave mode.
  testlib::PauseAt pause("eenter.locked");
  Result entered;
  sched::Thread enclave_thread(&pause, "enclave", [&] { entered = eenter(); });
  pause.wait_until_parked();
  std::thread sender([&] { m().ipi(0); });
  pause.release();
  enclave_thread.join();
  sender.join();
  EXPECT_EQ(entered, Result::ok());
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_EQ(Inspector(m()).counters().interrupts, 1u);
}

TEST_F(Ipi, ConcurrentWithEnclaveStoresOnAnotherThread) {
  // One thread runs an enclave that stores in a loop, resuming after every interrupt;
  // another sends IPIs until 200 of them have made AEXs. Every AEX is seen exactly once
  // and no store is lost or torn.
  ASSERT_EQ(eenter(), Result::ok());
  std::atomic<bool> stop{false};
  uint64_t seen = 0;
  uint64_t last = 0;
  bool ok = true;
  std::thread enclave_thread([&] {
    for (uint64_t i = 1; !stop.load(); ++i) {
      const Result r = store64(0, data() + 8 * (i % 64), i);
      if (r == Result::interrupted()) {
        ++seen;
        ok = ok && eresume() == Result::ok();
        --i;  // the store did not run; do it again
        continue;
      }
      ok = ok && r == Result::ok();
      last = i;
    }
    // The last IPI may have landed after the last store.
    if (cpu().take_interrupt()) {
      ++seen;
      ok = ok && eresume() == Result::ok();
    }
    ok = ok && cpu().eexit(kCallSite) == Result::ok();
  });
  std::thread sender([&] {
    while (Inspector(m()).counters().interrupts < 200) {
      m().ipi(0);
      std::this_thread::yield();
    }
    stop = true;
  });
  sender.join();
  enclave_thread.join();
  EXPECT_TRUE(ok);
  EXPECT_EQ(seen, Inspector(m()).counters().interrupts);
  EXPECT_EQ(Inspector(m()).counters().aex, Inspector(m()).counters().interrupts);
  uint64_t v;
  std::memcpy(&v, Inspector(m()).page(slot(TestEnclave::kData)) + 8 * (last % 64), 8);
  EXPECT_EQ(v, last);
}

}  // namespace
}  // namespace sgxref::hw
