#include "user/enclave_program.h"

#include "user/enclave_isa.h"

namespace sgxref::user {

namespace {

using isa::Op;

// The emulator raises an exception in enclave mode only through an instruction it
// executes, so the interpreter's own exceptions are raised by executing one that takes
// the same exception: the AEX, the SSA frame and the counters are then the hardware's.
// Every ENCLS leaf is #UD in enclave mode (SDM "ENCLS"): an undefined instruction.
hw::Result undefined_instruction(hw::Cpu& cpu) { return cpu.etrack(0); }
// ENCLU[EENTER] from inside is #GP(0): an ENCLU leaf the emulator does not run from inside
// (EGETKEY, which it lacks; EENTER, ERESUME; reserved numbers).
hw::Result general_protection(hw::Cpu& cpu) { return cpu.eenter(0, 0); }

// EACCEPT and EACCEPTCOPY: the code in RAX, ZF set on an error, the other arithmetic
// flags cleared (SDM "EACCEPT", flags affected). The emulator writes them into the
// register file; the commit, copied from it before the leaf, must carry them too.
void leaf_code(hw::Registers& r, uapi::SgxCode code) {
  namespace f = hw::rflags;
  r.rax = uint64_t(code);
  r.rflags &= ~(f::kCf | f::kPf | f::kAf | f::kZf | f::kSf | f::kOf);
  if (code != uapi::SgxCode::kSuccess) r.rflags |= f::kZf;
}

// ENCLU from inside the enclave, with x86's register convention.
hw::Result enclu(hw::Cpu& cpu, hw::Registers& r, bool& exited) {
  switch (r.rax) {
    case isa::leaf::kEreport:
      return cpu.ereport(r.rbx, r.rcx, r.rdx);
    case isa::leaf::kEexit: {
      const hw::Result res = cpu.eexit(r.rbx);
      exited = !res.faulted();
      return res;
    }
    case isa::leaf::kEaccept: {
      const hw::Result res = cpu.eaccept(r.rbx, r.rcx);
      if (!res.faulted()) leaf_code(r, res.code);
      return res;
    }
    case isa::leaf::kEmodpe:
      return cpu.emodpe(r.rbx, r.rcx);
    case isa::leaf::kEacceptcopy: {
      const hw::Result res = cpu.eacceptcopy(r.rbx, r.rcx, r.rdx);
      if (!res.faulted()) leaf_code(r, res.code);
      return res;
    }
    default:
      return general_protection(cpu);
  }
}

bool defined(const isa::Insn& in) {
  return in.op != 0 && in.op <= isa::kOpLast && in.a < isa::kRegCount &&
         in.b < isa::kRegCount && in.c < isa::kRegCount;
}

// Executes `in`, fetched at `rip`, on `r` (the registers before it): its one memory
// access or leaf, then its results and next RIP written into `r`. A faulted Result
// (interrupts included) means the CPU has left the enclave and `r` is to be dropped;
// `exited` says EEXIT left it.
hw::Result execute(hw::Cpu& cpu, const isa::Insn& in, hw::LAddr rip, hw::Registers& r,
                   bool& exited) {
  if (!defined(in)) return undefined_instruction(cpu);
  uint64_t& a = isa::reg(r, in.a);
  const uint64_t b = isa::reg(r, in.b);
  const uint64_t c = isa::reg(r, in.c);
  const uint64_t imm = uint64_t(int64_t(in.imm));
  r.rip = rip + isa::kInsnSize;
  switch (Op(in.op)) {
    case Op::kMovi: a = imm; break;
    case Op::kLea: a = rip + imm; break;
    case Op::kAddi: a = b + imm; break;
    case Op::kAdd: a = b + c; break;
    case Op::kShli: a = b << (imm & 63); break;
    case Op::kLoad: {
      uint64_t v = 0;
      const hw::Result res = cpu.load(b + imm, &v, sizeof v);
      if (!res.faulted()) a = v;
      return res;
    }
    case Op::kStore:
      return cpu.store(a + imm, &b, sizeof b);
    case Op::kBeq:
      if (a == b) r.rip = rip + imm;
      break;
    case Op::kBne:
      if (a != b) r.rip = rip + imm;
      break;
    case Op::kEnclu:
      return enclu(cpu, r, exited);
  }
  return hw::Result::ok();
}

ProgramExit aex(const hw::Result& r, std::optional<Unretired> unretired = std::nullopt) {
  return ProgramExit{ProgramExit::Kind::kAex, r.fault, std::move(unretired)};
}

}  // namespace

ProgramExit run_enclave_program(hw::Cpu& cpu, const std::optional<Unretired>& owed) {
  if (owed) {
    if (const hw::Result r = cpu.set_regs(owed->regs); r.faulted()) return aex(r, owed);
  }
  for (;;) {
    const hw::Registers before = cpu.regs();
    isa::InsnBytes bytes{};
    if (const hw::Result r = cpu.fetch(before.rip, bytes.data(), bytes.size()); r.faulted()) {
      return aex(r);
    }
    hw::Registers after = before;
    bool exited = false;
    if (const hw::Result r = execute(cpu, isa::decode(bytes), before.rip, after, exited);
        r.faulted()) {
      return aex(r);
    }
    if (exited) return ProgramExit{};
    if (const hw::Result r = cpu.set_regs(after); r.faulted()) {
      return aex(r, Unretired{before.rip, after});
    }
  }
}

}  // namespace sgxref::user
