// EENTER: enter an enclave through one of its TCSs (SDM vol. 3D "EENTER—Enters an
// Enclave").
#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/leaves/enclave_entry.h"
#include "hw/machine.h"
#include "hw/shared_bytes.h"
#include "hw/ssa_gpr.h"
#include "sched/scheduler.h"

namespace sgxref::hw {

Result Cpu::do_eenter(LAddr tcs, LAddr aep) {
  Entry e;
  LeafLocks locks(m_);
  if (Result r = entry_operands(tcs, aep, locks, e); r.faulted()) return r;
  sched::point("eenter.locked");

  // The checks and the commit share one critical section: another CPU may enter through
  // the same TCS (its lock is Shared), and only one of them may find it inactive.
  sched::MutexLock l(m_.mu());
  if (Result r = entry_checks(/*resume=*/false, e); r.faulted()) return r;
  const uint64_t target = e.secs.base + e.tcs.entry_offset;
  if (!is_canonical(target)) return Result::gp();
  const uint64_t fs_base = e.secs.base + e.tcs.fs_offset;
  const uint64_t gs_base = e.secs.base + e.tcs.gs_offset;
  if (!is_canonical(fs_base) || !is_canonical(gs_base)) return Result::gp();
  if (e.tcs.state != kTcsInactive) return Result::gp();

  // The outside stack, for AEX and EEXIT to give back.
  uint8_t* gpr = m_.page(e.gpr_slot) + e.gpr_offset;
  store_shared(gpr + offsetof(GprSgx, ursp), &regs_.rsp, sizeof regs_.rsp);
  store_shared(gpr + offsetof(GprSgx, urbp), &regs_.rbp, sizeof regs_.rbp);
  enter(e);
  regs_.rcx = regs_.rip;
  regs_.rip = target;
  regs_.rax = e.tcs.ssa_index;
  regs_.fs_base = fs_base;
  regs_.gs_base = gs_base;
  return Result::ok();
}

}  // namespace sgxref::hw
