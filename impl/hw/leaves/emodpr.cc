// EMODPR: restrict the EPCM access rights of a REG page in an initialized enclave and
// mark the restriction pending (PR) until the enclave EACCEPTs it (SDM vol. 3D
// "EMODPR—Restrict the Permissions of an EPC Page"). The page is stamped with the
// enclave's epoch: EACCEPT succeeds only once every CPU that may cache the old rights
// has left the enclave.
#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/secinfo_checks.h"
#include "hw/secs_private.h"
#include "hw/tracking.h"
#include "sched/scheduler.h"
#include "uapi/secinfo.h"
#include "uapi/secs.h"

namespace sgxref::hw {

Result Cpu::do_emodpr(PAddr secinfo, PAddr epc) {
  namespace sf = uapi::secinfo_flag;
  if (!is_aligned(secinfo, uapi::kSecInfoAlign) || !is_aligned(epc, kPageSize)) {
    return Result::gp();
  }
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);

  uapi::SecInfo si;
  if (Result r = m_.read(secinfo, &si, sizeof si); r.faulted()) return r;
  if (!secinfo_reserved_clear(si) || write_without_read(si.flags)) return Result::gp();

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    // EMODPR holds the page Shared against SGX1 leaves (#GP when one writes it) and
    // exclusively against the other SGX2 leaves (a code). EMODT holds it both ways, so
    // when it is the writer the page is refused as an SGX2 conflict below.
    if (!m_.lock_page(locks, *slot, LockKind::kShared) && !m_.page_lock(*slot).sgx2) {
      return Result::gp();
    }
    const EpcmEntry& e = m_.epcm_entry(*slot);
    if (!e.valid) return Result::epcm_pf(epc);
    if (!m_.lock_page(locks, *slot, LockKind::kSgx2)) {
      return Result::error(SgxCode::kEpcPageConflict);
    }
    if (e.pending || e.modified) return Result::error(SgxCode::kPageNotModifiable);
    if (e.type != PageType::kReg) return Result::epcm_pf(epc);
    if ((load_secs(m_.page(e.secs)).attributes & uapi::attr::kInit) == 0) return Result::gp();
  }
  sched::point("emodpr.locked");

  sched::MutexLock l(m_.mu());
  EpcmEntry& e = m_.epcm_entry(*slot);
  e.pr = true;
  e.r = e.r && (si.flags & sf::kR) != 0;
  e.w = e.w && (si.flags & sf::kW) != 0;
  e.x = e.x && (si.flags & sf::kX) != 0;
  stamp(m_, *slot);
  return Result::ok();
}

}  // namespace sgxref::hw
