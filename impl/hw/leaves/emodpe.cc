// EMODPE: the enclave extends the EPCM rights of one of its REG pages (SDM vol. 3D
// "EMODPE—Extend an EPC Page Permissions"). Rights are only added, never removed, so no
// CPU can hold a translation wider than the EPCM and nothing needs tracking. It has no
// return code; the OS then widens the PTE as it sees fit.
#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/secinfo_checks.h"
#include "sched/scheduler.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {

namespace {

namespace sf = uapi::secinfo_flag;

// A page whose rights EMODPE may extend: a REG page of the running enclave with no
// change outstanding (PR is allowed: extending after a restriction is how an enclave
// changes a page's rights both ways).
bool extensible(const EpcmEntry& e, uint32_t secs) {
  return e.valid && !e.pending && !e.modified && !e.blocked && e.type == PageType::kReg &&
         e.secs == secs;
}

}  // namespace

Result Cpu::do_emodpe(LAddr secinfo, LAddr target) {
  if (!is_aligned(secinfo, uapi::kSecInfoAlign) || !is_aligned(target, kPageSize)) {
    return Result::gp();
  }
  if (!in_elrange(secinfo) || !in_elrange(target)) return Result::gp();
  uint32_t si_slot, slot;
  if (Result r = enclave_operand(secinfo, Access::kRead, si_slot); r.faulted()) return r;
  if (Result r = enclave_operand(target, Access::kRead, slot); r.faulted()) return r;
  uapi::SecInfo si;
  if (Result r = read_secinfo(secinfo, si_slot, si); r.faulted()) return r;
  if (!secinfo_reserved_clear(si)) return Result::gp();

  const Result bad_target = enclave_epcm_pf(target, Access::kRead);
  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!extensible(m_.epcm_entry(slot), ctx_.secs)) return bad_target;
    // Concurrent with SGX1 leaves, exclusive among the SGX2 ones.
    if (!m_.lock_page(locks, slot, LockKind::kSgx2)) return Result::gp();
  }
  sched::point("emodpe.locked");

  sched::MutexLock l(m_.mu());
  EpcmEntry& e = m_.epcm_entry(slot);
  // The re-check after the lock leaves BLOCKED out: EBLOCK is Concurrent with EMODPE.
  if (!e.valid || e.pending || e.modified || e.type != PageType::kReg || e.secs != ctx_.secs ||
      e.enclave_address != target) {
    return bad_target;
  }
  if (!e.r && write_without_read(si.flags)) return Result::gp();
  e.r = e.r || (si.flags & sf::kR) != 0;
  e.w = e.w || (si.flags & sf::kW) != 0;
  e.x = e.x || (si.flags & sf::kX) != 0;
  return Result::ok();
}

}  // namespace sgxref::hw
