// EDBGRD: read 8 bytes of a debug enclave's page, or whether a VA slot is in use
// (SDM vol. 3D "EDBGRD—Read From a Debug Enclave"). The emulator always runs ENCLS in
// 64-bit mode, so the operand is a quadword.
#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "hw/shared_bytes.h"
#include "sched/scheduler.h"
#include "uapi/secs.h"
#include "uapi/tcs.h"

namespace sgxref::hw {

Result Cpu::do_edbgrd(PAddr addr, uint64_t& data) {
  if (!is_aligned(addr, 8)) return Result::gp();
  const auto slot = m_.epc_slot(addr);
  if (!slot) return Result::pf(addr, 0);

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kShared)) return Result::gp();
  }
  sched::point("edbgrd.locked");

  sched::MutexLock l(m_.mu());
  const EpcmEntry& e = m_.epcm_entry(*slot);
  if (!e.valid) return Result::epcm_pf(addr);
  if (e.type != PageType::kReg && e.type != PageType::kTcs && e.type != PageType::kVa) {
    return Result::epcm_pf(addr);
  }
  if (e.pending || e.modified) return Result::error(SgxCode::kPageNotDebuggable);
  // SGX_TCS_LIMIT, "the architectural size of the TCS", is where its reserved area
  // starts.
  if (e.type == PageType::kTcs && page_offset(addr) >= offsetof(uapi::Tcs, reserved)) {
    return Result::gp();
  }
  // Enclave code may touch the page at the same time (shared_bytes.h).
  uint64_t v;
  load_shared(m_.page(*slot) + page_offset(addr), &v, sizeof v);
  if (e.type == PageType::kVa) {
    // A VA slot's version stays secret; the debugger only learns whether it is in use.
    data = (v & ~uint64_t{7}) != 0 ? ~uint64_t{0} : 0;
    return Result::ok();
  }
  if ((load_secs(m_.page(e.secs)).attributes & uapi::attr::kDebug) == 0) return Result::gp();
  data = v;
  return Result::ok();
}

}  // namespace sgxref::hw
