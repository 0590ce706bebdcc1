// How the ENCLU leaves that take memory operands (EACCEPT, EACCEPTCOPY, EMODPE,
// EREPORT) find the EPC page behind one: a walk of the current page table, as the
// operand access would make it. The TLB is not consulted: these leaves check the EPCM
// of the page themselves, so a cached translation could only be staler.
#include "hw/cpu.h"
#include "hw/leaves/enclave_operand.h"
#include "hw/machine.h"
#include "hw/shared_bytes.h"

namespace sgxref::hw {

Result Cpu::enclave_operand(LAddr a, Access k, uint32_t& slot) {
  Pte pte;
  if (Result r = walk(a, k, pte); r.faulted()) return r;
  const auto s = m_.epc_slot(pte.pa);
  if (!s) return enclave_epcm_pf(a, k);
  slot = *s;
  return Result::ok();
}

Result Cpu::read_secinfo(LAddr a, uint32_t slot, uapi::SecInfo& si) {
  sched::MutexLock l(m_.mu());
  if (!usable_operand_page(m_.epcm_entry(slot), ctx_.secs, page_of(a), false)) {
    return enclave_epcm_pf(a, Access::kRead);
  }
  // Enclave code on another CPU may write the page meanwhile (shared_bytes.h).
  load_shared(m_.page(slot) + page_offset(a), &si, sizeof si);
  return Result::ok();
}

}  // namespace sgxref::hw
