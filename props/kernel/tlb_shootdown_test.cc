// TLB shootdown: a PTE the kernel takes away (zap_pte, mprotect narrowing, munmap) is
// followed by an IPI to every other CPU in the mm's cpumask, which makes a CPU inside an
// enclave leave it by AEX and so drop the translations it cached; a CPU not in the mask
// (it runs another mm) is left alone. Observed on the emulator's platform face: enclave
// mode, the stale translation's fate, and the hardware's interrupt count.
#include <gtest/gtest.h>

#include <memory>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "kernel_fixture.h"
#include "testlib/test_enclave.h"
#include "testlib/test_signing_key.h"

namespace sgxref::kernel::test {
namespace {

using testlib::TestEnclave;

constexpr uint64_t P = kPageSize;
constexpr LAddr kAep = 0x7000'0000'1000;

hw::Registers outside_regs() {
  hw::Registers r;
  r.rip = 0x7000'0000'0ff0;
  r.rsp = 0x7fff'0000'8000;
  r.rbp = 0x7fff'0000'9000;
  r.fs_base = 0x7f00'0000'0000;
  r.gs_base = 0x7f00'0000'2000;
  return r;
}

class TlbShootdownTest : public KernelTest {
 protected:
  void SetUp() override {
    KernelTest::SetUp();
    // An enclave whose pages p()'s page table maps (no VMA: the test plays the driver).
    encl_ = std::make_unique<TestEnclave>(m_, mm().page_table(), testlib::test_signing_key());
    ASSERT_EQ(encl_->build(), hw::Result::ok());
    for (uint32_t i = 0; i < m_.cpu_count(); ++i) {
      ASSERT_EQ(m_.cpu(i).set_regs(outside_regs()), hw::Result::ok());
    }
    // The caller on one CPU, and a second thread of p() on another.
    caller_ = std::make_unique<Task>(p(), "caller");
    inside_ = std::make_unique<Task>(p(), "inside");
    k_.run_queue().take(*caller_);
    k_.run_queue().take(*inside_);
    ASSERT_NE(caller_->cpu(), inside_->cpu());
  }

  void TearDown() override {
    // Every CPU out of its enclave before the run queue hands CPUs out again.
    for (uint32_t i = 0; i < m_.cpu_count(); ++i) m_.ipi(i);
    if (inside_ && inside_->cpu() != nullptr) k_.run_queue().give_back(*inside_);
    if (caller_ && caller_->cpu() != nullptr) k_.run_queue().give_back(*caller_);
    if (third_ && third_->cpu() != nullptr) k_.run_queue().give_back(*third_);
    third_.reset();
    other_.reset();
    KernelTest::TearDown();
  }

  hw::Cpu& inside_cpu() { return *inside_->cpu(); }
  LAddr data() const { return encl_->la(TestEnclave::kData); }

  // The inside task enters the enclave and touches its data page, which caches the
  // translation in the CPU's TLB.
  void enter_and_touch() {
    ASSERT_EQ(inside_cpu().eenter(encl_->la(TestEnclave::kTcs1), kAep), hw::Result::ok());
    uint64_t v = 0;
    ASSERT_EQ(inside_cpu().load(data(), &v, sizeof v), hw::Result::ok());
    ASSERT_TRUE(inside_cpu().in_enclave_mode());
  }

  uint64_t interrupts() const { return hw::Inspector(m_).counters().interrupts; }

  std::unique_ptr<TestEnclave> encl_;
  std::unique_ptr<Task> caller_;
  std::unique_ptr<Task> inside_;
  std::unique_ptr<Process> other_;
  std::unique_ptr<TestEnclave> other_encl_;
  std::unique_ptr<Task> third_;
};

TEST_F(TlbShootdownTest, ZapPteRemovesThePteAndInterruptsTheOtherCpusInTheMask) {
  enter_and_touch();
  const uint64_t before = interrupts();
  {
    TaskScope s(*caller_);
    mm().zap_pte(data() + 8);
  }
  EXPECT_FALSE(pte(data()).present);
  EXPECT_EQ(interrupts(), before + 1);
  EXPECT_FALSE(inside_cpu().in_enclave_mode()) << "the IPI made it leave by AEX";
  EXPECT_TRUE(inside_cpu().take_interrupt());

  // Back in: the translation it had cached is gone with the AEX, so the zapped page
  // faults (not present) instead of reaching the EPC page.
  ASSERT_EQ(inside_cpu().eenter(encl_->la(TestEnclave::kTcs1), kAep), hw::Result::ok());
  uint64_t v = 0;
  const hw::Result r = inside_cpu().load(data(), &v, sizeof v);
  EXPECT_EQ(r.fault.vector, hw::Vector::kPF);
  EXPECT_EQ(r.fault.error_code & hw::pfec::kP, 0u);
  EXPECT_EQ(r.fault.addr, data());
}

TEST_F(TlbShootdownTest, ACpuRunningAnotherMmIsNotInterrupted) {
  other_ = std::make_unique<Process>(k_);
  testlib::TestEnclaveOptions o;
  o.secs_slot = 16;
  o.base = 0x8000'0000;
  other_encl_ = std::make_unique<TestEnclave>(m_, other_->mm().page_table(),
                                              testlib::test_signing_key(), o);
  ASSERT_EQ(other_encl_->build(), hw::Result::ok());
  third_ = std::make_unique<Task>(*other_, "third");
  hw::Cpu& c = k_.run_queue().take(*third_);
  EXPECT_EQ(mm().cpumask() & (1ull << c.id()), 0u);
  ASSERT_EQ(c.eenter(other_encl_->la(TestEnclave::kTcs1), kAep), hw::Result::ok());

  enter_and_touch();
  const uint64_t before = interrupts();
  {
    TaskScope s(*caller_);
    mm().zap_pte(data());
  }
  EXPECT_EQ(interrupts(), before + 1) << "only the CPU in p()'s cpumask";
  EXPECT_FALSE(inside_cpu().in_enclave_mode());
  EXPECT_TRUE(c.in_enclave_mode()) << "the other mm's CPU kept running its enclave";
}

TEST_F(TlbShootdownTest, MprotectThatNarrowsRightsShootsDownTheOtherCpus) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 1);
  enter_and_touch();
  const uint64_t before = interrupts();
  {
    TaskScope s(*caller_);
    ASSERT_EQ(p().mprotect(LAddr(a), P, PROT_READ), 0);
  }
  EXPECT_EQ(interrupts(), before + 1);
  EXPECT_FALSE(inside_cpu().in_enclave_mode());
}

TEST_F(TlbShootdownTest, MunmapShootsDownTheOtherCpusBeforeTheFramesAreFreed) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 1);
  enter_and_touch();
  const uint64_t before = interrupts();
  {
    TaskScope s(*caller_);
    ASSERT_EQ(p().munmap(LAddr(a), P), 0);
  }
  EXPECT_GE(interrupts(), before + 1);
  EXPECT_FALSE(inside_cpu().in_enclave_mode());
}

TEST_F(TlbShootdownTest, TheCallersOwnCpuIsNotInterrupted) {
  // The caller's CPU is the one inside the enclave here (as it never is in a real
  // kernel, which runs outside any enclave): the shootdown skips it.
  enter_and_touch();
  const uint64_t before = interrupts();
  {
    TaskScope s(*inside_);
    mm().zap_pte(data());
  }
  EXPECT_EQ(interrupts(), before);
  EXPECT_TRUE(inside_cpu().in_enclave_mode());
}

}  // namespace
}  // namespace sgxref::kernel::test
