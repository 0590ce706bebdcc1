// EMODT: change a page of an initialized enclave to TCS or TRIM. The page loses all
// access rights and is MODIFIED, so no one can use it until the enclave EACCEPTs the
// new type (SDM vol. 3D "EMODT—Change the Type of an EPC Page"). The page is stamped
// with the enclave's epoch, as for EMODPR. Every conflict, with an SGX1 or an SGX2
// leaf, answers SGX_EPC_PAGE_CONFLICT.
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

Result Cpu::do_emodt(PAddr secinfo, PAddr epc) {
  if (!is_aligned(secinfo, uapi::kSecInfoAlign) || !is_aligned(epc, kPageSize)) {
    return Result::gp();
  }
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);

  uapi::SecInfo si;
  if (Result r = m_.read(secinfo, &si, sizeof si); r.faulted()) return r;
  const bool tcs = secinfo_type_is(si.flags, PageType::kTcs);
  if (!secinfo_reserved_clear(si) || (!tcs && !secinfo_type_is(si.flags, PageType::kTrim))) {
    return Result::gp();
  }
  const PageType type = tcs ? PageType::kTcs : PageType::kTrim;

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kExclusive)) {
      return Result::error(SgxCode::kEpcPageConflict);
    }
    const EpcmEntry& e = m_.epcm_entry(*slot);
    if (!e.valid) return Result::epcm_pf(epc);
    if (!m_.lock_page(locks, *slot, LockKind::kSgx2)) {
      return Result::error(SgxCode::kEpcPageConflict);
    }
    if (e.type != PageType::kReg && !(e.type == PageType::kTcs && type == PageType::kTrim)) {
      return Result::epcm_pf(epc);
    }
    if (e.pending || e.modified) return Result::error(SgxCode::kPageNotModifiable);
    if ((load_secs(m_.page(e.secs)).attributes & uapi::attr::kInit) == 0) return Result::gp();
  }
  sched::point("emodt.locked");

  sched::MutexLock l(m_.mu());
  EpcmEntry& e = m_.epcm_entry(*slot);
  e.pr = false;
  e.modified = true;
  e.r = e.w = e.x = false;
  e.type = type;
  stamp(m_, *slot);
  return Result::ok();
}

}  // namespace sgxref::hw
