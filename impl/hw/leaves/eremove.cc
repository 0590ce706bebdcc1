// EREMOVE: return an EPC page to the free pool (SDM vol. 3D "EREMOVE—Remove a page
// from the EPC").
#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/secs_children.h"
#include "hw/secs_private.h"
#include "hw/tracking.h"
#include "sched/scheduler.h"

namespace sgxref::hw {

Result Cpu::do_eremove(PAddr epc) {
  if (!is_aligned(epc, kPageSize)) return Result::gp();
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kExclusive)) return Result::gp();
  }
  sched::point("eremove.locked");

  sched::MutexLock l(m_.mu());
  EpcmEntry& e = m_.epcm_entry(*slot);
  if (!e.valid) return Result::ok();
  // The SDM's first test sends an accepted TRIM page (MODIFIED=0) to DONE with VALID
  // still set while its next test frees it; we free it, with no SGX_ENCLAVE_ACT check,
  // as Linux's removal of trimmed pages from running enclaves relies on.
  if (e.type == PageType::kVa || (e.type == PageType::kTrim && !e.modified)) {
    e = EpcmEntry{};
    return Result::ok();
  }
  if (e.type == PageType::kSecs) {
    if (has_resident_child(m_, *slot)) return Result::error(SgxCode::kChildPresent);
    m_.measurements().erase(load_secs_private(m_.page(*slot)).eid);
    e = EpcmEntry{};
    return Result::ok();
  }
  if (enclave_active(m_, e.secs)) return Result::error(SgxCode::kEnclaveAct);
  e = EpcmEntry{};
  return Result::ok();
}

}  // namespace sgxref::hw
