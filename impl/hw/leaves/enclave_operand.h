// File: what the ENCLU leaves that take memory operands inside the enclave (EACCEPT,
// EACCEPTCOPY, EMODPE, EREPORT) share: the EPCM test of a page they read an operand
// from (or write their output to), and how EACCEPT and EACCEPTCOPY report their code.
// Resolving an operand's linear address to its EPC slot is Cpu::enclave_operand
// (enclave_operand.cc).
#pragma once

#include <cstdint>

#include "hw/address.h"
#include "hw/epcm_entry.h"
#include "hw/fault.h"
#include "hw/registers.h"

namespace sgxref::hw {

// A page holding an operand of the running enclave: valid, REG, owned by the enclave
// whose SECS is in `secs`, at linear page `page`, neither blocked, pending nor modified,
// and readable (or, for an output, writable).
inline bool usable_operand_page(const EpcmEntry& e, uint32_t secs, LAddr page, bool output) {
  return e.valid && e.type == PageType::kReg && e.secs == secs && e.enclave_address == page &&
         !e.blocked && !e.pending && !e.modified && (output ? e.w : e.r);
}

// RAX := the code; ZF := 1 on an error, else 0; CF, PF, AF, OF and SF := 0.
inline void set_status(Registers& regs, SgxCode code) {
  regs.rax = uint64_t(code);
  regs.rflags &= ~(rflags::kCf | rflags::kPf | rflags::kAf | rflags::kOf | rflags::kSf |
                   rflags::kZf);
  if (code != SgxCode::kSuccess) regs.rflags |= rflags::kZf;
}

}  // namespace sgxref::hw
