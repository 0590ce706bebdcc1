// File: the interpreter of enclave code (enclave_isa.h). It plays the enclave on a
// logical CPU that EENTER or ERESUME has just put in enclave mode, instruction by
// instruction, until EEXIT or an AEX sends the CPU out.
//
// Its whole state is the CPU's register file, so an AEX saves it in the SSA and ERESUME
// gives it back: each instruction reads the registers, fetches 8 bytes at RIP, makes at
// most one memory access or ENCLU leaf, and then commits its results with the next RIP
// in one set_regs. A fault or an interrupt before the commit leaves RIP on the
// instruction, which runs again after ERESUME; a copy of 8 bytes (a load, then a store)
// is two instructions with the value in a register between them, so it resumes at
// either.
//
// One gap remains between the emulator and a real CPU: an instruction's memory step or
// leaf and its commit are two steps, and an interrupt can land between them. On
// hardware the instruction retires first; here set_regs refuses the commit and the AEX
// has saved RIP on the instruction. Running it again would repeat a leaf that must not
// run twice: EACCEPT of a page it already accepted fails, and since EACCEPT has already
// put its code in RAX, the ENCLU would even run another leaf. So the interpreter
// reports the commit it still owes (Unretired) and whoever ERESUMEs passes it back, to
// be applied before the next instruction: the instruction retired, the interrupt came
// after it.
#pragma once

#include <optional>

#include "hw/address.h"
#include "hw/cpu.h"
#include "hw/fault.h"
#include "hw/registers.h"

namespace sgxref::user {

// The register file an interrupted instruction at `rip` had computed but could not
// commit.
struct Unretired {
  hw::LAddr rip = 0;
  hw::Registers regs;
};

struct ProgramExit {
  enum class Kind : uint8_t { kEexit, kAex };
  Kind kind = Kind::kEexit;
  // kAex: the exception the CPU took, or Vector::kIntr for an interrupt.
  hw::Fault fault;
  // kAex by interrupt only: the commit the interrupted instruction still owes.
  std::optional<Unretired> unretired;
};

// Runs enclave code on `cpu`, which must be in enclave mode (just after EENTER or
// ERESUME). `owed` is the previous exit's Unretired, if the CPU has come back by ERESUME
// to the state it was computed from; it is committed first.
ProgramExit run_enclave_program(hw::Cpu& cpu, const std::optional<Unretired>& owed = std::nullopt);

}  // namespace sgxref::user
