// The interpreter of enclave code (user/enclave_program.h) on its own: the encoding,
// exceptions raised by AEX like the hardware's, and resumption after an interrupt at
// any step, including the one between a leaf and its commit.
#include <gtest/gtest.h>

#include "user/enclave_assembler.h"
#include "user/enclave_program.h"
#include "user_fixture.h"

namespace sgxref::user {
namespace {

using isa::Reg;
using test_encl::kTcs1;

TEST(EnclaveIsa, EncodingRoundTripsAndBranchesAreRelativeToTheInstruction) {
  Assembler a(0x2000);
  Assembler::Label back = a.label();
  a.bind(back);
  a.movi(Reg::kR9, -2);
  a.lea(Reg::kRax, 0x1000);
  a.beq(Reg::kRdi, Reg::kRsi, back);
  const std::vector<uint8_t> code = a.finish();
  ASSERT_EQ(code.size(), 3 * isa::kInsnSize);
  auto insn = [&](size_t i) {
    isa::InsnBytes b;
    std::copy_n(code.begin() + ptrdiff_t(i * isa::kInsnSize), isa::kInsnSize, b.begin());
    return isa::decode(b);
  };
  EXPECT_EQ(insn(0), (isa::Insn{uint8_t(isa::Op::kMovi), 9, 0, 0, -2}));
  EXPECT_EQ(insn(1), (isa::Insn{uint8_t(isa::Op::kLea), 0, 0, 0, 0x1000 - 0x2008}));
  EXPECT_EQ(insn(2), (isa::Insn{uint8_t(isa::Op::kBeq), 7, 6, 0, -16}));
  EXPECT_EQ(isa::decode(isa::encode(insn(1))), insn(1));
}

TEST(EnclaveIsa, TheTestEnclaveFitsItsCodePage) {
  EXPECT_LE(test_encl::assemble(test_encl::kLayout).size(), hw::kPageSize);
}

class EnclaveProgram : public UserFixture {
 protected:
  // A second enclave, the test enclave's image with other code, SECS in slot 16.
  static constexpr uint64_t kOtherBase = 0x5000'0000;

  void build_with_code(const std::vector<uint8_t>& code) {
    EnclaveImage img = test_encl::image();
    for (Segment& s : img.segments) {
      if (s.offset != test_encl::kText) continue;
      std::fill(s.bytes.begin(), s.bytes.end(), 0);
      std::copy(code.begin(), code.end(), s.bytes.begin());
    }
    ASSERT_EQ(build_enclave(img, kOtherBase, 16), hw::Result::ok());
  }

