// EPA: turn a free EPC page into a Version Array of 512 empty 8-byte slots.
#include <cstring>

#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "sched/scheduler.h"

namespace sgxref::hw {

Result Cpu::do_epa(uint64_t rbx, PAddr epc) {
  if (rbx != uint64_t(PageType::kVa) || !is_aligned(epc, kPageSize)) return Result::gp();
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kExclusive)) return Result::gp();
    if (m_.epcm_entry(*slot).valid) return Result::epcm_pf(epc);
  }
  sched::point("epa.locked");

  std::memset(m_.page(*slot), 0, kPageSize);
  sched::MutexLock l(m_.mu());
  m_.epcm_entry(*slot) = EpcmEntry{.valid = true, .type = PageType::kVa};
  return Result::ok();
}

}  // namespace sgxref::hw
