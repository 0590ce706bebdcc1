// File: an assembler for enclave code (enclave_isa.h): one call per instruction,
// labels for branches, and RIP-relative addresses of enclave offsets, producing the
// bytes of a code page. Misuse (a label never bound, an offset out of reach) is a bug in
// the program being written, so it throws std::logic_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "user/enclave_isa.h"

namespace sgxref::user {

class Assembler {
 public:
  using Reg = isa::Reg;
  struct Label {
    size_t id;
  };

  // `origin`: the enclave offset the first instruction will sit at.
  explicit Assembler(uint64_t origin) : origin_(origin) {}

  Label label();
  // The next instruction is at `l`.
  void bind(Label l);

  void movi(Reg a, int32_t imm) { emit(isa::Op::kMovi, a, Reg::kRax, Reg::kRax, imm); }
  // a := the address of enclave offset `offset`, by RIP-relative arithmetic.
  void lea(Reg a, uint64_t offset);
  void addi(Reg a, Reg b, int32_t imm) { emit(isa::Op::kAddi, a, b, Reg::kRax, imm); }
  void mov(Reg a, Reg b) { addi(a, b, 0); }
  void add(Reg a, Reg b, Reg c) { emit(isa::Op::kAdd, a, b, c, 0); }
  void shli(Reg a, Reg b, int32_t n) { emit(isa::Op::kShli, a, b, Reg::kRax, n); }
  // a := [b + disp]
  void load(Reg a, Reg b, int32_t disp) { emit(isa::Op::kLoad, a, b, Reg::kRax, disp); }
  // [a + disp] := b
  void store(Reg a, int32_t disp, Reg b) { emit(isa::Op::kStore, a, b, Reg::kRax, disp); }
  void beq(Reg a, Reg b, Label to) { branch(isa::Op::kBeq, a, b, to); }
  void bne(Reg a, Reg b, Label to) { branch(isa::Op::kBne, a, b, to); }
  void jmp(Label to) { beq(Reg::kRax, Reg::kRax, to); }
  void enclu() { emit(isa::Op::kEnclu, Reg::kRax, Reg::kRax, Reg::kRax, 0); }

  // The code so far with every branch resolved.
  std::vector<uint8_t> finish() const;

 private:
  void emit(isa::Op op, Reg a, Reg b, Reg c, int32_t imm);
  void branch(isa::Op op, Reg a, Reg b, Label to);
  uint64_t here() const { return origin_ + code_.size() * isa::kInsnSize; }

  struct Fixup {
    size_t insn;
    size_t label;
  };

  uint64_t origin_;
  std::vector<isa::Insn> code_;
  std::vector<int64_t> labels_;  // instruction index, or -1 while unbound
  std::vector<Fixup> fixups_;
};

}  // namespace sgxref::user
