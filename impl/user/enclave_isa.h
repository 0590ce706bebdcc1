// File: the instruction set enclave code is written in on the emulator: a small
// load/store machine over the x86-64 register file (hw::Registers), eight bytes per
// instruction, so that a program is real bytes in an enclave code page, fetched through
// the TLB and measured by EEXTEND like x86 code. Running real x86 is a later step
// (DESIGN.md "The machine model"); this is the least that expresses the kernel
// selftests' test enclave (test_encl.h).
//
// Encoding, little-endian: byte 0 the opcode, bytes 1-3 registers a, b, c (x86 numbers,
// 0-15), bytes 4-7 a signed 32-bit immediate. Opcode 0 is undefined, so a jump into
// zeroed memory raises #UD instead of running on. Branch and LEA offsets are relative to
// the instruction's own address, so code runs at any base.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "hw/registers.h"

namespace sgxref::user::isa {

// x86-64 register numbers (ModRM order).
enum class Reg : uint8_t {
  kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
  kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15
};
inline constexpr uint8_t kRegCount = 16;

enum class Op : uint8_t {
  kMovi = 1,   // a := sext(imm)
  kLea = 2,    // a := address of this instruction + sext(imm)
  kAddi = 3,   // a := b + sext(imm)
  kAdd = 4,    // a := b + c
  kShli = 5,   // a := b << (imm & 63)
  kLoad = 6,   // a := the 8 bytes at b + sext(imm)
  kStore = 7,  // the 8 bytes at a + sext(imm) := b
  kBeq = 8,    // if a == b: RIP := address of this instruction + sext(imm)
  kBne = 9,    // if a != b: likewise
  kEnclu = 10, // ENCLU as x86 has it: the leaf in RAX, operands in RBX, RCX, RDX
};
inline constexpr uint8_t kOpLast = uint8_t(Op::kEnclu);

inline constexpr uint64_t kInsnSize = 8;

// ENCLU leaf numbers (SDM vol. 3D "ENCLU"; uapi::enclu has those the vDSO names).
namespace leaf {
inline constexpr uint64_t kEreport = 0;
inline constexpr uint64_t kEgetkey = 1;
inline constexpr uint64_t kEenter = 2;
inline constexpr uint64_t kEresume = 3;
inline constexpr uint64_t kEexit = 4;
inline constexpr uint64_t kEaccept = 5;
inline constexpr uint64_t kEmodpe = 6;
inline constexpr uint64_t kEacceptcopy = 7;
}  // namespace leaf

struct Insn {
  uint8_t op = 0;  // an Op, or anything else (undefined)
  uint8_t a = 0, b = 0, c = 0;
  int32_t imm = 0;

  bool operator==(const Insn&) const = default;
};

using InsnBytes = std::array<uint8_t, kInsnSize>;

inline InsnBytes encode(const Insn& in) {
  InsnBytes b{in.op, in.a, in.b, in.c, 0, 0, 0, 0};
  std::memcpy(b.data() + 4, &in.imm, 4);
  return b;
}

inline Insn decode(const InsnBytes& b) {
  Insn in{b[0], b[1], b[2], b[3], 0};
  std::memcpy(&in.imm, b.data() + 4, 4);
  return in;
}

// Register `n` (0-15) of `r`.
inline uint64_t& reg(hw::Registers& r, uint8_t n) {
  static constexpr uint64_t hw::Registers::*kByNumber[kRegCount] = {
      &hw::Registers::rax, &hw::Registers::rcx, &hw::Registers::rdx, &hw::Registers::rbx,
      &hw::Registers::rsp, &hw::Registers::rbp, &hw::Registers::rsi, &hw::Registers::rdi,
      &hw::Registers::r8,  &hw::Registers::r9,  &hw::Registers::r10, &hw::Registers::r11,
      &hw::Registers::r12, &hw::Registers::r13, &hw::Registers::r14, &hw::Registers::r15};
  return r.*kByNumber[n];
}

}  // namespace sgxref::user::isa
