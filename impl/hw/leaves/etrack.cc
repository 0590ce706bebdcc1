// ETRACK: start a new tracking cycle for an enclave, once every CPU that was inside at
// the previous one has left (SDM vol. 3D "ETRACK—Activates EBLOCK Checks";
// docs/hw.md "Tracking").
#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "hw/tracking.h"
#include "sched/scheduler.h"

namespace sgxref::hw {

Result Cpu::do_etrack(PAddr secs) {
  if (!is_aligned(secs, kPageSize)) return Result::gp();
  const auto slot = m_.epc_slot(secs);
  if (!slot) return Result::pf(secs, 0);

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    // The SECS Shared (base restriction) and its tracking resource, which ETRACKs and
    // EWB's tracking check exclude each other on; the SDM's pseudocode says #GP.
    if (!m_.lock_page(locks, *slot, LockKind::kShared)) return Result::gp();
    if (!m_.lock_page(locks, *slot, LockKind::kTracking)) return Result::gp();
    const EpcmEntry& e = m_.epcm_entry(*slot);
    if (!e.valid || e.type != PageType::kSecs) return Result::epcm_pf(secs);
  }
  sched::point("etrack.locked");

  // CPUs may enter or leave meanwhile; the verdict and the new epoch go together.
  sched::MutexLock l(m_.mu());
  if (tracking_incomplete(m_, *slot)) return Result::error(SgxCode::kPrevTrkIncmpl);
  SecsPrivate p = load_secs_private(m_.page(*slot));
  ++p.epoch;
  store_secs_private(m_.page(*slot), p);
  m_.unlock_pages(locks);
  return Result::ok();
}

}  // namespace sgxref::hw
