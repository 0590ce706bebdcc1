#include "hw/machine.h"

#include <algorithm>
#include <cstring>

#include "hw/cpu.h"

namespace sgxref::hw {

Machine::Machine(const Config& cfg) : MachineState(cfg), cfg_(cfg), ram_(cfg.ram_pages) {
  for (uint32_t i = 0; i < cfg.cpus; ++i) cpus_.push_back(std::unique_ptr<Cpu>(new Cpu(*this, i)));
}

Machine::~Machine() = default;

Result Machine::read(PAddr pa, void* out, size_t n) const {
  if (epc_slot(pa)) {
    std::memset(out, 0xFF, n);
    return Result::ok();
  }
  const uint8_t* f = ram_.frame(pa);
  if (f == nullptr) return Result::pf(pa, 0);
  std::memcpy(out, f + page_offset(pa), n);
  return Result::ok();
}

Result Machine::write(PAddr pa, const void* in, size_t n) {
  if (epc_slot(pa)) return Result::ok();
  uint8_t* f = ram_.frame(pa);
  if (f == nullptr) return Result::pf(pa, pfec::kW);
  std::memcpy(f + page_offset(pa), in, n);
  return Result::ok();
}

void Machine::ipi(uint32_t cpu) { cpus_.at(cpu)->interrupt(); }

std::vector<Machine::EpcSection> Machine::epc_sections() const {
  const uint32_t n = std::max<uint32_t>(1, std::min(cfg_.epc_sections, epc_pages()));
  std::vector<EpcSection> out;
  uint32_t first = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t end = uint32_t(uint64_t(epc_pages()) * (i + 1) / n);
    out.push_back(EpcSection{epc_addr(first), end - first});
    first = end;
  }
  return out;
}

}  // namespace sgxref::hw
