#include "user/enclave_assembler.h"

#include <limits>
#include <stdexcept>

namespace sgxref::user {

namespace {

int32_t displacement(int64_t d) {
  if (d < std::numeric_limits<int32_t>::min() || d > std::numeric_limits<int32_t>::max()) {
    throw std::logic_error("enclave assembler: displacement out of reach");
  }
  return int32_t(d);
}

}  // namespace

Assembler::Label Assembler::label() {
  labels_.push_back(-1);
  return Label{labels_.size() - 1};
}

void Assembler::bind(Label l) {
  if (labels_.at(l.id) != -1) throw std::logic_error("enclave assembler: label bound twice");
  labels_[l.id] = int64_t(code_.size());
}

void Assembler::lea(Reg a, uint64_t offset) {
  emit(isa::Op::kLea, a, Reg::kRax, Reg::kRax, displacement(int64_t(offset - here())));
}

void Assembler::emit(isa::Op op, Reg a, Reg b, Reg c, int32_t imm) {
  code_.push_back(isa::Insn{uint8_t(op), uint8_t(a), uint8_t(b), uint8_t(c), imm});
}

void Assembler::branch(isa::Op op, Reg a, Reg b, Label to) {
  fixups_.push_back(Fixup{code_.size(), to.id});
  emit(op, a, b, Reg::kRax, 0);
}

std::vector<uint8_t> Assembler::finish() const {
  std::vector<isa::Insn> code = code_;
  for (const Fixup& f : fixups_) {
    const int64_t target = labels_.at(f.label);
    if (target < 0) throw std::logic_error("enclave assembler: branch to an unbound label");
    code[f.insn].imm = displacement((target - int64_t(f.insn)) * int64_t(isa::kInsnSize));
  }
  std::vector<uint8_t> bytes;
  bytes.reserve(code.size() * isa::kInsnSize);
  for (const isa::Insn& in : code) {
    const isa::InsnBytes b = isa::encode(in);
    bytes.insert(bytes.end(), b.begin(), b.end());
  }
  return bytes;
}

}  // namespace sgxref::user
