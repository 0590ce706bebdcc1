// How the ENCLU leaves that take memory operands (EACCEPT, EACCEPTCOPY, EMODPE,
// EREPORT) find the EPC page behind one: a walk of the current page table, as the
// operand access would make it. The TLB is not consulted: these leaves check the EPCM
// of the page themselves, so a cached translation could only be staler.
#include "hw/cpu.h"
#include "hw/leaves/enclave_operand.h"
#include "hw/machine.h"

namespace sgxref::hw {

Result Cpu::enclave_operand(LAddr a, Access k, uint32_t& slot) {
  Pte pte;
  if (Result r = walk(a, k, pte); r.faulted()) return r;
  const auto s = m_.epc_slot(pte.pa);
  if (!s) return Result::pf(a, pf_error_code(k, true, true));
  slot = *s;
  return Result::ok();
}

}  // namespace sgxref::hw
