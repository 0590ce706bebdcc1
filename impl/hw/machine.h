// File: the emulated SGX machine as a kernel sees it: physical memory (RAM, and the
// EPC section's range), the logical CPUs with their ENCLS/ENCLU leaves, and IPIs. This
// is the platform face; what software cannot read (the EPCM, the SECS, TLBs, lock
// state) is the leaves' MachineState, which Machine inherits privately, and is shown
// only to the Inspector (inspect.h) and to tests through internals.h (docs/architecture.md
// "The emulator's three faces"). Thread-safe: any number of host threads may drive its
// CPUs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "hw/address.h"
#include "hw/config.h"
#include "hw/fault.h"
#include "hw/machine_state.h"
#include "hw/ram.h"

namespace sgxref::hw {

class Cpu;

class Machine : private MachineState {
 public:
  explicit Machine(const Config& cfg = Config{});
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const Config& config() const { return cfg_; }
  uint32_t cpu_count() const { return uint32_t(cpus_.size()); }
  Cpu& cpu(uint32_t i) { return *cpus_.at(i); }

  Ram& ram() { return ram_; }

  // Delivers an interrupt to logical CPU `cpu`, as an OS's IPI does: if the CPU is in
  // enclave mode it performs an AEX there, under that CPU's lock, and the thread
  // driving the CPU sees it at its next step; otherwise nothing architectural happens.
  // Waits only for the instruction the CPU is executing (an ENCLU leaf, a memory
  // access) to finish, never for a lock the driving thread holds outside the emulator.
  // Call it holding no emulator lock.
  void ipi(uint32_t cpu);

  // One EPC section as CPUID(12h, 2+) reports it.
  struct EpcSection {
    PAddr base;
    uint32_t pages;
  };
  // The sections in CPUID order (Config::epc_sections of them, none empty).
  std::vector<EpcSection> epc_sections() const;

  // The EPC as a whole: its size and where each page sits in physical memory.
  using MachineState::epc_addr;
  using MachineState::epc_pages;
  using MachineState::epc_slot;

  // Non-enclave access to physical memory, as ring-0 code (and ENCLS reading its
  // operands) makes it: RAM reads and writes; EPC reads return all-ones and writes are
  // dropped (abort-page semantics); anything else is #PF(addr). [pa, pa+n) must lie in
  // one page.
  Result read(PAddr pa, void* out, size_t n) const;
  Result write(PAddr pa, const void* in, size_t n);

 private:
  // The leaves run as Cpu members and pass the state on to their helpers.
  friend class Cpu;
  friend class Inspector;
  friend class Internals;

  Config cfg_;
  Ram ram_;
  std::vector<std::unique_ptr<Cpu>> cpus_;
};

}  // namespace sgxref::hw