  // ENCLU[EENTER] as the vDSO issues it, then the interpreter, on a CPU this task holds.
  ProgramExit enter_and_run(uint64_t base = kBase) {
    kernel::CpuHold hold;
    hw::Cpu& cpu = kernel::this_cpu();
    hw::Registers r = cpu.regs();
    r.rdi = op_;
    r.rbx = base + kTcs1;
    r.rip = kVdsoAfterEnclu;
    EXPECT_EQ(cpu.set_regs(r), hw::Result::ok());
    EXPECT_EQ(cpu.eenter(base + kTcs1, kVdsoEnclu), hw::Result::ok());
    return run_enclave_program(cpu);
  }
  ProgramExit resume_and_run(const std::optional<Unretired>& owed) {
    kernel::CpuHold hold;
    hw::Cpu& cpu = kernel::this_cpu();
    EXPECT_EQ(cpu.eresume(la(kTcs1), kVdsoEnclu), hw::Result::ok());
    return run_enclave_program(cpu, owed);
  }
  // enter_and_run() on a thread of its own, parked at `point` while every CPU gets an
  // IPI.
  ProgramExit enter_and_run_interrupted_at(const char* point) {
    kernel::Task worker(process(), "enclave");
    return testlib::overlap(
        point,
        [&] {
          kernel::TaskScope s(worker);
          return enter_and_run();
        },
        [&] {
          for (uint32_t i = 0; i < m().cpu_count(); ++i) m().ipi(i);
        });
  }
};

TEST_F(EnclaveProgram, RunsToEexitAtTheAddressEenterLeftInRcx) {
  put(op_, EnclOpHeader{kEnclOpNop});
  const ProgramExit x = enter_and_run();
  EXPECT_EQ(x.kind, ProgramExit::Kind::kEexit);
  kernel::CpuHold hold;
  EXPECT_FALSE(kernel::this_cpu().in_enclave_mode());
  EXPECT_EQ(kernel::this_cpu().regs().rip, kVdsoAfterEnclu);
}

TEST_F(EnclaveProgram, UndefinedInstructionRaisesUdByAex) {
  Assembler a(test_encl::kText);
  a.movi(Reg::kRax, 7);  // then zeroed memory: opcode 0
  ASSERT_NO_FATAL_FAILURE(build_with_code(a.finish()));
  run_.tcs = kOtherBase + kTcs1;
  EXPECT_EQ(vdso_sgx_enter_enclave(op_, 0, 0, uapi::enclu::kEenter, 0, 0, &run_), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEresume);
  EXPECT_EQ(run_.exception_vector, 6);
  EXPECT_EQ(counters().aex, 1u);
}

TEST_F(EnclaveProgram, EncluLeafNotRunFromInsideRaisesGp) {
  Assembler a(test_encl::kText);
  a.movi(Reg::kRax, int32_t(isa::leaf::kEgetkey));  // the emulator has no EGETKEY
  a.enclu();
  ASSERT_NO_FATAL_FAILURE(build_with_code(a.finish()));
  run_.tcs = kOtherBase + kTcs1;
  EXPECT_EQ(vdso_sgx_enter_enclave(op_, 0, 0, uapi::enclu::kEenter, 0, 0, &run_), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEresume);
  EXPECT_EQ(run_.exception_vector, 13);
}

TEST_F(EnclaveProgram, FetchOfAPageWithoutPteFaultsWithTheFetchBit) {
  pt().clear(la(test_encl::kText));
  EXPECT_EQ(call(EnclOpHeader{kEnclOpNop}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEresume);
  EXPECT_EQ(run_.exception_vector, 14);
  EXPECT_EQ(run_.exception_error_code, 0x14);  // I|U, not present
  EXPECT_EQ(run_.exception_addr, la(test_encl::kText));
}

TEST_F(EnclaveProgram, InterruptBeforeAStoreLeavesItToRunAfterEresume) {
  put(op_, EnclOpPutToBuf{{kEnclOpPutToBuffer}, kMagic});
  const ProgramExit x = enter_and_run_interrupted_at("enclave.store");
  EXPECT_EQ(x.kind, ProgramExit::Kind::kAex);
  EXPECT_EQ(x.fault.vector, hw::Vector::kIntr);
  EXPECT_FALSE(x.unretired);  // the store never ran: nothing is owed

  EXPECT_EQ(resume_and_run(std::nullopt).kind, ProgramExit::Kind::kEexit);
  EXPECT_EQ(buffer_value(), kMagic);
}

TEST_F(EnclaveProgram, CommitRefusedByAnInterruptIsOwedAndAppliedAfterEresume) {
  constexpr uint64_t kAug = test_encl::kImageEnd;
  ASSERT_EQ(eaug(kAug), hw::Result::ok());
  put(op_, EnclOpEaccept{{kEnclOpEaccept}, la(kAug), kReg | kR | kW | kPending, 99});
  const ProgramExit x = enter_and_run_interrupted_at("eaccept.end");
  EXPECT_EQ(x.kind, ProgramExit::Kind::kAex);
  EXPECT_EQ(x.fault.vector, hw::Vector::kIntr);
  ASSERT_TRUE(x.unretired);
  EXPECT_EQ(x.unretired->regs.rip, x.unretired->rip + isa::kInsnSize);
  EXPECT_EQ(x.unretired->regs.rax, 0u);  // EACCEPT's code

  EXPECT_EQ(resume_and_run(x.unretired).kind, ProgramExit::Kind::kEexit);
  EXPECT_EQ(result<EnclOpEaccept>().ret, 0u);
  EXPECT_EQ(counters().calls[int(hw::Leaf::kEaccept)], 1u);
}

TEST_F(EnclaveProgram, DroppingTheOwedCommitRunsTheEncluAgain) {
  // Why the commit is owed: the AEX saved RIP on the ENCLU, with RAX already holding
  // EACCEPT's code (0), so resuming without it runs ENCLU again, as EREPORT with
  // EACCEPT's operands: #GP.
  constexpr uint64_t kAug = test_encl::kImageEnd;
  ASSERT_EQ(eaug(kAug), hw::Result::ok());
  put(op_, EnclOpEaccept{{kEnclOpEaccept}, la(kAug), kReg | kR | kW | kPending, 99});
  const ProgramExit x = enter_and_run_interrupted_at("eaccept.end");
  ASSERT_TRUE(x.unretired);

  const ProgramExit y = resume_and_run(std::nullopt);
  EXPECT_EQ(y.kind, ProgramExit::Kind::kAex);
  EXPECT_EQ(y.fault.vector, hw::Vector::kGP);
  EXPECT_EQ(result<EnclOpEaccept>().ret, 99u);
}

}  // namespace
}  // namespace sgxref::user
