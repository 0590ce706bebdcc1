// EBLOCK: mark a page BLOCKED so no new TLB translation to it can be made, the first
// step of evicting it (SDM vol. 3D "EBLOCK—Mark a page in EPC as Blocked"). One of the
// leaves that answers a conflict with SGX_EPC_PAGE_CONFLICT instead of #GP.
#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/mac_header.h"
#include "hw/machine.h"
#include "hw/tracking.h"
#include "sched/scheduler.h"

namespace sgxref::hw {

Result Cpu::do_eblock(PAddr epc) {
  if (!is_aligned(epc, kPageSize)) return Result::gp();
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kShared)) {
      return Result::error(SgxCode::kEpcPageConflict);
    }
  }
  sched::point("eblock.locked");

  // The checks and the commit share one critical section: another EBLOCK may hold the
  // page Shared at the same time, and exactly one of them must see it unblocked.
  sched::MutexLock l(m_.mu());
  EpcmEntry& e = m_.epcm_entry(*slot);
  if (!e.valid) return Result::error(SgxCode::kPgInvld);
  if (!is_child_type(e.type)) {
    return Result::error(e.type == PageType::kSecs ? SgxCode::kPgIsSecs : SgxCode::kNotBlockable,
                         true);
  }
  if (e.blocked) return Result::error(SgxCode::kBlkState, true);
  e.blocked = true;
  stamp(m_, *slot);
  m_.unlock_pages(locks);
  return Result::ok();
}

}  // namespace sgxref::hw
