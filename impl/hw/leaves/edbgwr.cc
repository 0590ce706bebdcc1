// EDBGWR: write 8 bytes into a debug enclave's REG page or its TCS.FLAGS (SDM vol. 3D
// "EDBGWR—Write to a Debug Enclave"). The emulator always runs ENCLS in 64-bit mode, so
// the operand is a quadword.
#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "hw/shared_bytes.h"
#include "sched/scheduler.h"
#include "uapi/secs.h"
#include "uapi/tcs.h"

namespace sgxref::hw {

Result Cpu::do_edbgwr(PAddr addr, uint64_t data) {
  if (!is_aligned(addr, 8)) return Result::gp();
  const auto slot = m_.epc_slot(addr);
  if (!slot) return Result::pf(addr, 0);

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kShared)) return Result::gp();
  }
  sched::point("edbgwr.locked");

  sched::MutexLock l(m_.mu());
  const EpcmEntry& e = m_.epcm_entry(*slot);
  if (!e.valid) return Result::epcm_pf(addr);
  if (e.type != PageType::kReg && e.type != PageType::kTcs) return Result::epcm_pf(addr);
  if (e.pending || e.modified) return Result::error(SgxCode::kPageNotDebuggable);
  // In a TCS the debugger may only write FLAGS (to opt the thread into debugging).
  if (e.type == PageType::kTcs && (page_offset(addr) & 0xFF8) != offsetof(uapi::Tcs, flags)) {
    return Result::gp();
  }
  if ((load_secs(m_.page(e.secs)).attributes & uapi::attr::kDebug) == 0) return Result::gp();
  // Enclave code may touch the page at the same time (shared_bytes.h).
  store_shared(m_.page(*slot) + page_offset(addr), &data, sizeof data);
  return Result::ok();
}

}  // namespace sgxref::hw
