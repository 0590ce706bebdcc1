// EEXIT: SDM vol. 3D "EEXIT—Exits an Enclave". Also the selftests' test enclave run
// through the instruction-level API: EENTER, fetch, loads and stores, EEXIT.
#include <gtest/gtest.h>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_fixture.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Eexit : public testlib::EnclaveFixture {};

constexpr LAddr kTarget = 0x7000'0000'2000;

TEST_F(Eexit, LeavesForTargetWithAepInRcx) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(cpu().eexit(kTarget), Result::ok());
  EXPECT_FALSE(cpu().in_enclave_mode());
  const Registers r = cpu().regs();
  EXPECT_EQ(r.rip, kTarget);
  EXPECT_EQ(r.rcx, kAep);
}

TEST_F(Eexit, RestoresOutsideFsAndGsAndKeepsOtherRegisters) {
  ASSERT_EQ(eenter(), Result::ok());
  Registers r = cpu().regs();
  r.rax = 0xA;
  r.rdx = 0xD;
  r.r12 = 0x12;
  r.rsp = la(TestEnclave::kData) + 0x100;
  ASSERT_EQ(cpu().set_regs(r), Result::ok());
  ASSERT_EQ(cpu().eexit(kTarget), Result::ok());
  const Registers out = cpu().regs();
  EXPECT_EQ(out.fs_base, outside_regs().fs_base);
  EXPECT_EQ(out.gs_base, outside_regs().gs_base);
  // EEXIT scrubs nothing: that is the enclave's job.
  EXPECT_EQ(out.rax, 0xAu);
  EXPECT_EQ(out.rdx, 0xDu);
  EXPECT_EQ(out.r12, 0x12u);
  EXPECT_EQ(out.rsp, la(TestEnclave::kData) + 0x100);
}

TEST_F(Eexit, MarksTcsInactiveAndLeavesTracking) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(cpu().eexit(kTarget), Result::ok());
  EXPECT_EQ(tcs().state, 0u);
  EXPECT_EQ(tcs().ssa_index, 0u);
  EXPECT_TRUE(Inspector(m()).tracking(enclave().secs_slot()).cpus_inside.empty());
  // The TCS can be entered again at once.
  ASSERT_EQ(cpu().set_regs(outside_regs()), Result::ok());
  EXPECT_EQ(eenter(1), Result::ok());
}

TEST_F(Eexit, FlushesTheTlb) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(store64(0, la(TestEnclave::kData), 1), Result::ok());
  ASSERT_EQ(Inspector(m()).cpu_view(0).tlb.size(), 1u);
  ASSERT_EQ(cpu().eexit(kTarget), Result::ok());
  EXPECT_TRUE(Inspector(m()).cpu_view(0).tlb.empty());
}

TEST_F(Eexit, OutsideEnclaveModeIsGp) {
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(cpu().eexit(kTarget), Result::gp());
  EXPECT_EQ(Inspector(m()).snapshot(), before);
}

TEST_F(Eexit, NonCanonicalTargetIsGpDeliveredByAex) {
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(cpu().eexit(0x0000'8000'0000'0000ull), Result::gp());
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_EQ(cpu().regs().rip, kAep);  // an AEX, not an exit to the target
  EXPECT_EQ(tcs().ssa_index, 1u);
}

// The kernel selftests' test enclave (linux-driver.md section 5): the op is in user
// memory at RDI; encl_buffer is the enclave's first data page.
constexpr uint64_t kPutToBuffer = 0;
constexpr uint64_t kGetFromBuffer = 1;
constexpr uint64_t kMagic = 0xdeadbeefcafebabeull;

// One pass of the enclave's entry code on `c`, which EENTER just entered: fetch at RIP,
// dispatch the op RDI points to, EEXIT to the return address EENTER left in RCX.
Result run_test_enclave(Cpu& c, LAddr buffer) {
  const Registers r = c.regs();
  uint64_t insn;
  if (Result f = c.fetch(r.rip, &insn, sizeof insn); !f.succeeded()) return f;
  uint64_t op[2];
  if (Result f = c.load(r.rdi, &op[0], 8); !f.succeeded()) return f;
  if (Result f = c.load(r.rdi + 8, &op[1], 8); !f.succeeded()) return f;
  switch (op[0]) {
    case kPutToBuffer:
      if (Result f = c.store(buffer, &op[1], 8); !f.succeeded()) return f;
      break;
    case kGetFromBuffer: {
      uint64_t v;
      if (Result f = c.load(buffer, &v, 8); !f.succeeded()) return f;
      if (Result f = c.store(r.rdi + 8, &v, 8); !f.succeeded()) return f;
      break;
    }
    default:
      break;
  }
  return c.eexit(r.rcx);
}

TEST_F(Eexit, TestEnclavePutsAndGetsThroughItsBuffer) {
  testlib::KernelMemory& user = enclave().memory();
  Registers r = outside_regs();
  r.rdi = kUser;

  const uint64_t put[2] = {kPutToBuffer, kMagic};
  user.write(user_, put, sizeof put);
  ASSERT_EQ(cpu().set_regs(r), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(run_test_enclave(cpu(), la(TestEnclave::kData)), Result::ok());
  EXPECT_EQ(cpu().regs().rip, kCallSite);

  const uint64_t get[2] = {kGetFromBuffer, 0};
  user.write(user_, get, sizeof get);
  ASSERT_EQ(cpu(1).set_regs(r), Result::ok());
  ASSERT_EQ(eenter(1), Result::ok());
  ASSERT_EQ(run_test_enclave(cpu(1), la(TestEnclave::kData)), Result::ok());
  EXPECT_EQ(user.get<uint64_t>(user_ + 8), kMagic);
  EXPECT_FALSE(cpu(1).in_enclave_mode());
}

}  // namespace
}  // namespace sgxref::hw
